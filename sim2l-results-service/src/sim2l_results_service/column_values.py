"""One parameter's values for a chunk of runs, read with as little Python per value as can be.

The columnar answer's time goes into turning database rows into Python
objects, so a reader fetches only the columns a chunk needs:

- the first chunk, and any chunk after one that was not uniform, reads
  ``result_id, value_type, num_value, str_value`` and decodes value by value
  (mixed kinds, missing values, values kept only as JSON);
- once a chunk held the parameter for every run, all of one simple kind
  (float, int, bool, or a string short enough to be indexed), the next chunk
  asks for just that kind's value column, ``ORDER BY result_id``, from the
  same index (``results_value_column``). When the chunk's runs are
  consecutive ids, the rows are the values in run order (the primary key
  allows one row per run); otherwise they carry their ``result_id``. Any run
  the narrow read does not cover (missing, another kind) sends the chunk back
  to the full read, which learns the kind anew.

A chunk of a few runs spread over many ids (what a selective filter leaves)
is read by key instead, ``result_id IN (...)``: scanning the range would read,
and hold, every run in between.

The answer is the same either way; only the work differs.
"""

from itertools import chain

import numpy
import orjson
from sim2l_service_kit import format_timestamp

from sim2l_results_service.models import execute
from sim2l_results_service.models import uses_question_marks
from sim2l_results_service.parameter_key import key_condition
from sim2l_results_service.parameter_key import key_of
from sim2l_results_service.parameter_key import text_of

# the stored columns a value is decoded from (``_DECODERS``, with json_value when needed)
_STORED = ("value_type", "num_value", "str_value")
# value_type -> the stored column holding it whole, for the kinds read narrowly
_NARROW_COLUMN = {"float": "num_value", "int": "num_value", "bool": "num_value", "str": "str_value"}


def _ints(raw: list) -> list:
    return list(map(int, raw))


def _bools(raw: list) -> list:
    return list(map(bool, raw))


# how a narrow read's raw values become the answer's (no NULL among them but a float's)
_NARROW_DECODE = {"float": list, "int": _ints, "bool": _bools, "str": list}
_JSON_KINDS = ("list", "dict", "array", "str")
# PostgreSQL, runs by key: for each parameter, one scan of its key index
# (``parameter_key``, the key computed once per parameter) with the ids as
# its array condition, a probe per id, whatever their number.
# - The array is a subquery's result, so the planner plans without its
#   length: shown 5,000 ids, it weighed 5,000 probes against the parameter's
#   whole range and scanned the range instead, testing every run's id (20 ms
#   per parameter at 100,000 runs against 11 probing), and took 5 ms to plan
#   the constants.
# - ``OFFSET 0`` keeps each parameter's read a subquery of its own: flattened
#   into the join, the planner could read every parameter of the ids from the
#   primary key (whose pages hold whole runs) and hash-join the keys.
# - The ids travel as one array literal, parsed whole by the server (a list
#   becomes ARRAY[...], a constant per id).
# Earlier each (run, parameter) was a LATERAL subquery of its own (``LIMIT
# 1``); against it, 6 parameters of 5,000 / 500 / 50 runs at 100,000 runs:
# 0.60 / 0.66 / 0.75 of the time (in one process, interleaved).
# - Each parameter's rows come back as one row of arrays, a column each
#   (``{aggregates}``): psycopg2 parses an array in C, where a row per value
#   cost Python a tuple and an append each.
_PROBES = (
    "SELECT p.param_class, p.name, {aggregates} FROM "  # noqa: S608 (fixed SQL)
    f"(SELECT u.param_class, u.name, {text_of('u')} AS whole, {key_of('u')} AS key "
    "FROM unnest(?::text[], ?::text[]) AS u(param_class, name)) p CROSS JOIN LATERAL ("
    "SELECT result_id, {columns} FROM results_parameter_value w WHERE "
    f"{key_condition('w', 'p.whole', 'p.key')} "
    "AND w.result_id = ANY((SELECT ?::bigint[])::bigint[]) OFFSET 0) v "
    "GROUP BY p.param_class, p.name"
)
# PostgreSQL: a narrow column of consecutive runs as the text of one JSON array,
# written by the server (``ColumnReader._as_json``), each kind's value as
# Python writes it:
# - float: the shortest text that reads back as the same double
#   (``extra_float_digits`` 1, set for the answer's transaction); a whole number
#   below 1e15 has neither exponent nor point ("300"), so it gets ".0" to stay a
#   float; NULL (a NaN, an infinity) is null;
# - bool: true or false; str: a JSON string (``to_json``).
# ``ARRAY(... ORDER BY result_id)`` reads the index in run order; an ordered
# aggregate would sort what is already sorted (PostgreSQL 15).
_JSON_OF_KIND = {
    "float": "CASE WHEN num_value IS NULL THEN 'null' WHEN num_value = trunc(num_value) "
    "AND abs(num_value) < 1e15 THEN num_value::text || '.0' ELSE num_value::text END",
    "bool": "CASE WHEN num_value <> 0 THEN 'true' ELSE 'false' END",
    "str": "to_json(str_value)::text",
}


def _narrow_rows(kind: str) -> str:
    """SQL from FROM on: one parameter's rows of a run range holding it as ``kind``, in run order.

    Bind ``param_class, name, first id, last id, kind``. A float's NULL is a
    value (a NaN or an infinity); the other kinds hold theirs whole.
    """
    held = "" if kind == "float" else f" AND {_NARROW_COLUMN[kind]} IS NOT NULL"
    return (
        "FROM results_parameter_value WHERE param_class = ? AND name = ? "
        f"AND result_id BETWEEN ? AND ? AND value_type = ?{held} ORDER BY result_id"
    )


_AS_JSON = {
    kind: f"WITH a AS MATERIALIZED (SELECT ARRAY(SELECT {expression} {_narrow_rows(kind)}) "  # noqa: S608 (fixed SQL; values are bound parameters)
    "AS v) SELECT cardinality(v), array_to_string(v, ',') FROM a"
    for kind, expression in _JSON_OF_KIND.items()
}
# A chunk whose ids span more than SPARSE_SPAN times their number is read by
# key (at 100,000 runs, 1 % of them: 0.89 s scanned, 37 ms by key on SQLite).
SPARSE_SPAN = 4
KEY_BATCH = 500  # ids per IN list (SQLite)
PROBED_ROWS = 50_000  # at most this many values per statement of ``_probed``


def _decode_int(number, text, json_text):
    return None if number is None else int(number)


def _decode_bool(number, text, json_text):
    return None if number is None else number != 0


def _decode_float(number, text, json_text):
    return number  # NaN and the infinities are stored as NULL: null


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


def is_sparse(ids: list[int]) -> bool:
    """Whether a chunk's runs (ascending ids) are few among many ids: read by key."""
    return ids[-1] - ids[0] + 1 > SPARSE_SPAN * len(ids)


def read_sparse(readers: list["ColumnReader"], ids: list[int]) -> list[list]:
    """Every reader's values for a sparse chunk ``ids``; on PostgreSQL in one statement.

    One statement probes each run for each parameter, where one statement
    per parameter paid a round trip and a plan each (six parameters of 86
    runs among 10,000: 8.2 -> 5.5 ms for the whole answer, in the service's
    process). SQLite, whose statements cost no round trip, reads each
    parameter by itself.
    """
    if uses_question_marks() or not readers:
        return [reader.read(ids) for reader in readers]
    keys = [(reader.param_class, reader.name) for reader in readers]
    found = _probed(ids, keys, _STORED)
    return [reader.read(ids, found[key]) for reader, key in zip(readers, keys, strict=True)]


def _probed(ids: list[int], keys: list[tuple[str, str]], columns: tuple[str, ...]) -> dict:
    """PostgreSQL: ``{(param_class, name): [(result_id, *columns)]}`` of the runs ``ids``."""
    found: dict[tuple[str, str], list] = {key: [] for key in keys}
    aggregates = ", ".join(f"array_agg(v.{column})" for column in ("result_id", *columns))
    sql = _PROBES.format(columns=", ".join(columns), aggregates=aggregates)
    classes, names = [key[0] for key in keys], [key[1] for key in keys]
    size = max(1, PROBED_ROWS // len(keys))  # runs per statement
    for start in range(0, len(ids), size):
        array = "{" + ",".join(map(str, ids[start : start + size])) + "}"
        for param_class, name, *arrays in execute(sql, (classes, names, array)):
            found[(param_class, name)] += zip(*arrays, strict=True)
    return found


class ColumnReader:
    """One parameter's values, chunk after chunk, learning from each chunk how to read the next."""

    def __init__(self, param_class: str, name: str):
        self.param_class = param_class
        self.name = name
        self.kind = None  # the one simple kind of the last chunk, if it was uniform

    def read(self, ids: list[int], probed: list | None = None) -> list:
        """The values for the runs ``ids`` (ascending), ``None`` where a run lacks the parameter.

        ``probed``: this parameter's rows of ``ids``, already read by key
        (``read_sparse``).
        """
        if probed is not None:
            return self._decode(ids, probed)
        if is_sparse(ids):
            # a few runs among many (a selective filter): a key probe per run
            # costs less than scanning, and holding, every run of the range
            return self._decode(ids, self._by_key(ids, _STORED))
        if self.kind is not None:
            values = self._read_narrow(ids)
            if values is not None:
                return values
        rows = execute(
            "SELECT result_id, value_type, num_value, str_value FROM results_parameter_value "
            "WHERE param_class = ? AND name = ? AND result_id BETWEEN ? AND ?",
            (self.param_class, self.name, ids[0], ids[-1]),
        ).fetchall()
        return self._decode(ids, rows)

    def _read_narrow(self, ids: list[int]) -> list | None:
        """The values if every run of ``ids`` holds the parameter as ``self.kind``, else None."""
        kind = self.kind
        column = _NARROW_COLUMN[kind]
        consecutive = ids[-1] - ids[0] + 1 == len(ids)
        if consecutive and kind in _AS_JSON and not uses_question_marks():
            return self._as_json(ids)
        rows = execute(
            f"SELECT {column if consecutive else 'result_id, ' + column} {_narrow_rows(kind)}",  # noqa: S608 (fixed SQL; values are bound parameters)
            (self.param_class, self.name, ids[0], ids[-1], kind),
        ).fetchall()
        if consecutive:
            # every id in the range is a run of the chunk, and holds one row at most
            raw = list(chain.from_iterable(rows)) if len(rows) == len(ids) else None
        else:
            found = dict(rows)  # may hold runs of other simulations between the chunk's
            raw = list(map(found.get, ids)) if all(map(found.__contains__, ids)) else None
        if raw is None:
            return None
        return _NARROW_DECODE[kind](raw)

    def _as_json(self, ids: list[int]) -> orjson.Fragment | None:
        """PostgreSQL: the values of the consecutive runs ``ids`` as one JSON array, or None.

        None when a run of ``ids`` lacks the parameter or holds it as another
        kind. The server writes the array's text (``_AS_JSON``): turning 5,000
        rows into Python values and writing them out again cost more.
        """
        count, text = execute(
            _AS_JSON[self.kind], (self.param_class, self.name, ids[0], ids[-1], self.kind)
        ).fetchone()
        if count != len(ids):  # the primary key allows one row per run
            return None
        return orjson.Fragment(f"[{text}]")

    def _decode(self, ids: list[int], rows: list) -> list:
        """``rows`` decoded one by one, in ``ids`` order; learns if the next chunk may be narrow."""
        need_json = [
            row[0]
            for row in rows
            if row[1] in _JSON_KINDS and row[3] is None  # kept as JSON only
        ]
        json_texts = dict(self._by_key(need_json, ("json_value",))) if need_json else {}
        decoders = _DECODERS
        found = {
            result_id: decoders[kind](number, text, json_texts.get(result_id))
            for result_id, kind, number, text in rows
        }
        values = list(map(found.get, ids))
        kinds = {row[1] for row in rows}
        uniform = (
            len(kinds) == 1
            and not need_json
            and all(map(found.__contains__, ids))
            and (kinds == {"float"} or None not in values)
        )
        self.kind = kinds.pop() if uniform and kinds <= _NARROW_COLUMN.keys() else None
        return values

    def _by_key(self, result_ids: list[int], columns: tuple[str, ...]) -> list:
        """``(result_id, *columns)`` of the runs ``result_ids`` that hold the parameter, by key."""
        key = (self.param_class, self.name)
        if not uses_question_marks():
            return _probed(result_ids, [key], columns)[key]
        rows = []
        for start in range(0, len(result_ids), KEY_BATCH):
            batch = result_ids[start : start + KEY_BATCH]
            marks = ", ".join("?" * len(batch))
            rows += execute(
                f"SELECT result_id, {', '.join(columns)} FROM results_parameter_value "  # noqa: S608 (fixed SQL; values are bound parameters)
                f"WHERE param_class = ? AND name = ? AND result_id IN ({marks})",
                (*key, *batch),
            ).fetchall()
        return rows


# datetime's range (years 1 to 9999) in epoch microseconds: format_timestamp refuses the rest
_FIRST_MICROSECOND = -62135596800 * 1_000_000
_PAST_LAST_MICROSECOND = 253402300800 * 1_000_000


def timestamps(seconds: list) -> list:
    """``format_timestamp`` of every value, for a whole column at once.

    Formatting 100,000 times one at a time costs more than reading them; numpy
    does it in one pass. Microseconds are rounded half to even from the
    fraction of the second, exactly as ``datetime.fromtimestamp`` rounds.
    A column holding None, or a time datetime cannot show, goes value by value
    (where format_timestamp raises as it always did).
    """
    if not seconds or None in seconds:
        return [format_timestamp(value) for value in seconds]
    values = numpy.array(seconds, dtype=numpy.float64)
    # a day either side of datetime's range keeps int64 microseconds exact; NaN fails here too
    if not (values.min() >= -62135683200.0 and values.max() <= 253402387200.0):
        return [format_timestamp(value) for value in seconds]
    fraction, whole = numpy.modf(values)
    micros = whole.astype(numpy.int64) * 1_000_000 + numpy.rint(fraction * 1e6).astype(numpy.int64)
    if micros.min() < _FIRST_MICROSECOND or micros.max() >= _PAST_LAST_MICROSECOND:
        return [format_timestamp(value) for value in seconds]
    text = numpy.datetime_as_string(micros.astype("datetime64[us]"), unit="us")
    return [value + "Z" for value in text.tolist()]
