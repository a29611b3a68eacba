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

So a page reads, from the group its cursor is in onwards, the next entries
of each group, where joining every matching run to its value and sorting
them all read every match for every page (about 290 ms for all of 100,000
runs). The sort key of each run is the one ``orders.sort_order`` gives the
joined plan, so cursors pass between the two.

Used for a search of one simulation when more than a window of runs
(``filters.window_of(limit)`` runs) may match; fewer are sorted whole by the
joined plan, cheaply:

- no filter, version or status: ``limit + 1`` entries;
- a version or status, more than a window of runs meeting them: each entry
  is checked against its run's row in the statement;
- filters whose most selective one matches more than a window of runs: the
  entries are read in chunks (four times the page, then four times the
  chunk before), each checked by one key probe per filter (and the
  version and status). Matches that lie far apart in the order (a filter
  correlated with the sort) would make this read most of the simulation:
  past ``SCAN_WINDOWS`` windows of entries without a full page, the joined
  plan reads the page instead.
"""

from dataclasses import dataclass

from sim2l_results_service.filters import probes
from sim2l_results_service.filters import window_of
from sim2l_results_service.models import page_limit
from sim2l_results_service.models import query
from sim2l_results_service.models import uses_question_marks
from sim2l_results_service.orders import Order

# The groups in the order they come, in either direction: the value column
# each reads (None: runs without a number or a text).
GROUPS = ("num_value", "str_value", None)
# With filters: the windows of entries a page reads before the joined plan takes over.
SCAN_WINDOWS = 4
FIRST_CHUNK = 4  # with filters, entries of the first chunk per run wanted; each next is 4x


def applies(criteria: dict, parsed: tuple, limit: int, count_matches) -> bool:
    """Whether a search's page sorted by a parameter is read in index order.

    ``parsed`` is ``filters.parse_criteria``'s; ``count_matches()`` the
    driving filter's matches, counted up to ``filters.window_of(limit)``
    (with filters, more than that many decide). With a version or status and
    no filter, one bounded count decides.
    """
    conditions, params, filters = parsed
    name = criteria.get("simulation_name")
    if name is None:
        return False
    window = window_of(limit)
    if filters:
        return count_matches() > window
    if not conditions:
        return True
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
    """What the queries of one page share: simulation, order, conditions on the runs ``r``
    (version, status) and the parsed parameter filters."""

    name: str
    order: Order
    conditions: list[str]
    params: list
    filters: list

    @property
    def parameter(self) -> tuple[str, str]:
        """``(param_class, name)`` of the parameter sorted by."""
        return self.order.join_params

    def checks(self, run_id: str) -> tuple[str, str, list, list]:
        """``(WHERE part, matched flag, the part's values, the flag's values)`` for ``run_id``.

        Without filters the conditions narrow the statement and every entry
        it reads matches (flag ``1``); with filters, conditions and filters
        make the flag of each entry read (the reads are counted against
        ``SCAN_WINDOWS``).
        """
        conditions = "".join(f" AND {condition}" for condition in self.conditions)
        if not self.filters:
            return conditions, "1", self.params, []
        probed, values = probes(self.filters, run_id, not uses_question_marks())
        flag = f"CASE WHEN {' AND '.join([*self.conditions, *probed])} THEN 1 ELSE 0 END"
        return "", flag, [], [*self.params, *values]


def _position(order: Order, columns: str, values: list) -> tuple[str, list]:
    """`` AND (columns) > (values)`` (``<`` descending): after the cursor; none without one."""
    if values is None:
        return "", []
    sign = "<" if order.descending else ">"
    return f" AND ({columns}) {sign} ({', '.join('?' * len(values))})", values


def _valued_entries(search: _Search, column: str, after, rows: int) -> tuple[str, list]:
    """The query of the next ``rows`` entries with a ``column`` value: (id, value, created_at,
    matched)."""
    cursor = None if after is None else [after[1 if column == "num_value" else 3], *after[4:]]
    position, position_params = _position(
        search.order, f"v.{column}, v.created_at, v.result_id", cursor
    )
    where, flag, where_params, flag_params = search.checks("v.result_id")
    limit, limit_params = page_limit(rows, filtered=bool(search.filters))
    join = " JOIN results_result r ON r.id = v.result_id" if search.conditions else ""
    direction = search.order.direction
    sql = (
        f"SELECT v.result_id, v.{column}, v.created_at, {flag} "  # noqa: S608 (fixed SQL)
        f"FROM results_parameter_value v{join} "
        "WHERE v.simulation_name = ? AND v.param_class = ? AND v.name = ? "
        f"AND v.{column} IS NOT NULL{where}{position} "
        f"ORDER BY v.{column} {direction}, v.created_at {direction}, v.result_id {direction} "
        f"{limit}"
    )
    values = [
        *flag_params,
        search.name,
        *search.parameter,
        *where_params,
        *position_params,
        *limit_params,
    ]
    return sql, values


def _entries_without_value(search: _Search, after, rows: int) -> tuple[str, list]:
    """The query of the next ``rows`` runs with neither a number nor a text: (id, NULL,
    created_at, matched)."""
    cursor = None if after is None else list(after[4:])
    position, position_params = _position(search.order, "r.created_at, r.id", cursor)
    where, flag, where_params, flag_params = search.checks("r.id")
    limit, limit_params = page_limit(rows, filtered=bool(search.filters))
    direction = search.order.direction
    sql = (
        f"SELECT r.id, NULL, r.created_at, {flag} FROM results_result r "  # noqa: S608 (fixed SQL)
        f"WHERE r.simulation_name = ?{where}{position} AND NOT EXISTS (SELECT 1 "
        "FROM results_parameter_value v WHERE v.result_id = r.id AND v.param_class = ? "
        "AND v.name = ? AND (v.num_value IS NOT NULL OR v.str_value IS NOT NULL)) "
        f"ORDER BY r.created_at {direction}, r.id {direction} {limit}"
    )
    values = [
        *flag_params,
        search.name,
        *where_params,
        *position_params,
        *search.parameter,
        *limit_params,
    ]
    return sql, values


def page_keys(search: _Search, after, wanted: int, budget: int) -> list[tuple] | None:
    """``(run id, sort key)`` of up to ``wanted`` matching runs after the cursor ``after``.

    None when the search has filters and ``budget`` entries were read
    without finding them (the joined plan reads the page then).
    """
    order = search.order
    first = 0 if after is None else _group_of(order, after)
    found, chunk = [], FIRST_CHUNK * wanted
    for index in range(first, len(GROUPS)):
        column = GROUPS[index]
        position = after if index == first else None
        while len(found) < wanted:
            asked = wanted - len(found)
            if search.filters:
                asked = min(max(chunk, asked), budget)
                if asked == 0:
                    return None
            if column is None:
                sql, values = _entries_without_value(search, position, asked)
            else:
                sql, values = _valued_entries(search, column, position, asked)
            entries = query(sql, values).fetchall()
            budget -= len(entries)
            keys = [
                (run_id, parameter_key(order, column, value, created_at, run_id))
                for run_id, value, created_at, _ in entries
            ]
            matching = [key for key, entry in zip(keys, entries, strict=True) if entry[3]]
            found += matching[: wanted - len(found)]
            if len(entries) < asked:
                break  # this group is read to its end
            position = keys[-1][1]
            chunk *= FIRST_CHUNK
    return found


def page_rows(criteria: dict, parsed: tuple, order: Order, limit: int, after, columns: str):
    """Up to ``limit + 1`` runs' ``columns`` (on results ``r``), each followed by its sort key.

    None when the search's filters matched too few of the entries read (see
    ``SCAN_WINDOWS``). The keys and the rows are two statements: a run
    deleted between them is left out, and as many keys after the last one
    read are read for it, so that a page is never taken for the last one
    while runs remain.
    """
    conditions, params, filters = parsed
    search = _Search(criteria["simulation_name"], order, conditions, params, filters)
    wanted = limit + 1
    budget = SCAN_WINDOWS * window_of(limit)
    page = []
    while len(page) < wanted:
        asked = wanted - len(page)
        keys = page_keys(search, after, asked, budget)
        if keys is None:
            return None
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
