"""``sim2l results export``: every matching run of a simulation as a CSV, Parquet or JSON table.

::

    sim2l results export thermal_sim --where 'temperature>300' --format csv --output runs.csv
    sim2l results export thermal_sim --version 1.0.0 --column max_stress --output runs.parquet

One row per run: ``execution_id``, ``status``, ``created_at``, then
``inputs.<name>`` and ``outputs.<name>``. The table streams from the results
service's columnar answer chunk by chunk into the file (nothing holds it
whole), with a progress bar on a terminal. Units go into the CSV's leading
``#`` comment lines, the Parquet schema metadata (``sim2l.units`` and each
field's ``units``), or the JSON object's ``units``. Parquet needs pyarrow
(``pip install 'sim2l-core[parquet]'``).
"""

import contextlib
import csv
import json
import os
import sys
from pathlib import Path

from sim2l.cli.commands import parse_filters
from sim2l.cli.context import client
from sim2l.cli.errors import EXIT_NOT_FOUND
from sim2l.cli.errors import CommandError
from sim2l.cli.errors import UsageError

FORMATS = ("csv", "parquet", "json")
PREFIXES = {"inputs.": "input", "outputs.": "output"}


def add_parser(results_subparsers) -> None:
    """Declare ``sim2l results export`` among the ``sim2l results`` actions."""
    export = results_subparsers.add_parser(
        "export",
        help="every matching run as a CSV, Parquet or JSON table",
        description="Write one row per matching run: execution_id, status, created_at, "
        "inputs.<name>, outputs.<name>; units in the CSV comment lines, Parquet schema "
        "metadata or JSON object.",
    )
    export.add_argument("simulation", help="the simulation's name")
    export.add_argument(
        "--version", dest="sim_version", default=None, help="only runs of this version"
    )
    export.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="EXPR",
        help="a filter on an input or output: temperature>300, material=steel, "
        "outputs.max_stress<=2e8 (repeat to AND them)",
    )
    export.add_argument(
        "--column",
        action="append",
        default=None,
        metavar="NAME",
        help="a parameter to include (default: every parameter); repeat for more",
    )
    export.add_argument("--format", choices=FORMATS, default=None, help="default: from --output")
    export.add_argument("--output", required=True, metavar="FILE", help="the file to write")
    export.set_defaults(handler=run)


def split_where(expressions: list[str], schemas: list[dict]) -> tuple[dict, dict]:
    """``--where`` expressions as ``(input_filters, output_filters)``.

    A bare name is the input or the output of that name; ``inputs.x`` /
    ``outputs.x`` choose when a simulation has both.
    """
    classes: dict[str, set] = {}
    for schema in schemas:
        classes.setdefault(schema["name"], set()).add(schema["param_class"])
    filters = {"input": {}, "output": {}}
    for name, operators in parse_filters(expressions).items():
        param_class = None
        for prefix, prefixed_class in PREFIXES.items():
            if name.startswith(prefix):
                name, param_class = name[len(prefix) :], prefixed_class
        if param_class is None:
            found = classes.get(name, set())
            if not found:
                raise CommandError(
                    f"no input or output named {name!r} in the registered runs", EXIT_NOT_FOUND
                )
            if len(found) > 1:
                raise UsageError(
                    f"{name!r} is both an input and an output: write inputs.{name} or "
                    f"outputs.{name}"
                )
            param_class = found.pop()
        given = filters[param_class].setdefault(name, {})
        if given.keys() & operators.keys():
            raise UsageError(
                f"{param_class} {name!r} has the same operator twice in --where: keep one"
            )
        given.update(operators)
    return filters["input"], filters["output"]


def _format_of(args) -> str:
    if args.format:
        return args.format
    suffix = Path(args.output).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise UsageError(f"say --format {'|'.join(FORMATS)} (the output's suffix names none)")


class _Progress:
    """Rows written so far, as a rich progress bar on a terminal; silent otherwise."""

    def __init__(self, path: str):
        self.bar = None
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(file=sys.stderr), transient=False)
            self.task = self.bar.add_task(f"exporting to {path}", total=None)

    def __enter__(self):
        if self.bar is not None:
            self.bar.start()
        return self

    def advance(self, rows: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=rows)

    def __exit__(self, *exc_info):
        if self.bar is not None:
            self.bar.stop()


def _cell(value):
    """A CSV cell: empty for missing, JSON text for lists and dicts."""
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return value


class CsvTable:
    """Units and types in ``#`` comment lines, then a header row and one row per run."""

    def __init__(self, stream, header: dict):
        self.stream = stream
        self.writer = csv.writer(stream)
        stream.write(f"# simulation: {header['simulation_name']}\n")
        for key in ("units", "types"):
            described = ", ".join(
                f"{name}={value}" for name, value in header[key].items() if value is not None
            )
            stream.write(f"# {key}: {described}\n")
        self.writer.writerow(header["columns"])
        self.names = header["columns"]

    def write(self, chunk: dict) -> None:
        columns = [chunk[name] for name in self.names]
        self.writer.writerows([[_cell(value) for value in row] for row in zip(*columns)])

    def close(self) -> None:
        pass


class JsonTable:
    """``{"simulation_name", "simulation_version", "units", "types", "columns", "data": [[...]],
    "count"}``: a row list per run, written as the chunks arrive."""

    def __init__(self, stream, header: dict):
        self.stream = stream
        self.names = header["columns"]
        self.count = 0
        opening = {key: header[key] for key in ("simulation_name", "simulation_version")}
        opening.update(units=header["units"], types=header["types"], columns=self.names)
        stream.write(json.dumps(opening)[:-1] + ', "data": [')

    def write(self, chunk: dict) -> None:
        columns = [chunk[name] for name in self.names]
        for row in zip(*columns):
            self.stream.write(("\n" if self.count == 0 else ",\n") + json.dumps(list(row)))
            self.count += 1

    def close(self) -> None:
        self.stream.write(f'\n], "count": {self.count}}}\n')


class ParquetTable:
    """A Parquet file written a row group per chunk; units in the schema metadata."""

    def __init__(self, path: Path, header: dict):
        try:
            import pyarrow
            import pyarrow.parquet
        except ImportError as error:
            raise CommandError(
                "Parquet needs pyarrow: pip install 'sim2l-core[parquet]'"
            ) from error
        self.pyarrow = pyarrow
        self.names = header["columns"]
        fields = []
        for name in self.names:
            units = header["units"].get(name)
            metadata = {"units": units} if units else None
            fields.append(
                pyarrow.field(name, self._type(header["types"].get(name)), True, metadata)
            )
        metadata = {
            "sim2l.simulation_name": header["simulation_name"],
            "sim2l.units": json.dumps(header["units"]),
            "sim2l.types": json.dumps(header["types"]),
        }
        self.schema = pyarrow.schema(fields, metadata=metadata)
        self.writer = pyarrow.parquet.ParquetWriter(str(path), self.schema)
        self.dropped: dict[str, int] = {}

    def _type(self, declared):
        pyarrow = self.pyarrow
        return {
            "datetime": pyarrow.timestamp("us", tz="UTC"),
            "number": pyarrow.float64(),
            "integer": pyarrow.int64(),
            "boolean": pyarrow.bool_(),
            "string": pyarrow.string(),
        }.get(declared, pyarrow.string())

    def _values(self, name: str, values: list, arrow_type) -> list:
        """The values as the column's type; what does not fit is null (and counted)."""
        pyarrow = self.pyarrow
        if arrow_type == pyarrow.float64():
            fits = (int, float)
        elif arrow_type == pyarrow.int64():
            fits = (int,)
        elif arrow_type == pyarrow.bool_():
            fits = (bool,)
        elif arrow_type == pyarrow.string():
            return [
                value if value is None or isinstance(value, str) else json.dumps(value)
                for value in values
            ]
        else:
            return values
        converted = []
        for value in values:
            if value is not None and (
                not isinstance(value, fits) or (isinstance(value, bool) and bool not in fits)
            ):
                self.dropped[name] = self.dropped.get(name, 0) + 1
                value = None
            converted.append(value)
        return converted

    def write(self, chunk: dict) -> None:
        arrays = []
        for field in self.schema:
            values = self._values(field.name, chunk[field.name], field.type)
            if field.name == "created_at":
                import datetime

                values = [
                    None if value is None else datetime.datetime.fromisoformat(value)
                    for value in values
                ]
            arrays.append(self.pyarrow.array(values, type=field.type))
        self.writer.write_table(self.pyarrow.Table.from_arrays(arrays, schema=self.schema))

    def close(self) -> None:
        self.writer.close()
        for name, count in self.dropped.items():
            print(
                f"warning: {count} value(s) of {name} did not fit its declared type and are "
                "null in the Parquet file",
                file=sys.stderr,
            )


def export(results_client, args, out=None) -> int:
    """Write the table; returns how many runs it holds."""
    table_format = _format_of(args)
    schemas = results_client.parameter_schemas(args.simulation, args.sim_version)
    if not schemas:  # as ``sim2l results stats`` says, rather than an empty file
        version = f" {args.sim_version}" if args.sim_version else ""
        raise CommandError(f"no registered runs of {args.simulation!r}{version}", EXIT_NOT_FOUND)
    input_filters, output_filters = split_where(args.where, schemas)
    chunks = results_client.column_chunks(
        args.simulation,
        input_filters or None,
        output_filters or None,
        simulation_version=args.sim_version,
        columns=args.column,
    )
    path = Path(args.output)
    partial = path.with_name(f".{path.name}.partial")
    rows = 0
    try:
        header = next(chunks)
        with contextlib.ExitStack() as stack:
            progress = stack.enter_context(_Progress(str(path)))
            if table_format == "parquet":
                table = ParquetTable(partial, header)
            else:
                stream = stack.enter_context(open(partial, "w", newline="", encoding="utf-8"))
                table = (CsvTable if table_format == "csv" else JsonTable)(stream, header)
            for chunk in chunks:
                table.write(chunk)
                size = len(chunk["execution_id"])
                rows += size
                progress.advance(size)
            table.close()
        os.replace(partial, path)  # a cut-short export never leaves a plausible file
    finally:
        if partial.exists():
            partial.unlink()
    print(f"wrote {rows} run(s) to {path}", file=out or sys.stdout)
    return rows


def run(args) -> int:
    """``sim2l results export``."""
    export(client("results"), args)
    return 0
