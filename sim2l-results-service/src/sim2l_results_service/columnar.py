"""All matching runs of a simulation as columns, streamed as NDJSON.

``POST /results/columns`` answers newline-delimited JSON (``application/x-ndjson``),
one object per line:

1. the header: ``{"simulation_name", "simulation_version", "columns": [names],
   "types": {name: type}, "units": {name: units}}``;
2. any number of chunks, each ``{"rows": n, "columns": {name: [n values]}}``
   holding the next ``n`` runs (at most ``CHUNK_ROWS``), the arrays in header order;
3. the trailer ``{"count": total}``. A stream that ends without it was cut
   short; an ``{"error": {...}}`` line instead says why.

The columns are ``execution_id``, ``status``, ``created_at`` (RFC 3339, UTC),
then ``inputs.<name>`` and ``outputs.<name>``; a run without a parameter has
``null`` there, as does a float that is NaN or infinite (they have no JSON form).
Runs come in registration order (result id).

The matching runs are read from one open cursor, a chunk at a time, as the
client takes them, so the service holds one chunk, never the whole answer.
For each chunk, every chosen parameter is one index-only range scan of
``results_value_column`` (``param_class, name, result_id`` carrying the value)
over the chunk's run ids (``column_values.ColumnReader``: only the value
column once a parameter proved uniform; key probes when the chunk's runs are
few among many ids), in run order; values kept only as
JSON (lists, dicts, long strings) are fetched for just the runs that hold
them. All reads happen in one snapshot (a read transaction; ``REPEATABLE
READ`` on PostgreSQL, where the runs cursor is a server-side ``DECLARE``).
"""

import logging

import orjson
import peewee
from sim2l_service_kit import APIError

from sim2l_results_service.column_values import ColumnReader
from sim2l_results_service.column_values import is_sparse
from sim2l_results_service.column_values import read_sparse
from sim2l_results_service.column_values import timestamps
from sim2l_results_service.models import database_proxy
from sim2l_results_service.models import execute
from sim2l_results_service.models import uses_question_marks
from sim2l_results_service.queries import where_clause

CHUNK_ROWS = 5000
METADATA_COLUMNS = ("execution_id", "status", "created_at")
METADATA_TYPES = {"execution_id": "string", "status": "string", "created_at": "datetime"}
PREFIXES = {"input": "inputs.", "output": "outputs."}

logger = logging.getLogger(__name__)


def parameter_catalogue(simulation_name: str, simulation_version: str | None) -> dict:
    """``{(param_class, name): schema}`` from the schemas seen in the runs (latest first wins)."""
    sql = (
        "SELECT param_class, name, schema_json FROM results_parameter_schema "
        "WHERE simulation_name = ?"
    )
    params = [simulation_name]
    if simulation_version is not None:
        sql += " AND simulation_version = ?"
        params.append(simulation_version)
    sql += " ORDER BY param_class, name, last_seen DESC"
    catalogue = {}
    for param_class, name, schema_json in execute(sql, params):
        catalogue.setdefault((param_class, name), orjson.loads(schema_json))
    return catalogue


def choose_parameters(catalogue: dict, names: list[str] | None) -> list[tuple[str, str]]:
    """The ``(param_class, name)`` pairs asked for: all by default; a bare name takes both classes.

    ``inputs.x`` / ``outputs.x`` name one class; ``x`` names the input and the
    output called ``x``, whichever exist. ``execution_id``, ``status`` and
    ``created_at`` are always there; naming them changes nothing. An unknown
    name is a 400 naming it.
    """
    ordered = sorted(catalogue, key=lambda key: (key[0] != "input", key[1]))
    if names is None:
        return ordered
    chosen = []
    unknown = []
    for requested in names:
        if requested in METADATA_COLUMNS:
            continue
        matches = []
        for param_class, prefix in PREFIXES.items():
            if (
                requested.startswith(prefix)
                and (param_class, requested[len(prefix) :]) in catalogue
            ):
                matches = [(param_class, requested[len(prefix) :])]
                break
        if not matches:
            matches = [key for key in ordered if key[1] == requested]
        if not matches:
            unknown.append(requested)
        chosen += [key for key in matches if key not in chosen]
    if unknown:
        # A well-formed request about parameters the stored runs do not hold:
        # 422 (its content cannot be processed), not 400 (it is not malformed).
        message = (
            f"no parameter named {', '.join(repr(name) for name in unknown)} in the runs of "
            "this simulation"
        )
        raise APIError(422, "unknown_parameter", message, {"columns": [message]})
    return chosen


class _Runs:
    """The matching runs in id order, ``CHUNK_ROWS`` at a time, without reading ahead."""

    def __init__(self, where: str, params: list):
        sql = (
            "SELECT r.id, r.execution_id, r.status, r.created_at FROM results_result r "  # noqa: S608 (fixed SQL; values are bound parameters)
            f"WHERE {where} ORDER BY r.id"
        )
        self.server_side = not uses_question_marks()
        if self.server_side:
            execute(f"DECLARE sim2l_columns NO SCROLL CURSOR FOR {sql}", params)
        else:
            self.cursor = execute(sql, params)

    def fetch(self) -> list:
        if self.server_side:
            return execute(f"FETCH FORWARD {CHUNK_ROWS} FROM sim2l_columns").fetchall()
        return self.cursor.fetchmany(CHUNK_ROWS)


def _chunk(runs: list, readers: list[ColumnReader], names: list[str]) -> bytes:
    ids = [row[0] for row in runs]
    columns = {
        "execution_id": [row[1] for row in runs],
        "status": [row[2] for row in runs],
        "created_at": timestamps([row[3] for row in runs]),
    }
    values = read_sparse(readers, ids) if is_sparse(ids) else [r.read(ids) for r in readers]
    for column, column_values in zip(names[len(METADATA_COLUMNS) :], values, strict=True):
        columns[column] = column_values
    return orjson.dumps({"rows": len(ids), "columns": columns}) + b"\n"


def column_stream(criteria: dict):
    """A generator of the NDJSON lines of the columnar answer (see the module docstring).

    Validation and the header happen on the first ``next()``, so a bad request
    fails before any byte is sent; later failures end the stream with an
    ``{"error": ...}`` line and no trailer.
    """
    simulation_name = criteria["simulation_name"]
    version = criteria.get("simulation_version")
    catalogue = parameter_catalogue(simulation_name, version)
    parameters = choose_parameters(catalogue, criteria.get("columns"))
    where, where_params = where_clause(criteria)
    names = list(METADATA_COLUMNS) + [PREFIXES[c] + n for c, n in parameters]
    types = dict(METADATA_TYPES)
    units = dict.fromkeys(METADATA_COLUMNS)
    for (param_class, name), column in zip(parameters, names[len(METADATA_COLUMNS) :]):
        schema = catalogue[(param_class, name)]
        types[column] = schema.get("type")
        units[column] = schema.get("units")
    header = {
        "simulation_name": simulation_name,
        "simulation_version": version,
        "columns": names,
        "types": types,
        "units": units,
    }
    database = database_proxy.obj
    abandoned = False
    try:
        with database.atomic():
            try:
                yield from _rows_in_one_snapshot(header, where, where_params, parameters, names)
            except GeneratorExit:
                abandoned = True
                raise
    except peewee.PeeweeException:
        # A reader that stopped reading after the request ended: the read-only
        # transaction ended with its connection; nothing is left to undo.
        if not abandoned:
            raise


def _rows_in_one_snapshot(header: dict, where: str, where_params: list, parameters, names):
    """The header, the chunks and the trailer (or an error line), in the caller's transaction."""
    if not uses_question_marks():
        # one snapshot for every statement; nothing here writes
        execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        # Every row of the cursor is read, so plan it for all of them. By
        # default PostgreSQL plans a cursor for its first tenth: under two
        # range filters it then walked the runs in id order and checked
        # each against the filters' matches, 4-5 s where the plan for every
        # row (the matches intersected, then sorted) takes 15 ms (100,000
        # runs, a 10 % input range and a 25 % output range).
        # Floats written as text read back as the same doubles, whatever the
        # server's default (the server writes float columns: column_values).
        # Both settings in one round trip.
        execute("SET LOCAL cursor_tuple_fraction = 1.0; SET LOCAL extra_float_digits = 1")
    runs = _Runs(where, where_params)
    readers = [ColumnReader(param_class, name) for param_class, name in parameters]
    yield orjson.dumps(header) + b"\n"
    count = 0
    try:
        while True:
            chunk = runs.fetch()
            if not chunk:
                break
            count += len(chunk)
            yield _chunk(chunk, readers, names)
    except Exception:
        logger.exception("the columnar answer failed after %d rows", count)
        error = {"code": "internal_error", "message": "the answer failed part way"}
        yield orjson.dumps({"error": error}) + b"\n"
        return
    yield orjson.dumps({"count": count}) + b"\n"


def first_and_rest(lines):
    """Run ``lines`` up to its first line now (errors become responses); then all of it.

    The answer can be closed (WSGI servers close what they did not read, and
    so does the test client): closing it closes ``lines`` right then, inside
    the request, not later when the garbage collector gets to it.
    """
    return _PrimedLines(next(lines), lines)


class _PrimedLines:
    """The first line, already made, then the rest of ``lines``; closing closes ``lines``."""

    def __init__(self, first, lines):
        self.first = first
        self.lines = lines

    def __iter__(self):
        yield self.first
        yield from self.lines

    def close(self) -> None:
        """Close the underlying lines (their transaction and request context end now)."""
        close = getattr(self.lines, "close", None)
        if close is not None:
            close()
