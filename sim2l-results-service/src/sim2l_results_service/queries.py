"""Searches, statistics and listings, each one SQL statement run in the database.

A filter on a parameter becomes ``r.id IN (SELECT result_id FROM
results_parameter_value WHERE simulation_name = ? AND param_class = ? AND
name = ? AND <condition>)``: an index range scan on ``(simulation_name,
param_class, name, num_value)`` (numbers) or ``(..., str_value)`` (strings),
joined to the results as a semi-join. Filters are AND-combined. Numbers
compare as numbers and strings as strings; a number filter never matches a
string value and the other way round. Nothing is filtered in Python.
"""

import math

import orjson

from sim2l_results_service.models import execute
from sim2l_sessions.web import APIError

OPERATORS = ("eq", "ne", "gt", "ge", "lt", "le", "in", "between")
_COMPARISONS = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
MAX_FILTERS = 32
MAX_IN_VALUES = 1000
TIME_SORTS = ("created_at", "started_at", "completed_at", "registered_at", "duration_seconds", "execution_id")
RESULT_COLUMNS = ("r.id, r.execution_id, r.simulation_name, r.simulation_version, r.status, r.username, "
                  "r.created_at, r.completed_at, r.duration_seconds, r.registered_at, r.inputs_json, r.outputs_json")


def _invalid(field: str, message: str) -> APIError:
    return APIError(400, "validation_error", "the request is not valid", {field: [message]})


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _scalar(value, field: str):
    """``("num", float)`` or ``("str", str)`` for a comparable filter value."""
    if _is_number(value):
        number = float(value)
        if not math.isfinite(number):
            raise _invalid(field, "numbers must be finite")
        return "num", number
    if isinstance(value, str):
        return "str", value
    raise _invalid(field, f"expected a number or a string, not {type(value).__name__}")


def _condition(operator: str, operand, field: str) -> tuple[str, list]:
    """SQL condition on the value row ``v`` for one operator."""
    if operator in ("eq", "ne"):
        if operand is None:
            return ("f.value_type = 'null'" if operator == "eq" else "f.value_type <> 'null'"), []
        if isinstance(operand, bool):
            sign = "=" if operator == "eq" else "<>"
            return f"f.value_type = 'bool' AND f.num_value {sign} ?", [1.0 if operand else 0.0]
    if operator in _COMPARISONS:
        kind, value = _scalar(operand, field)
        return f"f.{kind}_value {_COMPARISONS[operator]} ?", [value]
    if operator == "in":
        if not isinstance(operand, list) or not operand or len(operand) > MAX_IN_VALUES:
            raise _invalid(field, f"'in' takes a list of 1 to {MAX_IN_VALUES} numbers or strings")
        numbers, strings = [], []
        for item in operand:
            kind, value = _scalar(item, field)
            (numbers if kind == "num" else strings).append(value)
        parts, params = [], []
        if numbers:
            parts.append(f"f.num_value IN ({', '.join('?' * len(numbers))})")
            params += numbers
        if strings:
            parts.append(f"f.str_value IN ({', '.join('?' * len(strings))})")
            params += strings
        return "(" + " OR ".join(parts) + ")", params
    # between: inclusive on both ends
    if not isinstance(operand, list) or len(operand) != 2:
        raise _invalid(field, "'between' takes a list of two values [low, high]")
    (low_kind, low), (high_kind, high) = _scalar(operand[0], field), _scalar(operand[1], field)
    if low_kind != high_kind:
        raise _invalid(field, "'between' needs two numbers or two strings")
    return f"f.{low_kind}_value BETWEEN ? AND ?", [low, high]


def _filter_clause(id_column: str, simulation_name: str, param_class: str, name, spec, field: str) -> tuple[str, list]:
    if not isinstance(name, str) or not name or len(name) > 200:
        raise _invalid(field, "parameter names are 1 to 200 characters")
    if isinstance(spec, dict):
        if not spec:
            raise _invalid(field, "an operator object needs at least one operator")
        unknown = sorted(set(spec) - set(OPERATORS))
        if unknown:
            raise _invalid(field, f"unknown operator(s) {', '.join(unknown)}; use {', '.join(OPERATORS)}")
        operators = list(spec.items())
    elif isinstance(spec, list):
        raise _invalid(field, "a list is not a value to compare; use {\"in\": [...]} or {\"between\": [a, b]}")
    else:
        operators = [("eq", spec)]  # a bare value means equality
    conditions, params = [], [simulation_name, param_class, name]
    for operator, operand in operators:
        sql, values = _condition(operator, operand, field)
        conditions.append(sql)
        params += values
    sql = (f"{id_column} IN (SELECT f.result_id FROM results_parameter_value f WHERE f.simulation_name = ? "
           "AND f.param_class = ? AND f.name = ? AND " + " AND ".join(conditions) + ")")
    return sql, params


def where_clause(criteria: dict, id_column: str = "r.id") -> tuple[str, list]:
    """The WHERE clause for simulation, version, status (on results ``r``) and parameter filters.

    ``id_column`` is the result id the filters constrain (``r.id`` in a
    search, ``v.result_id`` in statistics, where ``simulation_name`` is
    checked on the values themselves).
    """
    conditions, params = [], []
    simulation_name = criteria.get("simulation_name")
    for key in ("simulation_name", "simulation_version", "status"):
        if key == "simulation_name" and id_column != "r.id":
            continue
        if criteria.get(key) is not None:
            conditions.append(f"r.{key} = ?")
            params.append(criteria[key])
    filters = [("input", name, spec, "input_filters") for name, spec in (criteria.get("input_filters") or {}).items()]
    filters += [("output", name, spec, "output_filters")
                for name, spec in (criteria.get("output_filters") or {}).items()]
    if filters and simulation_name is None:
        raise _invalid("simulation_name", "parameter filters need a simulation_name")
    if len(filters) > MAX_FILTERS:
        raise _invalid("input_filters", f"at most {MAX_FILTERS} filters")
    for param_class, name, spec, field in filters:
        sql, values = _filter_clause(id_column, simulation_name, param_class, name, spec, field)
        conditions.append(sql)
        params += values
    return (" AND ".join(conditions) or "1 = 1"), params


def _order(sort: str | None, simulation_name) -> tuple[str, str, list]:
    """``(join, order_by, params)`` for a sort key such as ``-created_at`` or ``output.max_stress``."""
    sort = sort or "-created_at"
    descending = sort.startswith("-")
    key = sort[1:] if descending else sort
    direction = "DESC" if descending else "ASC"
    if key in TIME_SORTS:
        # NULLs last on both backends (their defaults differ)
        return "", f"(r.{key} IS NULL), r.{key} {direction}, r.id {direction}", []
    param_class, _, name = key.partition(".")
    if param_class in ("input", "output") and name:
        join = ("LEFT JOIN results_parameter_value s ON s.result_id = r.id AND s.param_class = ? "
                "AND s.name = ?")
        order = (f"(s.num_value IS NULL), s.num_value {direction}, (s.str_value IS NULL), "
                 f"s.str_value {direction}, r.id {direction}")
        return join, order, [param_class, name]
    raise _invalid("sort", f"sort by one of {', '.join(TIME_SORTS)} or input.NAME / output.NAME, "
                           "with a leading '-' for descending")


def search(criteria: dict, sort: str | None, limit: int, offset: int) -> bytes:
    """The JSON page of results matching ``criteria`` (stored values passed through as JSON)."""
    where, where_params = where_clause(criteria)
    join, order, order_params = _order(sort, criteria.get("simulation_name"))
    sql = (f"SELECT {RESULT_COLUMNS} FROM results_result r {join} WHERE {where} "
           f"ORDER BY {order} LIMIT ? OFFSET ?")
    rows = execute(sql, order_params + where_params + [limit + 1, offset]).fetchall()
    items = [_item(row) for row in rows[:limit]]
    next_offset = offset + limit if len(rows) > limit else None
    return orjson.dumps({"items": items, "limit": limit, "offset": offset, "next_offset": next_offset})


def _item(row) -> dict:
    (result_id, execution_id, name, version, status, username, created_at, completed_at, duration,
     registered_at, inputs_json, outputs_json) = row
    return {
        "result_id": result_id,
        "execution_id": execution_id,
        "simulation_name": name,
        "simulation_version": version,
        "status": status,
        "username": username,
        "created_at": created_at,
        "completed_at": completed_at,
        "duration_seconds": duration,
        "registered_at": registered_at,
        "input_params": orjson.Fragment(inputs_json),
        "output_params": orjson.Fragment(outputs_json),
    }


def parameter_stats(criteria: dict, param_name: str, param_class: str) -> dict:
    """count, min, max, mean and sample standard deviation of a numeric parameter, in SQL.

    The variance sums squared deviations from the mean computed by a
    subquery of the same statement (two passes over the covering index
    range), which stays accurate where the one-pass sum-of-squares formula
    cancels out. Results join in only when version or status narrow them.
    """
    where, params = where_clause(criteria, id_column="v.result_id")
    needs_results = criteria.get("simulation_version") is not None or criteria.get("status") is not None
    source = "results_parameter_value v" + (" JOIN results_result r ON r.id = v.result_id" if needs_results else "")
    conditions = ("v.simulation_name = ? AND v.param_class = ? AND v.name = ? AND v.num_value IS NOT NULL "
                  f"AND {where}")
    condition_params = [criteria["simulation_name"], param_class, param_name, *params]
    sql = ("SELECT count(v.num_value), min(v.num_value), max(v.num_value), avg(v.num_value), "
           "sum((v.num_value - m.mean) * (v.num_value - m.mean)) "
           f"FROM (SELECT avg(v.num_value) AS mean FROM {source} WHERE {conditions}) m "
           f"CROSS JOIN {source} WHERE {conditions}")
    count, minimum, maximum, mean, squares = execute(sql, condition_params + condition_params).fetchone()
    count = int(count or 0)
    variance = squares / (count - 1) if count > 1 and squares is not None else None
    return {
        "simulation_name": criteria["simulation_name"],
        "param_name": param_name,
        "param_class": param_class,
        "count": count,
        "min_value": minimum,
        "max_value": maximum,
        "avg_value": mean,
        "stddev_value": math.sqrt(max(variance, 0.0)) if variance is not None else None,
        "variance": variance,
    }


def distinct_values(simulation_name: str, param_name: str, param_class: str, limit: int, offset: int) -> dict:
    """The distinct (indexed) string values of a parameter with how many runs hold each."""
    rows = execute(
        "SELECT v.str_value, count(*) FROM results_parameter_value v WHERE v.simulation_name = ? "
        "AND v.param_class = ? AND v.name = ? AND v.str_value IS NOT NULL GROUP BY v.str_value "
        "ORDER BY v.str_value LIMIT ? OFFSET ?",
        (simulation_name, param_class, param_name, limit + 1, offset)).fetchall()
    return {
        "simulation_name": simulation_name,
        "param_name": param_name,
        "param_class": param_class,
        "values": [{"value": value, "count": int(count)} for value, count in rows[:limit]],
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if len(rows) > limit else None,
    }


def parameter_schemas(simulation_name: str, simulation_version: str | None) -> bytes:
    """Every parameter schema seen in the runs of a simulation (optionally one version)."""
    sql = ("SELECT simulation_version, param_class, name, schema_json, run_count, first_seen, last_seen "
           "FROM results_parameter_schema WHERE simulation_name = ?")
    params = [simulation_name]
    if simulation_version is not None:
        sql += " AND simulation_version = ?"
        params.append(simulation_version)
    sql += " ORDER BY simulation_version, param_class, name, first_seen LIMIT 10001"
    schemas = [{
        "simulation_version": version, "param_class": param_class, "name": name,
        "schema": orjson.Fragment(schema_json), "run_count": run_count, "first_seen": first_seen,
        "last_seen": last_seen,
    } for version, param_class, name, schema_json, run_count, first_seen, last_seen in execute(sql, params)]
    return orjson.dumps({"simulation_name": simulation_name, "schemas": schemas[:10000]})


VIEW_COLUMNS = ("id", "execution_id", "simulation_name", "simulation_version", "status", "description",
                "username", "input_hash", "created_at", "started_at", "completed_at", "duration_seconds",
                "error_message", "registered_at", "registered_by", "schema_version", "file_size", "sha256",
                "input_count", "output_count", "artifact_count")


def result_view(execution_id: str) -> bytes | None:
    """The results view of one run: metadata, inputs, outputs, units and artifacts; None if absent."""
    row = execute(
        f"SELECT {', '.join(VIEW_COLUMNS)}, inputs_json, outputs_json, units_json, artifacts_json "
        "FROM results_result WHERE execution_id = ?", (execution_id,)).fetchone()
    if row is None:
        return None
    view = dict(zip(VIEW_COLUMNS, row[:len(VIEW_COLUMNS)], strict=True))
    view["result_id"] = view.pop("id")
    inputs_json, outputs_json, units_json, artifacts_json = row[len(VIEW_COLUMNS):]
    view["input_params"] = orjson.Fragment(inputs_json)
    view["output_params"] = orjson.Fragment(outputs_json)
    view["units"] = orjson.Fragment(units_json)
    view["artifacts"] = orjson.Fragment(artifacts_json)
    return orjson.dumps(view)


def result_file_info(execution_id: str):
    """``(sha256, file_size)`` of a registered run, or None."""
    return execute("SELECT sha256, file_size FROM results_result WHERE execution_id = ?",
                   (execution_id,)).fetchone()


def result_count() -> int:
    """How many results are registered (for /metrics)."""
    return int(execute("SELECT count(*) FROM results_result").fetchone()[0])
