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

Used for a search of one simulation with no parameter filter (the
dashboard's table of all runs, sorted by a column). With a version or status,
each entry read is checked against the run's row, so the plan is used only
when more than a window of runs (``WINDOW_FACTOR`` times the page) meet
them: then a page reads about a fortieth of the simulation's values where
the runs meeting them are spread over the values, and every value, as the
joined plan does, where they all sort last. Fewer runs are sorted whole by
the joined plan, cheaply.
"""

from dataclasses import dataclass

from sim2l_results_service.models import query
from sim2l_results_service.orders import Order

# The groups in the order they come, in either direction: the value column
# each reads (None: runs without a number or a text).
GROUPS = ("num_value", "str_value", None)
# With a version or status: the runs meeting them, per run of the page, above
# which the indexes are read (fewer are sorted whole by the joined plan).
WINDOW_FACTOR = 40


def applies(criteria: dict, parsed: tuple, limit: int) -> bool:
    """Whether a search's page sorted by a parameter is read in index order.

    ``parsed`` is ``filters.parse_criteria``'s; a search with filters never is.
    """
    conditions, params, filters = parsed
    name = criteria.get("simulation_name")
    if filters or name is None:
        return False
    if not conditions:
        return True
    window = (limit + 1) * WINDOW_FACTOR
    sql = (
        "SELECT count(*) FROM (SELECT 1 FROM results_result r "  # noqa: S608 (fixed SQL)
        f"WHERE r.simulation_name = ? AND {' AND '.join(conditions)} LIMIT ?) meeting"
    )
    return query(sql, [name, *params, window + 1]).fetchone()[0] > window


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


@dataclass(frozen=True)
class _Search:
    """What the queries of one page share: simulation, order and conditions on the runs ``r``."""

    name: str
    order: Order
    conditions: list[str]  # version, status
    params: list

    @property
    def parameter(self) -> tuple[str, str]:
        """``(param_class, name)`` of the parameter sorted by."""
        return self.order.join_params


def _position(order: Order, columns: str, values: list) -> tuple[str, list]:
    """`` AND (columns) > (values)`` (``<`` descending): after the cursor; none without one."""
    if values is None:
        return "", []
    sign = "<" if order.descending else ">"
    return f" AND ({columns}) {sign} ({', '.join('?' * len(values))})", values


def _valued_runs(search: _Search, column: str, after) -> tuple[str, list]:
    """The query of the next runs with a ``column`` value, in order: (id, value, created_at)."""
    cursor = None if after is None else [after[1 if column == "num_value" else 3], *after[4:]]
    position, position_params = _position(
        search.order, f"v.{column}, v.created_at, v.result_id", cursor
    )
    direction = search.order.direction
    join, where = "", ""
    if search.conditions:
        join = " JOIN results_result r ON r.id = v.result_id"
        where = "".join(f" AND {condition}" for condition in search.conditions)
    sql = (
        f"SELECT v.result_id, v.{column}, v.created_at FROM results_parameter_value v{join} "  # noqa: S608 (fixed SQL)
        "WHERE v.simulation_name = ? AND v.param_class = ? AND v.name = ? "
        f"AND v.{column} IS NOT NULL{where}{position} "
        f"ORDER BY v.{column} {direction}, v.created_at {direction}, v.result_id {direction} "
        "LIMIT ?"
    )
    return sql, [search.name, *search.parameter, *search.params, *position_params]


def _runs_without_value(search: _Search, after) -> tuple[str, list]:
    """The query of the next runs holding neither a number nor a text: (id, NULL, created_at)."""
    cursor = None if after is None else list(after[4:])
    position, position_params = _position(search.order, "r.created_at, r.id", cursor)
    direction = search.order.direction
    where = "".join(f" AND {condition}" for condition in search.conditions)
    sql = (
        "SELECT r.id, NULL, r.created_at FROM results_result r "  # noqa: S608 (fixed SQL)
        f"WHERE r.simulation_name = ?{where}{position} AND NOT EXISTS (SELECT 1 "
        "FROM results_parameter_value v WHERE v.result_id = r.id AND v.param_class = ? "
        "AND v.name = ? AND (v.num_value IS NOT NULL OR v.str_value IS NOT NULL)) "
        f"ORDER BY r.created_at {direction}, r.id {direction} LIMIT ?"
    )
    return sql, [search.name, *search.params, *position_params, *search.parameter]


def page_keys(criteria: dict, parsed: tuple, order: Order, after, wanted: int) -> list[tuple]:
    """``(run id, sort key)`` of up to ``wanted`` runs after the cursor ``after``, in order."""
    conditions, params, _ = parsed
    search = _Search(criteria["simulation_name"], order, conditions, params)
    first = 0 if after is None else _group_of(order, after)
    found = []
    for index in range(first, len(GROUPS)):
        column = GROUPS[index]
        position = after if index == first else None
        if column is None:
            sql, values = _runs_without_value(search, position)
        else:
            sql, values = _valued_runs(search, column, position)
        rows = query(sql, [*values, wanted - len(found)]).fetchall()
        found += [
            (run_id, parameter_key(order, column, value, created_at, run_id))
            for run_id, value, created_at in rows
        ]
        if len(found) == wanted:
            break
    return found


def page_rows(criteria: dict, parsed: tuple, order: Order, limit: int, after, columns: str):
    """Up to ``limit + 1`` runs' ``columns`` (on results ``r``), each followed by its sort key.

    The keys and the rows are two statements: a run deleted between them is
    left out, and as many keys after the last one read are read for it, so
    that a page is never taken for the last one while runs remain.
    """
    wanted = limit + 1
    page = []
    while len(page) < wanted:
        asked = wanted - len(page)
        keys = page_keys(criteria, parsed, order, after, asked)
        page += _rows_of(keys, columns)
        if len(keys) < asked:
            break  # no run is left after these
        after = keys[-1][1]
    return page


def _rows_of(keys: list[tuple], columns: str) -> list[tuple]:
    """The ``columns`` of the runs of ``keys`` (``(id, sort key)``), in order, keys appended."""
    if not keys:
        return []
    marks = ", ".join("?" * len(keys))
    sql = f"SELECT {columns} FROM results_result r WHERE r.id IN ({marks})"  # noqa: S608 (fixed SQL)
    rows = {row[0]: row for row in query(sql, [run_id for run_id, _ in keys]).fetchall()}
    return [(*rows[run_id], *key) for run_id, key in keys if run_id in rows]
