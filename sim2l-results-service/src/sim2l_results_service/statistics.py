"""Parameter statistics: count, min, max, mean and standard deviation of one numeric parameter.

Computed in SQL over the values of the runs matching the request's criteria
(``POST /parameters/stats``), reading the values once. PostgreSQL's
``var_samp`` gives the variance (Youngs-Cramer, sharing one running state
with ``avg``); SQLite has none, so there it comes from sums of deviations
from a shift inside the data (the parameter's smallest value: one index
seek), which avoids most of the cancellation of the textbook sum-of-squares
formula. (``var_samp`` made the aggregate over 100,000 values 20 % cheaper
than the two shifted sums.)

Where the values come from:

- No parameter filters and no status (a version is fine): the running sums
  registration keeps per simulation, version and parameter
  (``results_parameter_sums``, migration 0007: the count of the numbers,
  the sum of their deviations from a shift inside them and of the squares),
  a few rows combined by Chan et al.'s parallel formula, and the smallest
  and largest value, one seek each at the ends of the parameter's range of
  ``results_value_num``; one statement. Where a row's sums are unknown (a
  value past ``running_sums.SUMMED_MAGNITUDE``) or may have lost their
  digits (``running_sums.PEAK_SHARE``), the values are scanned as below,
  until a deletion repairs the row (``running_sums``).
- No parameter filters otherwise: one index-only range scan of the
  parameter's values.
- SQLite, with filters: the matching runs drive, and each run's value is one
  probe of ``results_value_column`` (cheap in SQLite whatever their number),
  where the parameter's own filter is checked too; when that filter is the
  narrowest, its matching values drive instead (``_probed_sqlite``).
- PostgreSQL, with filters: one filter drives. Its matching ids are
  collected as an array, narrowed by each other filter (one probe per id of
  that filter's key index, ``_also_matching``), and the parameter's values
  of what is left are read by the parameter's key (``result_id = ANY(...)``:
  one probe per id, in id order, of ``results_value_key``, three levels of
  integers where one parameter's entries lie together; ``parameter_key``),
  the parameter's own filter checked on the values as they are read. Which
  filter drives:

  - none but the parameter's own: none; the values are the index-only
    range scan of that filter (``_scanned``);
  - one filter besides the parameter's own (if any): that one, when it
    matches no more than one run in ``SCANNED_PER_LONE_PROBE`` (its matches
    are collected up to that limit, so counting and answering are one
    statement); but the own filter drives when it matches no more than the
    usual limit (collected up to it first, in the same statement:
    ``_probed_own_first``);
  - more filters: each is counted up to ``probe_limit`` (a bounded
    index-only scan), and the one matching fewest, if within the limit.

  When no filter is within its limit, the parameter's values are one
  index-only range scan hash-joined with the ids the other filters' range
  scans have in common (``INTERSECT``).

  Neither plan depends on the planner's estimates. PostgreSQL's statistics
  of ``num_value`` mix every parameter, so a range of one parameter is
  estimated at a few rows or at many thousands; a plain join of the matching
  ids and the values flipped on that estimate between probing and a hash
  join over all the parameter's values (measured at 100,000 runs: one 1 %
  range in ten took 20-25 ms instead of 5). And an equality is not always
  the narrowest filter (``material = "steel"`` matches a third of the runs).

PostgreSQL raises an error where a sum overflows a double (values near
1.8e308); SQLite's sum becomes infinite. PostgreSQL then takes the mean and
variance of the values times ``2^-SCALE_BITS`` (exact above 1e-127), and on
both backends what is still not a finite double is answered as null.
"""

import math
from dataclasses import dataclass
from dataclasses import replace

import peewee

from sim2l_results_service.filters import filter_select
from sim2l_results_service.filters import filters_subquery
from sim2l_results_service.filters import operator_conditions
from sim2l_results_service.filters import parse_criteria
from sim2l_results_service.filters import probes
from sim2l_results_service.models import query
from sim2l_results_service.models import uses_question_marks
from sim2l_results_service.parameter_key import key_condition
from sim2l_results_service.parameter_key import key_values
from sim2l_results_service.running_sums import PEAK_SHARE
from sim2l_results_service.running_sums import spread_of

# Up to this many matches of the driving filter, PostgreSQL probes the values
# per match; beyond it, it scans them. The scan reads every value of the
# parameter, so the limit grows with the runs that hold it: one probe per
# SCANNED_PER_PROBE such runs (measured at 100,000 runs under one range filter:
# probing 1,000 matches took 13 ms against 28 ms scanning, 5,000 took 24 against
# 28, 8,000 took 37 against 30).
PROBE_LIMIT = 200
SCANNED_PER_PROBE = 20
# A lone driving filter (no other to count: its matches are collected up to
# the limit, and the count is their number) probes up to one per this many
# runs. The probe reads the parameter's value by its key (``parameter_key``);
# the scan reads every value of the parameter and hash-joins the filter's
# matches. Measured at 100,000 runs under a 10 % range (10,000 matches): 23
# against 37 ms (the same for stress under 16-84 % besides, 22 against 26).
SCANNED_PER_LONE_PROBE = 6

SCALE_BITS = 600  # 1.8e308 * 2^-600 squared, times 10^9 values, is still a finite double
OVERFLOW = "22003"  # PostgreSQL's numeric_value_out_of_range

SHIFTED_SUMS = "sum(v.num_value - s.shift), sum((v.num_value - s.shift) * (v.num_value - s.shift))"


@dataclass(frozen=True)
class _Request:
    """One statistics request: the parameter, the criteria's SQL, and the values' scale."""

    name: str  # the simulation
    key: tuple[str, str]  # (param_class, param_name)
    conditions: list[str]  # on the results ``r`` (version, status)
    params: list
    scale: int = 0  # PostgreSQL: mean and variance of the values times 2^-scale

    def aggregates(self) -> tuple[str, str, list]:
        """``(select list, FROM prefix, its params)`` of the statistics of the values ``v``.

        PostgreSQL: ``count, min, max, avg, var_samp``. SQLite: ``count, min,
        max, avg`` and the two sums of deviations from the shift ``s``, the
        parameter's smallest value (one index seek), which the prefix joins.
        """
        value = "v.num_value"
        if not uses_question_marks():
            if self.scale:  # a power of two: exact above 1e-127 (a constant, not input)
                value = f"(v.num_value * '{math.ldexp(1.0, -self.scale)!r}'::float8)"
            common = f"count(v.num_value), min(v.num_value), max(v.num_value), avg({value})"
            return f"{common}, var_samp({value})", "", []
        shift = (
            "(SELECT min(num_value) AS shift FROM results_parameter_value "
            "WHERE simulation_name = ? AND param_class = ? AND name = ?) s CROSS JOIN "
        )
        common = "count(v.num_value), min(v.num_value), max(v.num_value), avg(v.num_value)"
        return f"{common}, {SHIFTED_SUMS}", shift, [self.name, *self.key]

    def run_join(self) -> str:
        """The join to the results ``r`` when the version or status narrows the runs."""
        return " JOIN results_result r ON r.id = v.result_id" if self.conditions else ""

    def split(self, filters: list) -> tuple[tuple | None, list]:
        """``(the requested parameter's own filter or None, every other filter)``."""
        own = next((entry for entry in filters if entry[1:3] == self.key), None)
        return own, [entry for entry in filters if entry[1:3] != self.key]

    def any_value(self) -> tuple:
        """A parsed filter on the requested parameter that every value passes (no operators)."""
        return (0, *self.key, [], "")


def parameter_stats(criteria: dict, param_name: str, param_class: str) -> dict:
    """count, min, max, mean, sample variance and standard deviation of a numeric parameter.

    ``criteria``: ``simulation_name`` and optionally ``simulation_version``,
    ``status`` and the parameter filters (parsed, ``criteria["filters"]``, or
    ``input_filters`` / ``output_filters``). Values that are not numbers
    (strings, nulls, NaN, which registration stores as no number) are not
    counted; no matching value gives a count of 0 and ``None`` for the rest.
    """
    conditions, params, filters = parse_criteria(criteria)
    request = _Request(criteria["simulation_name"], (param_class, param_name), conditions, params)
    if not filters and criteria.get("status") is None:
        row = _summed(request)  # (the sums' rows are per version: the only condition left)
        if row is not None:
            return _answer(request, row)
    if uses_question_marks():
        row = _probed_sqlite(request, filters) if filters else _scanned(request, [])
    else:
        try:
            row = _postgres(request, filters)
        except peewee.DataError as error:
            if getattr(getattr(error, "orig", None), "pgcode", None) != OVERFLOW:
                raise
            request = replace(request, scale=SCALE_BITS)
            row = _postgres(request, filters)
    return _answer(request, row)


def _summed(request: _Request) -> tuple | None:
    """``count, min, max, mean, variance`` from the running sums registration keeps, or None.

    One statement: the sums of the matching versions' rows (a primary-key
    range of ``results_parameter_sums``) and the smallest and largest value,
    one seek each at the ends of the parameter's range of ``results_value_num``
    (with a version, the seek walks on past the other versions' values).
    None (scan instead) when a row's sums are unknown or too imprecise.
    """
    low_sql, low_params = _extreme(request, "ASC")
    high_sql, high_params = _extreme(request, "DESC")
    version = " AND s.simulation_version = ?" if request.conditions else ""
    sql = (
        "SELECT s.value_count, s.value_shift, s.value_sum, s.value_squares, s.squares_peak, "  # noqa: S608 (fixed SQL)
        f"m.low, m.high FROM (SELECT {low_sql} AS low, {high_sql} AS high) m "
        "LEFT JOIN results_parameter_sums s ON s.simulation_name = ? AND s.param_class = ? "
        f"AND s.name = ?{version}"
    )
    params = [*low_params, *high_params, request.name, *request.key, *request.params]
    rows = query(sql, params).fetchall()
    combined = _combined([row[:5] for row in rows])
    if combined is None:
        return None
    count, mean, variance = combined
    low, high = rows[0][5:]
    return count, low, high, mean, variance


def _extreme(request: _Request, direction: str) -> tuple[str, list]:
    """A scalar subquery of the parameter's first value in ``direction`` (one index seek)."""
    where = " AND ".join(
        [
            "v.simulation_name = ?",
            "v.param_class = ?",
            "v.name = ?",
            "v.num_value IS NOT NULL",
            *request.conditions,
        ]
    )
    sql = (
        f"(SELECT v.num_value FROM results_parameter_value v{request.run_join()} "  # noqa: S608 (fixed SQL)
        f"WHERE {where} ORDER BY v.num_value {direction} LIMIT 1)"
    )
    return sql, [request.name, *request.key, *request.params]


def _combined(rows: list[tuple]) -> tuple[int, float | None, float | None] | None:
    """``count, mean, variance`` of the rows' sums together, or None when one is unknown.

    Each row's count, mean and sum of squared deviations from its mean (M2)
    come from its own shift; the rows combine by Chan et al.'s parallel
    formula, which adds the spread between the rows' means.
    """
    count, mean, spread, peak = 0, 0.0, 0.0, 0.0
    for value_count, shift, shifted, squares, row_peak in rows:
        if not value_count:  # no row (the LEFT JOIN's nulls), or one with no value left
            continue
        if shift is None or shifted is None or squares is None:
            return None
        row_mean = shift + shifted / value_count
        row_spread = spread_of(value_count, shifted, squares)
        total = count + value_count
        delta = row_mean - mean
        if count:
            mean += delta * value_count / total
            spread += row_spread + delta * delta * count * value_count / total
        else:
            mean, spread = row_mean, row_spread
        count = total
        peak += row_peak or 0.0
    if spread < peak * PEAK_SHARE:
        return None
    if not count:
        return 0, None, None
    return count, mean, spread / (count - 1) if count > 1 else None


def _postgres(request: _Request, filters: list) -> tuple:
    """PostgreSQL: probe from the filter matching fewest runs, or scan when all match many."""
    own, others = request.split(filters)
    if not others:  # the own filter's index range holds the values themselves
        return _scanned(request, filters)
    row = None
    if len(others) == 1 and own is None:
        row = _probed(request, others[0], [], bounded=True)
    elif len(others) == 1:
        row = _probed_own_first(request, own, others[0])
    else:
        limit, counts = _capped_counts(request, filters)
        order = sorted(range(len(filters)), key=lambda index: counts[index])
        if counts[order[0]] <= limit:
            row = _probed(request, filters[order[0]], [filters[index] for index in order[1:]])
    return row if row is not None else _scanned(request, filters)


def _probe_limit(
    name: str, keys: list[tuple[str, str]], scanned_per_probe: int | None = None
) -> tuple[str, list]:
    """A query of the probe limit for the parameters ``keys`` (one row, ``runs``).

    ``PROBE_LIMIT``, or one per ``scanned_per_probe`` (``SCANNED_PER_PROBE``)
    runs holding the most common of the parameters, from the run counts
    registration keeps (a few rows of ``results_parameter_schema``, not a
    count of the values).
    """
    marks = ", ".join("(?, ?)" for _ in keys)
    sql = (
        "SELECT greatest(?, coalesce(max(runs), 0) / ?) AS runs FROM (SELECT sum(run_count) "  # noqa: S608 (fixed SQL)
        "AS runs FROM results_parameter_schema WHERE simulation_name = ? "
        f"AND (param_class, name) IN ({marks}) GROUP BY param_class, name) counted"
    )
    per_probe = scanned_per_probe or SCANNED_PER_PROBE
    return sql, [PROBE_LIMIT, per_probe, name, *(part for pair in keys for part in pair)]


def _capped_counts(request: _Request, filters: list) -> tuple[int, list[int]]:
    """The probe limit and each filter's matches, counted up to the limit + 1 (one statement)."""
    limit, values = _probe_limit(request.name, [entry[1:3] for entry in filters] + [request.key])
    counts = []
    for index, entry in enumerate(filters):
        conditions, params = filter_select(f"f{index}", request.name, entry)
        counts.append(
            f"(SELECT count(*) FROM (SELECT 1 FROM results_parameter_value f{index} "  # noqa: S608 (fixed SQL)
            f"WHERE {' AND '.join(conditions)} LIMIT (SELECT runs FROM probe_limit) + 1) c)"
        )
        values += params
    sql = (
        f"WITH probe_limit AS MATERIALIZED ({limit}) "  # noqa: S608 (fixed SQL)
        f"SELECT (SELECT runs FROM probe_limit), {', '.join(counts)}"
    )
    limit, *counted = query(sql, values).fetchone()
    return int(limit), [int(count) for count in counted]


def _probed(request: _Request, driving, others: list, bounded: bool = False) -> tuple | None:
    """PostgreSQL: the statistics from the ids ``driving`` matches, narrowed by ``others``.

    The ids are an array, narrowed by each filter of ``others`` in turn and
    then read for the parameter's values, each step one probe per id of the
    filter's parameter by its key (``results_value_key``). The parameter's
    own filter, if ``others`` holds it, is checked on the values as they are
    read, not in a pass of its own. ``bounded`` (a lone driving filter):
    its matches are not counted yet; they are collected up to the lone
    limit (``SCANNED_PER_LONE_PROBE``) + 1, and when there are more, None
    is the answer (the ``CASE`` leaves the rest unevaluated, and
    ``= ANY(NULL)`` reads nothing).
    """
    cap = "probe_limit" if bounded else None
    driving_ids, values = _matching_ids("f0", request, driving, cap)
    own, others = request.split(others)
    # (cast: "= ANY((SELECT ...))" would read as a subquery of arrays, not one array)
    ids, ids_params = _also_matching("(SELECT ids FROM driving)::bigint[]", others)
    answered = "TRUE"
    with_clause = f"driving AS MATERIALIZED (SELECT {driving_ids} AS ids)"
    if bounded:
        keys = [driving[1:3], request.key]
        limit, limit_params = _probe_limit(request.name, keys, SCANNED_PER_LONE_PROBE)
        with_clause = f"probe_limit AS MATERIALIZED ({limit}), {with_clause}"
        values = limit_params + values
        answered = "cardinality((SELECT ids FROM driving)) <= (SELECT runs FROM probe_limit)"
        ids = f"CASE WHEN {answered} THEN {ids} END"
    return _read_by_key(request, (with_clause, values), answered, (ids, ids_params), own)


def _matching_ids(alias: str, request: _Request, entry, limit: str | None) -> tuple[str, list]:
    """``ARRAY(...)`` of the run ids the filter ``entry`` matches (and its values); with
    ``limit``, the name of a CTE of one row ``runs``, at most that many + 1."""
    conditions, params = filter_select(alias, request.name, entry)
    cap = f" LIMIT (SELECT runs FROM {limit}) + 1" if limit else ""  # noqa: S608 (a CTE's name)
    sql = (
        f"ARRAY(SELECT {alias}.result_id FROM results_parameter_value {alias} "  # noqa: S608 (fixed SQL)
        f"WHERE {' AND '.join(conditions)}{cap})"
    )
    return sql, params


def _read_by_key(
    request: _Request, with_clause: tuple[str, list], answered: str, ids: tuple[str, list], own
) -> tuple | None:
    """PostgreSQL: the statistics of the parameter's values of the runs ``ids``.

    ``with_clause`` and ``ids`` (an array expression) are SQL with their
    values. The values are read by the parameter's key, one probe per id,
    the parameter's own filter ``own`` (or None) checked on each. None when
    ``answered`` (an SQL condition) is false: the plan passed.
    """
    (with_sql, values), (ids_sql, ids_params) = with_clause, ids
    own_conditions, own_params = operator_conditions("v", own or request.any_value())
    where = " AND ".join(
        [
            f"v.result_id = ANY({ids_sql})",
            key_condition("v"),
            "v.num_value IS NOT NULL",
            *own_conditions,
            *request.conditions,
        ]
    )
    aggregates, _, _ = request.aggregates()  # (no prefix on PostgreSQL)
    sql = (
        f"WITH {with_sql} SELECT {answered}, {aggregates} "  # noqa: S608 (fixed SQL)
        f"FROM results_parameter_value v{request.run_join()} WHERE {where}"
    )
    values = [*values, *ids_params, *key_values(*request.key), *own_params, *request.params]
    was_answered, *row = query(sql, values).fetchone()
    return tuple(row) if was_answered else None


def _probed_own_first(request: _Request, own, other) -> tuple | None:
    """PostgreSQL, one statement: the statistics under the parameter's own filter and ``other``.

    The own filter drives when it matches no more runs than the usual probe
    limit (its matches are collected up to the limit + 1), narrowed by
    ``other`` (``_also_matching``). Otherwise ``other`` drives, its matches
    collected up to the lone limit + 1 (``SCANNED_PER_LONE_PROBE``; the
    ``CASE`` leaves them uncollected when the own filter drives), and the own
    filter is checked on the values as they are read. None when ``other``
    matches more than that too.
    """
    own_limit, values = _probe_limit(request.name, [request.key])
    lone_limit, lone_params = _probe_limit(
        request.name, [other[1:3], request.key], SCANNED_PER_LONE_PROBE
    )
    own_ids, own_params = _matching_ids("o", request, own, "own_limit")
    other_ids, other_params = _matching_ids("f0", request, other, "probe_limit")
    values += lone_params + own_params + other_params
    own_few = "cardinality((SELECT ids FROM own_ids)) <= (SELECT runs FROM own_limit)"
    other_few = "cardinality((SELECT ids FROM driving)) <= (SELECT runs FROM probe_limit)"
    with_clause = (
        f"own_limit AS MATERIALIZED ({own_limit}), "
        f"probe_limit AS MATERIALIZED ({lone_limit}), "
        f"own_ids AS MATERIALIZED (SELECT {own_ids} AS ids), "
        f"driving AS MATERIALIZED (SELECT CASE WHEN {own_few} THEN NULL "
        f"ELSE {other_ids} END AS ids)"
    )
    narrowed, narrowed_params = _also_matching("(SELECT ids FROM own_ids)::bigint[]", [other])
    ids = (
        f"CASE WHEN {own_few} THEN {narrowed} "  # noqa: S608 (fixed SQL)
        f"WHEN {other_few} THEN (SELECT ids FROM driving)::bigint[] END"
    )
    answered = f"({own_few} OR {other_few})"
    return _read_by_key(request, (with_clause, values), answered, (ids, narrowed_params), own)


def _also_matching(ids: str, others: list) -> tuple[str, list]:
    """The array of the ``ids`` (an array expression) that every filter of ``others`` matches.

    Each filter narrows the array of the one before with one index scan of
    its parameter's key index for the array's ids (a probe per id, in id
    order, among one parameter's entries; the primary key's pages hold every
    parameter of a run, more than stay in shared buffers).
    """
    params = []
    for index, entry in enumerate(others, start=1):
        alias = f"f{index}"
        checks, values = operator_conditions(alias, entry)
        conditions = " AND ".join([key_condition(alias), *checks])
        ids = (
            f"ARRAY(SELECT {alias}.result_id FROM results_parameter_value {alias} "  # noqa: S608 (fixed SQL)
            f"WHERE {alias}.result_id = ANY({ids}) AND {conditions})"
        )
        # the inner array comes first in the text, so do its values
        params += [*key_values(*entry[1:3]), *values]
    return ids, params


def _ids_by_scans(name: str, filters: list) -> tuple[str, list]:
    """A query of the ids every filter matches: their index-only range scans, intersected."""
    selects, params = [], []
    for index, entry in enumerate(filters):
        conditions, values = filter_select(f"f{index}", name, entry)
        selects.append(
            f"SELECT f{index}.result_id FROM results_parameter_value f{index} "  # noqa: S608 (fixed SQL)
            f"WHERE {' AND '.join(conditions)}"
        )
        params += values
    return " INTERSECT ".join(selects), params


def _scanned(request: _Request, filters: list) -> tuple:
    """The statistics from one index-only range scan of the parameter's values.

    Narrowed by the parameter's own filter, if it has one; the ids the other
    filters match are hash-joined. The scan is a subquery (``OFFSET 0``) so
    the planner, which underestimates a range of one parameter, cannot turn
    it into a key probe per matching run.
    """
    aggregates, prefix, values = request.aggregates()
    own, others = request.split(filters)
    own_conditions, own_params = filter_select("v", request.name, own or request.any_value())
    source = f"{prefix}results_parameter_value v"
    if others:
        ids_sql, ids_params = _ids_by_scans(request.name, others)
        source = (
            f"{prefix}(SELECT v.result_id, v.num_value "  # noqa: S608 (fixed SQL)
            f"FROM results_parameter_value v WHERE {' AND '.join(own_conditions)} OFFSET 0) v "
            f"JOIN ({ids_sql}) ids ON ids.result_id = v.result_id"
        )
        values += own_params + ids_params
        own_conditions, own_params = [], []
    where = " AND ".join(["v.num_value IS NOT NULL", *own_conditions, *request.conditions])
    sql = f"SELECT {aggregates} FROM {source}{request.run_join()} WHERE {where}"  # noqa: S608 (fixed SQL)
    return query(sql, values + own_params + request.params).fetchone()


def _probed_sqlite(request: _Request, filters: list) -> tuple:
    """SQLite: the matching runs drive; each run's value is read once, where the filters meet it.

    The parameter's own filter, if it has one, is checked on the value as it
    is read, never probed on its own: a probe of the clustered primary key is
    a page of the whole value table at random, where the value's read from
    ``results_value_column`` finds one parameter's entries together. When the
    own filter is the likeliest to match fewest runs, its index range scan
    yields the values themselves and each other filter is one probe per value;
    otherwise the other filters' matches drive and each value is one probe.
    """
    aggregates, prefix, values = request.aggregates()
    own, others = request.split(filters)
    where = ["v.num_value IS NOT NULL", *request.conditions]
    if own and all(own[0] < entry[0] for entry in others):
        own_conditions, own_params = filter_select("v", request.name, own)
        probed, probed_params = probes(others, "v.result_id", fenced=False)
        where = " AND ".join([*own_conditions, *probed, *where])
        sql = (
            f"SELECT {aggregates} FROM {prefix}results_parameter_value v"  # noqa: S608 (fixed SQL)
            f"{request.run_join()} WHERE {where}"
        )
        return query(sql, values + own_params + probed_params + request.params).fetchone()
    ids_sql, ids_params = filters_subquery(request.name, others)
    value_conditions, value_params = filter_select("v", None, own or request.any_value())
    sql = (
        f"SELECT {aggregates} FROM {prefix}({ids_sql}) ids "  # noqa: S608 (fixed SQL)
        f"JOIN results_parameter_value v ON v.result_id = ids.result_id "
        f"AND {' AND '.join(value_conditions)}{request.run_join()} WHERE {' AND '.join(where)}"
    )
    return query(sql, values + ids_params + value_params + request.params).fetchone()


def _finite(value: float | None) -> float | None:
    """``value``, or None for what is not a finite double (a sum that overflowed)."""
    return value if value is not None and math.isfinite(value) else None


def _answer(request: _Request, row: tuple) -> dict:
    """The answer from ``count, min, max, mean`` and the variance or the shifted sums."""
    count, minimum, maximum, mean, *spread = row
    count = int(count or 0)
    variance = None
    if len(spread) == 1:  # PostgreSQL's var_samp: NULL below two values
        variance = spread[0]
        if request.scale and mean is not None:
            mean = _scaled_up(mean, request.scale)
            variance = _scaled_up(variance, 2 * request.scale)
    elif count > 1:
        shifted, squares = spread
        variance = max((squares - shifted * shifted / count) / (count - 1), 0.0)
    mean, variance = _finite(mean), _finite(variance)
    return {
        "simulation_name": request.name,
        "param_name": request.key[1],
        "param_class": request.key[0],
        "count": count,
        "min_value": minimum,
        "max_value": maximum,
        "avg_value": mean,
        "stddev_value": math.sqrt(variance) if variance is not None else None,
        "variance": variance,
    }


def _scaled_up(value: float | None, bits: int) -> float | None:
    """``value * 2^bits``, infinite where that is past the largest double (Python would raise)."""
    if value is None:
        return None
    try:
        return math.ldexp(value, bits)
    except OverflowError:
        return math.inf
