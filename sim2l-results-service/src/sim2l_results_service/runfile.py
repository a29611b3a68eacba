"""Reading an uploaded run file, which is untrusted input.

The file is a private copy the service wrote itself. It is opened read-only
and immutable through a URI (no journal, no locks, no writes), with
``query_only`` and ``trusted_schema=OFF`` so nothing in the file's schema
(triggers, views, defaults) can run a function with side effects, a length
limit on any value, and a progress handler that abandons a read that takes
too long. Only ``SELECT`` statements on the documented tables of the run file
schema (sim2l-core's SCHEMA.md) run, and each required table must be a real
table, not a view. Everything read is checked for type and size before it is
stored. Any problem is a ``RunFileError`` with a status (4xx) and a message.

Every string read, including strings and keys inside JSON values, keeps the
services' text rule (``sim2l_service_kit.text``: no NUL, no lone surrogate),
or the file is refused with a 422 naming the parameter. Integers beyond 64
bits are kept with every digit (registration writes them with the standard
JSON encoder) and indexed as numbers when they fit a double.

This module deliberately does not import sim2l-core: the service and the
runner are released separately, and the file format is the contract.
"""

import json
import math
import re
import sqlite3
import time
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import orjson
from sim2l_service_kit.text import find_bad_text
from sim2l_service_kit.text import text_problem

SQLITE_MAGIC = b"SQLite format 3\x00"
# Nineteen digits or more in a row: maybe an integer past 64 bits (see _decode).
_LONG_DIGIT_RUN = re.compile(r"\d{19,}")
KNOWN_SCHEMA_VERSIONS = frozenset({1, 2})
VALUE_KINDS = frozenset({"null", "bool", "int", "float", "str", "bytes", "list", "dict", "array"})
NAME_MAX = 200
STRING_INDEX_MAX = (
    1024  # UTF-8 bytes; longer strings are kept but not indexed (a B-tree key must stay small)
)
REQUIRED_COLUMNS = {
    "schema_version": {"version"},
    "run": {"id", "execution_id", "simulation_name", "simulation_version", "status", "created_at"},
    "inputs": {"name", "value_kind", "value_json"},
    "outputs": {"name", "value_kind", "value_json"},
}
OPTIONAL_RUN_COLUMNS = (
    "description",
    "username",
    "input_hash",
    "started_at",
    "completed_at",
    "duration_seconds",
    "error_message",
)
SCHEMA_COLUMNS = (
    "direction",
    "name",
    "type",
    "units",
    "min_value",
    "max_value",
    "description",
    "options_json",
    "required",
    "default_kind",
    "default_json",
)
ARTIFACT_COLUMNS = (
    "name",
    "sha256",
    "size",
    "content_type",
    "category",
    "description",
    "created_at",
)


class RunFileError(Exception):
    """An uploaded file that cannot be registered; ``status`` is the HTTP status to answer."""

    def __init__(
        self, message: str, status: int = 422, code: str = "invalid_run_file", details=None
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.details = details or {}


@dataclass
class Parameter:
    """One input or output value read from a run file.

    Only small values are kept: ``value`` is the value itself when its JSON
    is at most ``Limits.max_embedded_value_bytes``, else a ``truncated``
    marker (the whole value stays in the stored run file). ``ValueReader``
    reads a value back, one at a time: for the index's JSON of a list or
    dict up to ``max_value_json_bytes`` as its row is written, and for the
    view of one result. So a run file's values are never all in memory.
    """

    param_class: str
    name: str
    value_type: str  # the stored value kind: int, float, str, bool, null, list, dict, array, bytes
    value: object
    json_bytes: int  # size of the value's JSON in the run file (0 for bytes)
    indexed_json: bool  # neither a number nor a short string, small enough for the index's JSON
    truncated: bool  # too large to embed: ``value`` is the marker
    num_value: float | None
    str_value: str | None
    declared_type: str | None = None
    units: str | None = None
    description: str | None = None


@dataclass
class RunRecord:
    """Everything the service stores about one run file."""

    schema_version: int
    metadata: dict
    parameters: list[Parameter] = field(default_factory=list)
    schemas: list[dict] = field(default_factory=list)
    artifacts: list[dict] = field(default_factory=list)
    limits: "Limits | None" = None  # what it was read with (ValueReader reads with them too)


@dataclass
class Limits:
    """Caps on what one run file may hold."""

    max_parameters: int = 10000
    max_artifacts: int = 10000
    max_value_json_bytes: int = 1024 * 1024
    timeout_seconds: float = 10.0
    max_embedded_value_bytes: int = 4096


def truncated_marker(kind: str, json_bytes: int) -> dict:
    """What stands in for a value too large to embed in a result (see the README)."""
    return {"truncated": True, "value_type": kind, "json_bytes": json_bytes}


def _open(path: Path, limits: Limits) -> sqlite3.Connection:
    with open(path, "rb") as stream:
        if stream.read(16) != SQLITE_MAGIC:
            raise RunFileError("the upload is not a SQLite database", code="not_a_run_database")
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    connection = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA query_only = ON")
    connection.execute("PRAGMA trusted_schema = OFF")
    connection.setlimit(
        sqlite3.SQLITE_LIMIT_LENGTH, max(limits.max_value_json_bytes * 2, 1_000_000)
    )
    deadline = time.monotonic() + limits.timeout_seconds
    # Non-zero return aborts the statement (a crafted or corrupt file that loops).
    connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 10000)
    return connection


def _text(value, what: str, max_length: int | None = None, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise RunFileError(f"{what} is missing")
        return None
    if not isinstance(value, str):
        raise RunFileError(f"{what} must be text, not {type(value).__name__}")
    if max_length is not None and len(value) > max_length:
        raise RunFileError(f"{what} is longer than {max_length} characters")
    problem = text_problem(value)
    if problem:
        raise RunFileError(f"{what} {problem}")
    return value


def _check_text_inside(value, what: str, name: str) -> None:
    """Refuse a decoded JSON value holding a string or key that breaks the text rule."""
    found = find_bad_text(value)
    if found:
        path, problem = found
        where = "" if path == "value" else f" at {path}"
        raise RunFileError(f"{what}{where} {problem}", details={"parameter": name})


def _as_double(value) -> float | None:
    """``value`` as a finite double, or None (NaN, the infinities, integers beyond 1.8e308)."""
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _number(value, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RunFileError(f"{what} must be a number, not {type(value).__name__}")
    value = float(value)
    return value if math.isfinite(value) else None


def _decode(kind, value_json, what: str):
    """The Python value of a stored typed value, checked against its kind."""
    if kind not in VALUE_KINDS:
        raise RunFileError(f"{what} has an unknown value kind {kind!r}")
    if kind == "bytes":
        return None
    if not isinstance(value_json, str):
        raise RunFileError(f"{what} has no JSON value")
    try:
        if _LONG_DIGIT_RUN.search(value_json):
            # orjson reads an integer past 64 bits as a float, silently
            # dropping digits; the standard parser keeps every one.
            raise orjson.JSONDecodeError("long digit run", value_json, 0)
        value = orjson.loads(value_json)
    except orjson.JSONDecodeError:
        # NaN, the infinities and integers past 64 bits, which only the
        # standard parser reads (and a malformed value, which neither does).
        try:
            value = json.loads(value_json)
        except (ValueError, RecursionError):
            raise RunFileError(f"{what} holds malformed JSON") from None
    expected = {
        "null": type(None),
        "bool": bool,
        "int": int,
        "float": (int, float),
        "str": str,
        "list": list,
        "dict": dict,
        "array": list,
    }[kind]
    if not isinstance(value, expected) or (kind == "int" and isinstance(value, bool)):
        raise RunFileError(f"{what} does not hold a {kind}")
    if kind == "float" and isinstance(value, int):
        number = _as_double(value)
        if number is None:
            raise RunFileError(f"{what} holds a float beyond the range of a double")
        return number
    return value


def _tables(connection) -> dict[str, str]:
    return {
        name: kind
        for kind, name in connection.execute(
            "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view')"
        )
    }


def _columns(connection, table: str) -> set[str]:
    # table names come from the fixed lists above, never from the file
    return {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}


def _check_layout(connection) -> tuple[int, dict[str, set[str]]]:
    tables = _tables(connection)
    if "schema_version" not in tables:
        raise RunFileError(
            "not a sim2l run database (it has no schema_version table)", code="not_a_run_database"
        )
    columns = {}
    for table, required in REQUIRED_COLUMNS.items():
        if tables.get(table) != "table":
            raise RunFileError(
                f"not a sim2l run database: table {table!r} is missing", code="not_a_run_database"
            )
        columns[table] = _columns(connection, table)
        missing = required - columns[table]
        if missing:
            raise RunFileError(
                f"table {table!r} lacks column(s) {', '.join(sorted(missing))}",
                code="not_a_run_database",
            )
    for table in ("parameter_schemas", "artifacts"):
        columns[table] = _columns(connection, table) if tables.get(table) == "table" else set()
    version = connection.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    if (
        isinstance(version, bool)
        or not isinstance(version, int)
        or version not in KNOWN_SCHEMA_VERSIONS
    ):
        raise RunFileError(
            f"unsupported run database schema version {version!r}; this service reads versions "
            f"{', '.join(map(str, sorted(KNOWN_SCHEMA_VERSIONS)))}",
            code="unsupported_schema_version",
        )
    return version, columns


def _select(columns_present: set[str], wanted: tuple[str, ...]) -> str:
    return ", ".join(name if name in columns_present else "NULL" for name in wanted)


def _metadata(connection, columns: set[str]) -> dict:
    wanted = (
        "execution_id",
        "simulation_name",
        "simulation_version",
        "status",
        "created_at",
        *OPTIONAL_RUN_COLUMNS,
    )
    rows = connection.execute(f"SELECT {_select(columns, wanted)} FROM run LIMIT 2").fetchall()  # noqa: S608 (fixed SQL; values are bound parameters)
    if len(rows) != 1:
        raise RunFileError(f"the run table must hold exactly one row, not {len(rows)}")
    row = dict(zip(wanted, rows[0], strict=True))
    metadata = {
        "execution_id": _text(row["execution_id"], "run.execution_id", 128, required=True),
        "simulation_name": _text(row["simulation_name"], "run.simulation_name", NAME_MAX) or "",
        "simulation_version": _text(row["simulation_version"], "run.simulation_version", 100) or "",
        "status": _text(row["status"], "run.status", 50, required=True),
        "description": _text(row["description"], "run.description", 100_000),
        "username": _text(row["username"], "run.username", 200),
        "input_hash": _text(row["input_hash"], "run.input_hash", 200),
        "error_message": _text(row["error_message"], "run.error_message", 100_000),
    }
    for key in ("created_at", "started_at", "completed_at", "duration_seconds"):
        metadata[key] = _number(row[key], f"run.{key}")
    return metadata


def _parameters(
    connection, table: str, param_class: str, columns: set[str], limits: Limits, budget: int
) -> list[Parameter]:
    wanted = ("name", "type", "value_kind", "value_json", "units", "description")
    cursor = connection.execute(
        f"SELECT {_select(columns, wanted)} FROM {table} ORDER BY name LIMIT ?",  # noqa: S608 (fixed SQL)
        (budget + 1,),
    )
    parameters = []
    for name, declared, kind, value_json, units, description in cursor:
        if len(parameters) >= budget:
            raise RunFileError(f"the run holds more than {limits.max_parameters} parameters")
        what = f"{param_class} {str(name)[:60]!r}"
        name = _text(name, f"a name in {table}", NAME_MAX, required=True)
        if not name:
            raise RunFileError(f"an empty name in {table}")
        value = _decode(kind, value_json, what)
        _check_text_inside(value, what, name)
        json_bytes = 0 if kind == "bytes" else len(value_json)
        num_value = str_value = None
        if kind in ("int", "float", "bool"):
            # Integers past a double's range keep every digit in the value;
            # they are searchable as numbers where they fit a double.
            num_value = _as_double(value)
        elif (
            kind == "str"
            and len(value) <= STRING_INDEX_MAX
            and len(value.encode("utf-8", "surrogatepass")) <= STRING_INDEX_MAX
        ):
            str_value = value
        if kind == "float" and num_value is None:
            value = None  # NaN and the infinities have no JSON form
        indexed_json = (
            kind != "bytes"
            and num_value is None
            and str_value is None
            and json_bytes <= limits.max_value_json_bytes
        )
        truncated = json_bytes > limits.max_embedded_value_bytes
        if truncated:
            value = truncated_marker(kind, json_bytes)  # the decoded value is dropped here
        parameters.append(
            Parameter(
                param_class=param_class,
                name=name,
                value_type=kind,
                value=value,
                json_bytes=json_bytes,
                indexed_json=indexed_json,
                truncated=truncated,
                num_value=num_value,
                str_value=str_value,
                declared_type=_text(declared, f"{what} type", 50),
                units=_text(units, f"{what} units", 100),
                description=_text(description, f"{what} description", 10_000),
            )
        )
    return parameters


def _schemas(connection, columns: set[str], limits: Limits) -> list[dict]:
    if not {"direction", "name"} <= columns:
        return []
    cursor = connection.execute(
        f"SELECT {_select(columns, SCHEMA_COLUMNS)} FROM parameter_schemas "  # noqa: S608 (fixed SQL; values are bound parameters)
        "ORDER BY direction, name LIMIT ?",
        (limits.max_parameters + 1,),
    )
    schemas = []
    for row in cursor:
        if len(schemas) >= limits.max_parameters:
            raise RunFileError(
                f"the run declares more than {limits.max_parameters} parameter schemas"
            )
        entry = dict(zip(SCHEMA_COLUMNS, row, strict=True))
        direction = entry["direction"]
        if direction not in ("input", "output"):
            raise RunFileError("parameter_schemas.direction must be 'input' or 'output'")
        name = _text(entry["name"], "parameter_schemas.name", NAME_MAX, required=True)
        default = None
        if entry["default_kind"] is not None and entry["default_kind"] != "bytes":
            default = _decode(entry["default_kind"], entry["default_json"], f"default of {name!r}")
            _check_text_inside(default, f"default of {name!r}", name)
        options = _options(entry["options_json"], name)
        _check_text_inside(options, f"options of {name!r}", name)
        schemas.append(
            {
                "param_class": direction,
                "name": name,
                "type": _text(entry["type"], f"type of {name!r}", 50),
                "units": _text(entry["units"], f"units of {name!r}", 100),
                "min_value": _number(entry["min_value"], f"min of {name!r}"),
                "max_value": _number(entry["max_value"], f"max of {name!r}"),
                "default": default,
                "description": _text(entry["description"], f"description of {name!r}", 10_000),
                "options": options,
                "required": bool(entry["required"])
                if isinstance(entry["required"], int)
                else False,
            }
        )
    return schemas


def _options(options_json, name: str):
    if options_json is None:
        return None
    if not isinstance(options_json, str):
        raise RunFileError(f"options of {name!r} must be JSON text")
    try:
        options = json.loads(options_json)
    except (ValueError, RecursionError):
        raise RunFileError(f"options of {name!r} hold malformed JSON") from None
    if not isinstance(options, (list, dict)):
        raise RunFileError(f"options of {name!r} must be a list or an object")
    return options


def _artifacts(connection, columns: set[str], limits: Limits) -> list[dict]:
    if "name" not in columns:
        return []
    cursor = connection.execute(
        f"SELECT {_select(columns, ARTIFACT_COLUMNS)} FROM artifacts ORDER BY name LIMIT ?",  # noqa: S608 (fixed SQL; values are bound parameters)
        (limits.max_artifacts + 1,),
    )
    artifacts = []
    for row in cursor:
        if len(artifacts) >= limits.max_artifacts:
            raise RunFileError(f"the run lists more than {limits.max_artifacts} artifacts")
        entry = dict(zip(ARTIFACT_COLUMNS, row, strict=True))
        size = entry["size"]
        artifacts.append(
            {
                "name": _text(entry["name"], "an artifact name", 1000, required=True),
                "sha256": _text(entry["sha256"], "an artifact sha256", 64),
                "size": size
                if isinstance(size, int) and not isinstance(size, bool) and size >= 0
                else None,
                "content_type": _text(entry["content_type"], "an artifact content type", 200),
                "category": _text(entry["category"], "an artifact category", 100),
                "description": _text(entry["description"], "an artifact description", 10_000),
                "created_at": _number(entry["created_at"], "an artifact time"),
            }
        )
    return artifacts


class ValueReader:
    """Reads single values of a run file again, one at a time (``with ValueReader(...)``)."""

    def __init__(self, path: Path, limits: Limits):
        self.path = Path(path)
        self.limits = limits
        self.connection = None

    def __enter__(self) -> "ValueReader":
        self.connection = _open(self.path, self.limits)
        return self

    def __exit__(self, *exc_info) -> None:
        self.connection.close()

    def value(self, param_class: str, name: str):
        """The whole value of one parameter (already checked by ``read_run_file``)."""
        table = "inputs" if param_class == "input" else "outputs"
        row = self.connection.execute(
            f"SELECT value_kind, value_json FROM {table} WHERE name = ?",  # noqa: S608 (fixed table)
            (name,),
        ).fetchone()
        if row is None:
            raise RunFileError(f"{param_class} {name[:60]!r} disappeared from the run file")
        return _decode(row[0], row[1], f"{param_class} {name[:60]!r}")


def read_run_file(path: Path, limits: Limits | None = None) -> RunRecord:
    """Introspect the run file at ``path``; raise ``RunFileError`` when it cannot be registered."""
    limits = limits or Limits()
    connection = None
    try:
        connection = _open(Path(path), limits)
        version, columns = _check_layout(connection)
        metadata = _metadata(connection, columns["run"])
        inputs = _parameters(
            connection, "inputs", "input", columns["inputs"], limits, limits.max_parameters
        )
        outputs = _parameters(
            connection,
            "outputs",
            "output",
            columns["outputs"],
            limits,
            limits.max_parameters - len(inputs),
        )
        return RunRecord(
            schema_version=version,
            metadata=metadata,
            parameters=inputs + outputs,
            schemas=_schemas(connection, columns["parameter_schemas"], limits),
            artifacts=_artifacts(connection, columns["artifacts"], limits),
            limits=limits,
        )
    except sqlite3.OperationalError as error:
        if "interrupt" in str(error).lower():
            raise RunFileError(
                "reading the run file took too long", code="run_file_too_slow"
            ) from None
        raise RunFileError(
            "the run file cannot be read: it is damaged or not a run database",
            code="not_a_run_database",
        ) from None
    except (sqlite3.DatabaseError, sqlite3.Warning, MemoryError, OverflowError):
        raise RunFileError(
            "the run file cannot be read: it is damaged or not a run database",
            code="not_a_run_database",
        ) from None
    finally:
        if connection is not None:
            connection.close()
