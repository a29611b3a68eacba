"""The filter compiler: parameter filters of a search, parsed once, compiled to SQL.

``{"temperature": {"gt": 300}, "material": "steel"}`` becomes a list of
parsed filters (``parse_filters``: operators checked, each filter ranked by
how few runs it is likely to match), and those become one semi-join over
``results_parameter_value`` (``filters_subquery``). The filter likely to match
fewest runs (equality, then ``in``, then ranges closed on both sides, then
open ranges, then null checks and ``ne``) drives, as an index-only range scan
of ``(simulation_name, param_class, name, num_value | str_value, result_id)``;
every other filter is an ``EXISTS`` probe by run id (``probes``): of the
primary key ``(result_id, param_class, name)``, which carries the value, on
PostgreSQL; of ``results_value_column`` on SQLite::

    r.id IN (SELECT f0.result_id FROM results_parameter_value f0
             WHERE f0.simulation_name = ? AND f0.param_class = ? AND f0.name = ?
               AND f0.num_value > ?
               AND EXISTS (SELECT 1 FROM results_parameter_value f1
                           WHERE f1.result_id = f0.result_id AND f1.param_class = ?
                             AND f1.name = ? AND f1.num_value < ?))

Numbers compare as numbers and strings as strings; a number filter never
matches a string value and the other way round. A filter that cannot be used
is a ``QueryError`` naming the field: a domain error, which the request
schemas turn into the 400 answer.
"""

import math

from sim2l_results_service.models import query
from sim2l_results_service.models import uses_question_marks

OPERATORS = ("eq", "ne", "gt", "ge", "lt", "le", "in", "between")
_COMPARISONS = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
# How selective an operator usually is: the lowest-ranked filter drives the search.
_RANK = {"eq": 0, "in": 1, "between": 2, "gt": 3, "ge": 3, "lt": 3, "le": 3, "ne": 5}
MAX_FILTERS = 32
MAX_IN_VALUES = 1000


class QueryError(ValueError):
    """A search the query layer cannot run: ``field`` names what is wrong, ``message`` why."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _invalid(field: str, message: str) -> "QueryError":
    return QueryError(field, message)


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


def _condition(operator: str, operand, field: str, a: str) -> tuple[str, list]:
    """SQL condition on the value row aliased ``a`` for one operator."""
    if operator in ("eq", "ne"):
        if operand is None:
            sign = "=" if operator == "eq" else "<>"
            return f"{a}.value_type {sign} 'null'", []
        if isinstance(operand, bool):
            sign = "=" if operator == "eq" else "<>"
            return f"{a}.value_type = 'bool' AND {a}.num_value {sign} ?", [float(operand)]
    if operator in _COMPARISONS:
        kind, value = _scalar(operand, field)
        return f"{a}.{kind}_value {_COMPARISONS[operator]} ?", [value]
    if operator == "in":
        if not isinstance(operand, list) or not operand or len(operand) > MAX_IN_VALUES:
            raise _invalid(field, f"'in' takes a list of 1 to {MAX_IN_VALUES} numbers or strings")
        numbers, strings = [], []
        for item in operand:
            kind, value = _scalar(item, field)
            (numbers if kind == "num" else strings).append(value)
        parts, params = [], []
        if numbers:
            parts.append(f"{a}.num_value IN ({', '.join('?' * len(numbers))})")
            params += numbers
        if strings:
            parts.append(f"{a}.str_value IN ({', '.join('?' * len(strings))})")
            params += strings
        return "(" + " OR ".join(parts) + ")", params
    # between: inclusive on both ends
    if not isinstance(operand, list) or len(operand) != 2:
        raise _invalid(field, "'between' takes a list of two values [low, high]")
    (low_kind, low), (high_kind, high) = _scalar(operand[0], field), _scalar(operand[1], field)
    if low_kind != high_kind:
        raise _invalid(field, "'between' needs two numbers or two strings")
    return f"{a}.{low_kind}_value BETWEEN ? AND ?", [low, high]


def parse_filter(param_class: str, name, spec, field: str) -> tuple:
    """``(rank, param_class, name, operators, field)``; a lower rank should match fewer runs."""
    if not isinstance(name, str) or not name or len(name) > 200:
        raise _invalid(field, "parameter names are 1 to 200 characters")
    if isinstance(spec, dict):
        if not spec:
            raise _invalid(field, "an operator object needs at least one operator")
        unknown = sorted(set(spec) - set(OPERATORS))
        if unknown:
            raise _invalid(
                field, f"unknown operator(s) {', '.join(unknown)}; use {', '.join(OPERATORS)}"
            )
        operators = list(spec.items())
    elif isinstance(spec, list):
        raise _invalid(
            field, 'a list is not a value to compare; use {"in": [...]} or {"between": [a, b]}'
        )
    else:
        operators = [("eq", spec)]  # a bare value means equality
    for operator, operand in operators:  # validate all, whatever order they run in
        _condition(operator, operand, field, "x")
    rank = min(_RANK[operator] for operator, _ in operators)
    if rank == 3 and {operator[0] for operator, _ in operators} >= {"g", "l"}:
        rank = 2  # closed on both sides, like between
    if any(operand is None or isinstance(operand, bool) for _, operand in operators):
        rank = 4  # null and boolean checks are not narrow index ranges
    return rank, param_class, name, operators, field


def filter_select(alias: str, simulation_name: str | None, entry: tuple) -> tuple[list[str], list]:
    """The conditions (and values) of one parsed filter on the value row aliased ``alias``."""
    _, param_class, name, _, _ = entry
    conditions = [f"{alias}.param_class = ?", f"{alias}.name = ?"]
    params = [param_class, name]
    if simulation_name is not None:
        conditions.insert(0, f"{alias}.simulation_name = ?")
        params.insert(0, simulation_name)
    checks, values = operator_conditions(alias, entry)
    return conditions + checks, params + values


def operator_conditions(alias: str, entry: tuple) -> tuple[list[str], list]:
    """The conditions (and values) of one parsed filter's operators alone, on the row ``alias``
    (which holds the filter's parameter: the caller says how)."""
    _, _, _, operators, field = entry
    conditions, params = [], []
    for operator, operand in operators:
        sql, values = _condition(operator, operand, field, alias)
        conditions.append(sql)
        params += values
    return conditions, params


def probes(
    filters: list, run_id: str, fenced: bool, first: int = 1, scattered: bool = True
) -> tuple[list[str], list]:
    """One ``EXISTS`` key probe per filter of the run whose id is ``run_id``.

    ``fenced`` (PostgreSQL) adds ``OFFSET 0``, which keeps the planner from
    turning a probe into a join that reads every match of its filter: only
    the runs that reach the probe are probed. Aliases count from ``first``.

    ``scattered``: the runs come in no order of id (a filter's matches, in
    the order of its values). SQLite then probes ``results_value_column``
    (param_class, name, result_id, value...), where one parameter's entries
    lie together (a few MB per 100,000 runs, which stay in the page cache),
    rather than the clustered primary key, whose pages hold all of a run's
    parameters: there each probe is a page of the whole table at random
    (measured at 100,000 runs, a 10 % input range probing an output for its
    10,000 matches: 19 -> 8 ms). Runs read in creation order (a newest-first
    window) keep the primary key, where the probes of one run's filters
    share its page and the next run's page follows (the column index there
    was 5 % slower). The planner prefers the unique key, so the index is named.
    """
    conditions, params = [], []
    hint = " INDEXED BY results_value_column" if scattered and uses_question_marks() else ""
    for index, entry in enumerate(filters, start=first):
        alias = f"f{index}"
        probe, values = filter_select(alias, None, entry)
        probe.insert(0, f"{alias}.result_id = {run_id}")
        conditions.append(
            f"EXISTS (SELECT 1 FROM results_parameter_value {alias}{hint} "  # noqa: S608 (fixed SQL)
            f"WHERE {' AND '.join(probe)}{' OFFSET 0' if fenced else ''})"
        )
        params += values
    return conditions, params


def filters_subquery(
    simulation_name: str, filters: list, few_matches: bool = False, with_creation_time=False
) -> tuple[str, list]:
    """A query of the distinct ids of the results matching every filter (see the module docstring).

    ``with_creation_time``: each id comes with its run's ``created_at``, read
    from the same index rows (columns ``result_id, created_at``).

    On PostgreSQL, when no filter is an equality or ``in`` list, the filters'
    index-only range scans are intersected with a hash (``INTERSECT``)
    instead: its per-row probes cost more than SQLite's.
    Unless ``few_matches`` (the driving filter is known to match few runs):
    then the probes stay per row (fenced with ``OFFSET 0``, which keeps
    PostgreSQL from reading every match of the other filters instead).
    """
    filters = sorted(filters, key=lambda entry: entry[0])
    postgres = not uses_question_marks()

    def selected(alias: str) -> str:
        time = f", {alias}.created_at" if with_creation_time else ""
        return f"{alias}.result_id{time}"

    if len(filters) > 1 and filters[0][0] >= 2 and postgres and not few_matches:
        selects, params = [], []
        for index, entry in enumerate(filters):
            conditions, values = filter_select(f"f{index}", simulation_name, entry)
            selects.append(
                f"SELECT {selected(f'f{index}')} FROM results_parameter_value f{index} "  # noqa: S608 (fixed SQL)
                f"WHERE {' AND '.join(conditions)}"
            )
            params += values
        return " INTERSECT ".join(selects), params
    conditions, params = filter_select("f0", simulation_name, filters[0])
    others, values = probes(filters[1:], "f0.result_id", postgres and few_matches)
    conditions += others
    params += values
    sql = (
        f"SELECT {selected('f0')} FROM results_parameter_value f0 "  # noqa: S608 (fixed SQL)
        f"WHERE {' AND '.join(conditions)}"
    )
    return sql, params


# A page may read this many runs per run it shows before its matches are
# sorted whole: the window of a newest-first search (``queries._windowed_page``)
# and the matches above which a parameter-sorted page reads the sort's index
# (``sorted_by_parameter``). Each counts the driving filter up to it, once.
WINDOW_FACTOR = 40


def window_of(limit: int) -> int:
    """The runs a page of ``limit`` may read before its matches are sorted whole."""
    return (limit + 1) * WINDOW_FACTOR


def driving_matches(simulation_name: str, filters: list, cap: int) -> int:
    """How many runs the most selective filter matches, counted up to ``cap + 1`` only.

    One index-only range scan of at most ``cap + 1`` entries: a bounded price
    for knowing whether the matches are few enough to collect and sort.
    """
    entry = min(filters, key=lambda item: item[0])
    conditions, params = filter_select("f0", simulation_name, entry)
    sql = (
        "SELECT count(*) FROM (SELECT 1 FROM results_parameter_value f0 "  # noqa: S608 (fixed SQL)
        f"WHERE {' AND '.join(conditions)} LIMIT ?) capped"
    )
    return int(query(sql, params + [cap + 1]).fetchone()[0])


def parse_filters(input_filters: dict | None, output_filters: dict | None) -> list[tuple]:
    """Every input and output filter, parsed and checked.

    Each is ``(rank, param_class, name, operators, field)``.
    """
    filters = [
        parse_filter("input", name, spec, "input_filters")
        for name, spec in (input_filters or {}).items()
    ]
    filters += [
        parse_filter("output", name, spec, "output_filters")
        for name, spec in (output_filters or {}).items()
    ]
    if len(filters) > MAX_FILTERS:
        raise _invalid("input_filters", f"at most {MAX_FILTERS} filters")
    return filters


def parse_criteria(criteria: dict) -> tuple[list[str], list, list]:
    """Conditions on results ``r`` (version, status) and the parsed parameter filters.

    The request schemas parse the filters once (``criteria["filters"]``);
    a caller that did not is parsed for here.
    """
    conditions, params = [], []
    for key in ("simulation_version", "status"):
        if criteria.get(key) is not None:
            conditions.append(f"r.{key} = ?")
            params.append(criteria[key])
    filters = criteria.get("filters")
    if filters is None:
        filters = parse_filters(criteria.get("input_filters"), criteria.get("output_filters"))
    if filters and criteria.get("simulation_name") is None:
        raise QueryError("simulation_name", "parameter filters need a simulation_name")
    return conditions, params, filters
