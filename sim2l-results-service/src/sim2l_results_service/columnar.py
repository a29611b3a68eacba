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

Every chunk is read from open database cursors as the client takes it, so the
service holds one chunk, never the whole answer. One statement joins every
chosen parameter to the matching runs (one index probe per value); more than
``COLUMNS_PER_STATEMENT`` parameters are split over statements read in
lockstep inside one snapshot (SQLite joins at most 64 tables). On PostgreSQL
the statements are server-side cursors (``DECLARE ... FETCH``) in a
``REPEATABLE READ`` transaction, so the rows stay in the database until asked for.
"""

import datetime
import itertools
import logging

import orjson
from sim2l_service_kit import APIError

from sim2l_results_service.models import database_proxy
from sim2l_results_service.models import execute
from sim2l_results_service.models import uses_question_marks
from sim2l_results_service.queries import where_clause

CHUNK_ROWS = 5000
COLUMNS_PER_STATEMENT = 48
MAX_COLUMNS = 2000
METADATA_COLUMNS = ("execution_id", "status", "created_at")
METADATA_TYPES = {"execution_id": "string", "status": "string", "created_at": "datetime"}
PREFIXES = {"input": "inputs.", "output": "outputs."}
_UTC = datetime.UTC
_DUMPS = orjson.OPT_UTC_Z

logger = logging.getLogger(__name__)


def _invalid(field: str, message: str) -> APIError:
    return APIError(400, "validation_error", "the request is not valid", {field: [message]})


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
        raise _invalid(
            "columns",
            f"no parameter named {', '.join(repr(name) for name in unknown)} in the runs of "
            "this simulation",
        )
    return chosen


def _decode_int(number, text, json_text):
    return None if number is None else int(number)


def _decode_bool(number, text, json_text):
    return None if number is None else number != 0


def _decode_float(number, text, json_text):
    return number


def _decode_str(number, text, json_text):
    if text is not None:
        return text
    return None if json_text is None else orjson.Fragment(json_text)  # a long string


def _decode_json(number, text, json_text):
    return None if json_text is None else orjson.Fragment(json_text)


def _decode_none(number, text, json_text):
    return None


# value_type -> how the stored columns make the value (see runfile.Parameter)
_DECODERS = {
    "float": _decode_float,
    "int": _decode_int,
    "bool": _decode_bool,
    "str": _decode_str,
    "list": _decode_json,
    "dict": _decode_json,
    "array": _decode_json,
    "null": _decode_none,
    "bytes": _decode_none,
    None: _decode_none,  # the run lacks the parameter
}


def _statement(where: str, parameters: list[tuple[str, str]], with_metadata: bool) -> tuple:
    """One SELECT of the matching runs with a LEFT JOIN per parameter, in result id order."""
    selected = ["r.id"]
    if with_metadata:
        selected += ["r.execution_id", "r.status", "r.created_at"]
    joins, params = [], []
    for index, (param_class, name) in enumerate(parameters):
        alias = f"v{index}"
        selected += [
            f"{alias}.value_type",
            f"{alias}.num_value",
            f"{alias}.str_value",
            f"{alias}.json_value",
        ]
        joins.append(
            f"LEFT JOIN results_parameter_value {alias} ON {alias}.result_id = r.id "
            f"AND {alias}.param_class = ? AND {alias}.name = ?"
        )
        params += [param_class, name]
    sql = (
        f"SELECT {', '.join(selected)} FROM results_result r {' '.join(joins)} "  # noqa: S608 (fixed SQL; values are bound parameters)
        f"WHERE {where} ORDER BY r.id"
    )
    return sql, params


class _Reader:
    """Rows of one statement, ``CHUNK_ROWS`` at a time, without reading ahead of the client."""

    def __init__(self, sql: str, params: list, name: str):
        self.server_side = not uses_question_marks()
        if self.server_side:
            self.name = name
            execute(f"DECLARE {name} NO SCROLL CURSOR FOR {sql}", params)
        else:
            self.cursor = execute(sql, params)

    def fetch(self) -> list:
        if self.server_side:
            return execute(f"FETCH FORWARD {CHUNK_ROWS} FROM {self.name}").fetchall()
        return self.cursor.fetchmany(CHUNK_ROWS)


def _column_values(rows: list, offset: int) -> list:
    decoders = _DECODERS
    return [
        decoders[row[offset]](row[offset + 1], row[offset + 2], row[offset + 3]) for row in rows
    ]


def _chunk(row_groups: list[list], groups: list[list], names: list[str]) -> bytes:
    first = row_groups[0]
    ids = [row[0] for row in first]
    for rows in row_groups[1:]:
        if [row[0] for row in rows] != ids:  # the same WHERE and order in one snapshot
            raise RuntimeError("the column statements disagree on the matching runs")
    columns = {
        "execution_id": [row[1] for row in first],
        "status": [row[2] for row in first],
        "created_at": [
            None if row[3] is None else datetime.datetime.fromtimestamp(row[3], _UTC)
            for row in first
        ],
    }
    position = len(METADATA_COLUMNS)
    for rows, group, offset in zip(row_groups, groups, _offsets(groups), strict=True):
        for index in range(len(group)):
            columns[names[position]] = _column_values(rows, offset + 4 * index)
            position += 1
    return orjson.dumps({"rows": len(ids), "columns": columns}, option=_DUMPS) + b"\n"


def _offsets(groups: list[list]) -> list[int]:
    # the first statement carries id + 3 metadata columns, the others only the id
    return [1 + len(METADATA_COLUMNS) if index == 0 else 1 for index in range(len(groups))]


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
    groups = [
        parameters[start : start + COLUMNS_PER_STATEMENT]
        for start in range(0, len(parameters), COLUMNS_PER_STATEMENT)
    ] or [[]]
    database = database_proxy.obj
    with database.atomic():
        if not uses_question_marks():
            # one snapshot for every statement; nothing here writes
            execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        readers = []
        for index, group in enumerate(groups):
            sql, params = _statement(where, group, with_metadata=index == 0)
            readers.append(_Reader(sql, params + where_params, f"sim2l_columns_{index}"))
        yield orjson.dumps(header) + b"\n"
        count = 0
        try:
            while True:
                row_groups = [reader.fetch() for reader in readers]
                if not row_groups[0]:
                    break
                count += len(row_groups[0])
                yield _chunk(row_groups, groups, names)
        except Exception:
            logger.exception("the columnar answer failed after %d rows", count)
            error = {"code": "internal_error", "message": "the answer failed part way"}
            yield orjson.dumps({"error": error}) + b"\n"
            return
        yield orjson.dumps({"count": count}) + b"\n"


def first_and_rest(lines):
    """Run ``lines`` up to its first line now (errors become responses); chain the rest."""
    first = next(lines)
    return itertools.chain([first], lines)
