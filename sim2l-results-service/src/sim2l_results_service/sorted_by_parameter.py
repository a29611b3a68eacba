"""A page of a simulation's runs sorted by one parameter, read in the order of its indexes.

A parameter sort (``sort=input.temperature``) puts the runs in three groups,
each in the sort's direction and with ties broken by creation time, then id:
the runs with a number (by number), those with a text (by text), and those
with neither (no such parameter, a null, NaN, a list or an object). Each
group has an index in exactly that order:

- numbers: ``results_value_num`` (simulation, class, name, num_value,
  created_at, result_id);
- texts: ``results_value_str``, the same on ``str_value``;
- neither: ``results_result_sim_time`` (simulation, created_at, id), each
  run checked for a value by one primary-key probe.

So a page reads, from the group its cursor is in onwards, at most
``limit + 1`` entries of each group, where joining every run to its value
and sorting them all read the whole simulation for every page (about 290 ms
at 100,000 runs). The sort key of each run is the one ``orders.sort_order``
gives the joined plan, so cursors pass between the two.

Used for a search with no filter, version or status (the dashboard's table
of all runs, sorted by a column); the others keep the joined plan.
"""

from sim2l_results_service.models import query
from sim2l_results_service.orders import Order

# The groups in the order they come, in either direction: the value column
# each reads (None: runs without a number or a text).
GROUPS = ("num_value", "str_value", None)


def parameter_key(order: Order, column: str | None, value, created_at: float, run_id: int):
    """The sort key ``orders.sort_order`` gives a run of group ``column`` with ``value``."""
    present, missing = (1, 0) if order.descending else (0, 1)
    if column == "num_value":
        return (present, value, missing, "", created_at, run_id)
    if column == "str_value":
        return (missing, 0.0, present, value, created_at, run_id)
    return (missing, 0.0, missing, "", created_at, run_id)


def _group_of(order: Order, key: tuple) -> int:
    """The index in ``GROUPS`` of the group a cursor's ``key`` belongs to."""
    present = 1 if order.descending else 0
    if key[0] == present:
        return 0
    return 1 if key[2] == present else 2


def _valued_runs(name: str, parameter: tuple, order: Order, column: str, after, wanted: int):
    """``(run id, value, created_at)`` of the next runs with a ``column`` value, in order."""
    position, position_params = "", []
    if after is not None:
        value = after[1] if column == "num_value" else after[3]
        sign = "<" if order.descending else ">"
        position = f" AND (v.{column}, v.created_at, v.result_id) {sign} (?, ?, ?)"
        position_params = [value, after[4], after[5]]
    direction = order.direction
    sql = (
        f"SELECT v.result_id, v.{column}, v.created_at FROM results_parameter_value v "  # noqa: S608 (fixed SQL)
        "WHERE v.simulation_name = ? AND v.param_class = ? AND v.name = ? "
        f"AND v.{column} IS NOT NULL{position} "
        f"ORDER BY v.{column} {direction}, v.created_at {direction}, v.result_id {direction} "
        "LIMIT ?"
    )
    return query(sql, [name, *parameter, *position_params, wanted]).fetchall()


def _runs_without_value(name: str, parameter: tuple, order: Order, after, wanted: int):
    """``(run id, None, created_at)`` of the next runs holding neither a number nor a text."""
    position, position_params = "", []
    if after is not None:
        sign = "<" if order.descending else ">"
        position = f" AND (r.created_at, r.id) {sign} (?, ?)"
        position_params = [after[4], after[5]]
    direction = order.direction
    sql = (
        "SELECT r.id, NULL, r.created_at FROM results_result r "  # noqa: S608 (fixed SQL)
        f"WHERE r.simulation_name = ?{position} AND NOT EXISTS (SELECT 1 "
        "FROM results_parameter_value v WHERE v.result_id = r.id AND v.param_class = ? "
        "AND v.name = ? AND (v.num_value IS NOT NULL OR v.str_value IS NOT NULL)) "
        f"ORDER BY r.created_at {direction}, r.id {direction} LIMIT ?"
    )
    return query(sql, [name, *position_params, *parameter, wanted]).fetchall()


def page_keys(name: str, order: Order, after: tuple | None, wanted: int) -> list[tuple]:
    """``(run id, sort key)`` of up to ``wanted`` runs after the cursor ``after``, in order."""
    parameter = order.join_params  # (param_class, name)
    first = 0 if after is None else _group_of(order, after)
    found = []
    for index in range(first, len(GROUPS)):
        column = GROUPS[index]
        position = after if index == first else None
        missing = wanted - len(found)
        if column is None:
            rows = _runs_without_value(name, parameter, order, position, missing)
        else:
            rows = _valued_runs(name, parameter, order, column, position, missing)
        found += [
            (run_id, parameter_key(order, column, value, created_at, run_id))
            for run_id, value, created_at in rows
        ]
        if len(found) == wanted:
            break
    return found


def page_rows(name: str, order: Order, limit: int, after: tuple | None, columns: str) -> list:
    """Up to ``limit + 1`` runs' ``columns`` (on results ``r``), each followed by its sort key."""
    keys = page_keys(name, order, after, limit + 1)
    if not keys:
        return []
    marks = ", ".join("?" * len(keys))
    sql = f"SELECT {columns} FROM results_result r WHERE r.id IN ({marks})"  # noqa: S608 (fixed SQL)
    rows = {row[0]: row for row in query(sql, [run_id for run_id, _ in keys]).fetchall()}
    # (a run deleted between the two statements is left out of the page)
    return [(*rows[run_id], *key) for run_id, key in keys if run_id in rows]
