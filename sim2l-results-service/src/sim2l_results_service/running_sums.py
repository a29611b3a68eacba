"""The running sums of each parameter's numbers, kept by registration for the statistics.

``results_parameter_sums`` (migration 0007 says why it exists and what each
column holds) has one row per simulation, version, param_class and name:
the count of the numbers, the sums of their deviations from a shift inside
them and of the squares, and the largest the squares have been. Every
registration, replacement and deletion changes the rows of its numbers in its
own transaction (``update_sums``), after the other rows.

A row can stop answering in two ways, and the statistics then scan the
values instead (``statistics.py``):

- **unknown**: a number beyond ``SUMMED_MAGNITUDE`` (or not finite) was
  added, so the sums are NULL;
- **imprecise**: deleting large numbers left a spread that is tiny against
  the peak of the squares, so rounding may be most of what is left
  (``PEAK_SHARE``).

A deletion that takes out such a number, or leaves its row imprecise,
repairs the row from the values still stored (``_repair``): one scan of that
parameter's numbers of that version, only when a row needs it, so the
statistics answer from the sums again instead of scanning for good.
"""

from sim2l_results_service.models import execute
from sim2l_results_service.models import insert_many
from sim2l_results_service.models import uses_question_marks

# A value beyond this magnitude (or not finite) makes its row's running sums
# unknown: below it no deviation, square or sum of up to 10^27 squares can
# overflow a double (migration 0007), so PostgreSQL never raises on them.
SUMMED_MAGNITUDE = 1e140

# The running sums answer while the spread they give (the sum of squared
# deviations from the mean) is at least this share of the largest sum of
# squared deviations from the shifts they have held: each update's rounding is
# a few ulps of that peak, so the answer keeps at least 53 - 10 bits, less the
# few that many updates add. Below it (large values deleted since, or a shift
# far from the values' mean) the values are scanned, and a deletion repairs it.
PEAK_SHARE = 2.0**-10

_TABLE = "results_parameter_sums"
_KEY = ("simulation_name", "simulation_version", "param_class", "name")
_COLUMNS = (*_KEY, "value_count", "value_shift", "value_sum", "value_squares", "squares_peak")


def spread_of(count: int, shifted: float, squares: float) -> float:
    """The sum of squared deviations from the mean, from a row's sums (never below 0)."""
    return max(squares - shifted * shifted / count, 0.0)


def summable(number: float) -> bool:
    """Whether a number can go into the running sums (within the bound, and finite)."""
    return abs(number) <= SUMMED_MAGNITUDE  # (False for NaN too)


def _upsert_suffix() -> str:
    """The upsert's ``ON CONFLICT``: add one value's deviation from the row's shift, times the sign.

    The incoming row carries the sign in ``value_count`` (1 to add, -1 to
    take away, 0 to only lock the row), the value in ``value_shift`` and, in
    ``value_sum`` and ``value_squares``, 0 or NULL (a value beyond
    ``SUMMED_MAGNITUDE``: the sums become unknown). A new row starts with the
    value as its shift.
    """
    shift = f"coalesce({_TABLE}.value_shift, excluded.value_shift)"
    deviation = f"coalesce(excluded.value_shift - {shift}, 0)"
    squares = (
        f"{_TABLE}.value_squares + excluded.value_squares "
        f"+ excluded.value_count * {deviation} * {deviation}"
    )
    greatest = "max" if uses_question_marks() else "greatest"  # (SQLite's max of two is scalar)
    return (
        " ON CONFLICT (simulation_name, param_class, name, simulation_version) DO UPDATE SET "
        f"value_count = {_TABLE}.value_count + excluded.value_count, value_shift = {shift}, "
        f"value_sum = {_TABLE}.value_sum + excluded.value_sum "
        f"+ excluded.value_count * {deviation}, value_squares = {squares}, "
        f"squares_peak = {greatest}({_TABLE}.squares_peak, {squares})"
    )


def _upsert_rows(numbers: list, sign: int) -> list[tuple]:
    """The upsert rows of ``numbers`` (``(simulation, version, param_class, name, number)``)."""
    rows = []
    for key in sorted(numbers):
        number = key[4]
        if sign and not summable(number):
            rows.append((*key[:4], sign, None, None, None, None))
        else:
            rows.append((*key[:4], sign, number if sign else None, 0.0, 0.0, 0.0))
    return rows


def update_sums(removed: list, added: list) -> None:
    """Take the ``removed`` numbers out of the running sums and put the ``added`` ones in.

    ``(simulation, version, param_class, name, number)`` each. The rows are
    locked in one order, by key: the first statement touches every row the
    second will (rows only to add to get a sign of 0), so two registrations
    never wait for each other crosswise on PostgreSQL. Rows left without a
    value go; rows the removal left unknown or imprecise are repaired.
    """
    if removed:
        keys = {number[:4] for number in removed}
        only_added = [(*number[:4], None) for number in added if number[:4] not in keys]
        rows = sorted(_upsert_rows(removed, -1) + _upsert_rows(only_added, 0))
        insert_many(_TABLE, _COLUMNS, rows, _upsert_suffix())
    insert_many(_TABLE, _COLUMNS, _upsert_rows(added, 1), _upsert_suffix())
    for simulation in sorted({number[0] for number in removed}):
        execute(
            f"DELETE FROM {_TABLE} WHERE simulation_name = ? AND value_count <= 0",  # noqa: S608 (fixed SQL)
            (simulation,),
        )
    if removed:
        _repair(removed)


def _repair(removed: list) -> None:
    """Recompute, from the stored values, the rows ``removed`` left unknown or imprecise.

    An unknown row is worth a scan only when a number that made it unknown
    went (while one stays, the scan would find it unknown again); an
    imprecise one always is. The rows are already locked by this transaction
    (``update_sums`` wrote them), so no registration changes them meanwhile.
    """
    unknown_went = {number[:4] for number in removed if not summable(number[4])}
    touched = {number[:4] for number in removed}
    for simulation in sorted({key[0] for key in touched}):
        # The rows that may need it, chosen in SQL: almost always none comes back.
        # (``spread_of`` below the peak's share; the rows left count at least one value.)
        rows = execute(
            "SELECT simulation_version, param_class, name, value_sum IS NULL "  # noqa: S608 (fixed SQL)
            f"FROM {_TABLE} WHERE simulation_name = ? AND (value_sum IS NULL "
            "OR value_squares - value_sum * value_sum / value_count < squares_peak * ?)",
            (simulation, PEAK_SHARE),
        ).fetchall()
        for version, param_class, name, unknown in rows:
            key = (simulation, version, param_class, name)
            if key in touched and (key in unknown_went or not unknown):
                _recompute(key)


_NUMBERS_OF_KEY = (
    "FROM results_parameter_value v JOIN results_result r ON r.id = v.result_id "
    "WHERE v.simulation_name = ? AND r.simulation_version = ? AND v.param_class = ? "
    "AND v.name = ? AND v.num_value IS NOT NULL"
)


def _recompute(key: tuple) -> None:
    """Rewrite one row's sums from its numbers, shifted by their mean (still unknown if one is
    beyond the bound); its peak starts again at its squares."""
    bound = repr(SUMMED_MAGNITUDE)  # a constant, not input
    count, largest, shift = execute(
        f"SELECT count(*), max(abs(v.num_value)), avg(CASE WHEN abs(v.num_value) <= {bound} "  # noqa: S608 (fixed SQL)
        f"THEN v.num_value END) {_NUMBERS_OF_KEY}",
        key,
    ).fetchone()
    if not count or not summable(largest):
        return  # no number left (the row went already), or one still beyond the bound
    shifted, squares = execute(
        "SELECT sum(v.num_value - ?), sum((v.num_value - ?) * (v.num_value - ?)) "  # noqa: S608 (fixed SQL)
        f"{_NUMBERS_OF_KEY}",
        (shift, shift, shift, *key),
    ).fetchone()
    execute(
        f"UPDATE {_TABLE} SET value_count = ?, value_shift = ?, value_sum = ?, "  # noqa: S608 (fixed SQL)
        "value_squares = ?, squares_peak = ? WHERE simulation_name = ? "
        "AND simulation_version = ? AND param_class = ? AND name = ?",
        (count, shift, shifted, squares, squares, *key),
    )
