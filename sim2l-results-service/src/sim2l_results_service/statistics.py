"""Parameter statistics: count, min, max, mean and standard deviation of one numeric parameter.

Computed in SQL over the values of the runs matching the request's criteria
(``POST /parameters/stats``). The variance comes from sums of deviations from
a shift inside the data (the parameter's smallest value: one index seek),
which avoids most of the cancellation of the textbook sum-of-squares formula
while reading the values once.

Where the values come from:

- No parameter filters: one index-only range scan of the parameter's values.
- SQLite, with filters: the matching runs drive, and each run's value is one
  probe of the clustered primary key (cheap in SQLite whatever their number).
- PostgreSQL, with filters: one statement counts the runs the driving filter
  matches, up to ``probe_limit`` (one bounded index-only scan), and when they
  are no more than that, answers in the same statement by probing the
  parameter's values of the matching runs, as one index scan for an array of
  ids (``result_id = ANY(ARRAY(...))``: sorted, so the probes walk the
  primary key in order). More matches than that, and a second statement
  answers instead from one index-only range scan of the parameter's values
  hash-joined with the matching ids. Neither plan depends on the planner's
  estimate of a range's size: PostgreSQL's statistics of ``num_value`` mix
  every parameter, so a range of one parameter is estimated at a few rows or
  many thousands, and a plain join of the ids and the values flipped between
  probing and scanning all 100,000 values on the estimate (measured: one
  request in ten of a 1 % range took 20-25 ms instead of 5).
"""

import math

from sim2l_results_service.filters import filter_select
from sim2l_results_service.filters import filters_subquery
from sim2l_results_service.models import execute
from sim2l_results_service.models import uses_question_marks
from sim2l_results_service.queries import _parse_criteria

# Up to this many matches of the driving filter, the values are probed per
# match on PostgreSQL; beyond it, scanned. The scan reads every value of the
# parameter, so the limit grows with the runs that hold it: one probe per
# SCANNED_PER_PROBE such runs (see PERFORMANCE_NOTES.md, "parameter statistics").
PROBE_LIMIT = 200
SCANNED_PER_PROBE = 20

AGGREGATES = (
    "count(v.num_value), min(v.num_value), max(v.num_value), avg(v.num_value), "
    "sum(v.num_value - s.shift), sum((v.num_value - s.shift) * (v.num_value - s.shift))"
)


def parameter_stats(criteria: dict, param_name: str, param_class: str) -> dict:
    """count, min, max, mean, sample variance and standard deviation of a numeric parameter.

    ``criteria``: ``simulation_name`` and optionally ``simulation_version``,
    ``status`` and the parameter filters (parsed, ``criteria["filters"]``, or
    ``input_filters`` / ``output_filters``). Values that are not numbers
    (strings, nulls, NaN, which registration stores as no number) are not
    counted; no matching value gives a count of 0 and ``None`` for the rest.
    """
    name = criteria["simulation_name"]
    conditions, params, filters = _parse_criteria(criteria)
    key = (param_class, param_name)
    if not filters:
        row = _scanned(name, key, [], criteria, conditions, params)
    elif uses_question_marks():
        row = _probed_sqlite(name, key, filters, criteria, conditions, params)
    else:
        row = _probed_or_counted(name, key, filters, criteria, conditions, params)
        if row is None:
            row = _scanned(name, key, filters, criteria, conditions, params)
    return _answer(name, key, row)


def _shift(name: str, key: tuple[str, str]) -> tuple[str, list]:
    """The subquery ``s`` of the parameter's smallest value (one index seek)."""
    sql = (
        "(SELECT min(num_value) AS shift FROM results_parameter_value "
        "WHERE simulation_name = ? AND param_class = ? AND name = ?) s"
    )
    return sql, [name, *key]


def _run_join(criteria: dict) -> str:
    """The join to the results ``r`` when the version or status narrows the runs."""
    if criteria.get("simulation_version") is None and criteria.get("status") is None:
        return ""
    return " JOIN results_result r ON r.id = v.result_id"


def _scanned(name, key, filters, criteria, conditions, params) -> tuple:
    """The statistics from one index-only range scan of the parameter's values.

    Narrowed by the parameter's own filter, if it has one; the other filters'
    ids are hash-joined. The scan is a subquery (``OFFSET 0``) so the
    planner, which underestimates a range of one parameter, cannot turn it
    into a key probe per matching run.
    """
    shift, values = _shift(name, key)
    own = [entry for entry in filters if entry[1:3] == key]
    others = [entry for entry in filters if entry[1:3] != key]
    own_conditions, own_params = filter_select("v", name, own[0] if own else (0, *key, [], ""))
    source = f"{shift} CROSS JOIN results_parameter_value v"
    if others:
        ids_sql, ids_params = filters_subquery(name, others)
        source = (
            f"{shift} CROSS JOIN (SELECT v.result_id, v.num_value "  # noqa: S608 (fixed SQL)
            f"FROM results_parameter_value v WHERE {' AND '.join(own_conditions)} OFFSET 0) v "
            f"JOIN ({ids_sql}) ids ON ids.result_id = v.result_id"
        )
        values += own_params + ids_params
        own_conditions, own_params = [], []
    where = " AND ".join(["v.num_value IS NOT NULL", *own_conditions, *conditions])
    sql = f"SELECT {AGGREGATES} FROM {source}{_run_join(criteria)} WHERE {where}"  # noqa: S608 (fixed SQL)
    return execute(sql, values + own_params + params).fetchone()


def _probed_sqlite(name, key, filters, criteria, conditions, params) -> tuple:
    """SQLite: the matching runs drive; each run's value is one clustered primary-key probe."""
    shift, values = _shift(name, key)
    ids_sql, ids_params = filters_subquery(name, filters)
    where = " AND ".join(["v.num_value IS NOT NULL", *conditions])
    sql = (
        f"SELECT {AGGREGATES} FROM {shift} CROSS JOIN ({ids_sql}) ids "  # noqa: S608 (fixed SQL)
        "JOIN results_parameter_value v ON v.result_id = ids.result_id "
        f"AND v.param_class = ? AND v.name = ?{_run_join(criteria)} WHERE {where}"
    )
    return execute(sql, values + ids_params + [*key] + params).fetchone()


def _probed_or_counted(name, key, filters, criteria, conditions, params) -> tuple | None:
    """PostgreSQL: the statistics by probing the matches' values, or None when they are many.

    One statement: ``limit`` (``probe_limit`` from the run counts
    registration keeps), ``driving`` (the driving filter's matches, counted
    up to ``limit + 1``), and, only when ``driving <= limit``, the matching
    ids as an array whose values one index scan of the primary key reads in
    id order (an array that is never built when the matches are many: the
    ``CASE`` leaves its subquery unevaluated, and ``= ANY(NULL)`` reads nothing).
    """
    keys = [entry[1:3] for entry in filters] + [key]
    marks = ", ".join("(?, ?)" for _ in keys)
    limit = (
        f"SELECT greatest(?, coalesce(max(runs), 0) / ?) AS runs FROM (SELECT sum(run_count) "  # noqa: S608 (fixed SQL)
        "AS runs FROM results_parameter_schema WHERE simulation_name = ? "
        f"AND (param_class, name) IN ({marks}) GROUP BY param_class, name) counted"
    )
    limit_params = [PROBE_LIMIT, SCANNED_PER_PROBE, name, *(part for pair in keys for part in pair)]
    driving_conditions, driving_params = filter_select(
        "f0", name, min(filters, key=lambda entry: entry[0])
    )
    driving = (
        "SELECT count(*) AS runs FROM (SELECT 1 FROM results_parameter_value f0 "  # noqa: S608 (fixed SQL)
        f"WHERE {' AND '.join(driving_conditions)} LIMIT (SELECT runs FROM probe_limit) + 1) capped"
    )
    ids_sql, ids_params = filters_subquery(name, filters, few_matches=True)
    shift, shift_params = _shift(name, key)
    where = " AND ".join(
        [
            "v.result_id = ANY(CASE WHEN (SELECT runs FROM driving) <= "  # noqa: S608 (fixed SQL)
            f"(SELECT runs FROM probe_limit) THEN ARRAY({ids_sql}) END)",
            "v.param_class = ?",
            "v.name = ?",
            "v.num_value IS NOT NULL",
            *conditions,
        ]
    )
    sql = (
        f"WITH probe_limit AS MATERIALIZED ({limit}), driving AS MATERIALIZED ({driving}) "  # noqa: S608 (fixed SQL)
        "SELECT (SELECT runs FROM driving) <= (SELECT runs FROM probe_limit), "
        f"{AGGREGATES} FROM {shift} CROSS JOIN results_parameter_value v{_run_join(criteria)} "
        f"WHERE {where}"
    )
    values = [*limit_params, *driving_params, *shift_params, *ids_params, *key, *params]
    few, *row = execute(sql, values).fetchone()
    return tuple(row) if few else None


def _answer(name: str, key: tuple[str, str], row: tuple) -> dict:
    """The answer from ``count, min, max, mean, sum(x - shift), sum((x - shift)^2)``."""
    count, minimum, maximum, mean, shifted, squares = row
    count = int(count or 0)
    variance = None
    if count > 1:
        variance = max((squares - shifted * shifted / count) / (count - 1), 0.0)
    return {
        "simulation_name": name,
        "param_name": key[1],
        "param_class": key[0],
        "count": count,
        "min_value": minimum,
        "max_value": maximum,
        "avg_value": mean,
        "stddev_value": math.sqrt(variance) if variance is not None else None,
        "variance": variance,
    }
