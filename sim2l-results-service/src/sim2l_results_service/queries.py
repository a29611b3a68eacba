"""Searches and listings, each one SQL statement run in the database (statistics: ``statistics``).

Parameter filters come parsed (``filters.py``, the filter compiler, which
also turns them into the semi-join on the values); nothing is filtered in
Python. A search that cannot run is a ``QueryError`` (a domain error).
"""

import functools
import math
from pathlib import Path

import orjson
from sim2l_service_kit import format_timestamp
from sim2l_service_kit.pagination import page_answer

from sim2l_results_service import sorted_by_parameter
from sim2l_results_service.filters import driving_matches
from sim2l_results_service.filters import filter_select
from sim2l_results_service.filters import filters_subquery
from sim2l_results_service.filters import parse_criteria
from sim2l_results_service.filters import probes
from sim2l_results_service.filters import window_of
from sim2l_results_service.models import execute
from sim2l_results_service.models import page_limit
from sim2l_results_service.models import query
from sim2l_results_service.models import uses_question_marks
from sim2l_results_service.orders import Order
from sim2l_results_service.runfile import Limits
from sim2l_results_service.runfile import ValueReader

MAX_WINDOW_NEED = 1000
MAX_WINDOWS = 16  # first windows' worth of runs a windowed search reads before collecting
# Up to this many matches of the driving filter, PostgreSQL probes the other
# filters (and a statistic's values) by key per match; beyond it, index range
# scans hash-joined cost less (a key probe costs PostgreSQL 4-25 us, a scanned
# index entry well under 1 us; measured on 10,000 runs). The scans grow with
# the runs that hold the parameters, so the limit does too: one probe per
# SCANNED_PER_PROBE such runs (at 100,000 runs, statistics under a 1,000-match
# range took 45 ms scanning and 13-24 ms probing; 5,000 matches, the other way).
PROBE_LIMIT = 200
SCANNED_PER_PROBE = 50
# How PostgreSQL plans a merged page (``_merged_page``), for its statement
# alone: merge joins of index scans in time order, the only plan it is given
# (no hash or nested-loop join between the filters, no sort to reorder them;
# the page's own rows are still read by key). jit off: the disabled plans'
# nominal costs would otherwise make it compile the query (285 ms measured).
# One generic plan: the shape no longer depends on the values, and planning
# it took 2.7 ms, three times running it.
MERGED_PLAN = {
    "enable_hashjoin": "off",
    "enable_nestloop": "off",
    "enable_sort": "off",
    "jit": "off",
    "plan_cache_mode": "force_generic_plan",
}
RESULT_COLUMNS = (
    "r.id, r.execution_id, r.simulation_name, r.simulation_version, r.status, r.username, "
    "r.created_at, r.completed_at, r.duration_seconds, r.registered_at, r.inputs_json, "
    "r.outputs_json"
)
RESULT_WIDTH = RESULT_COLUMNS.count(",") + 1  # a page's rows carry their sort key after these


def where_clause(criteria: dict, few_matches: bool = False) -> tuple[str, list]:
    """The WHERE clause on results ``r`` for simulation, version, status and parameter filters.

    ``few_matches``: the driving filter matches few runs (see ``filters.filters_subquery``).
    """
    conditions, params, filters = parse_criteria(criteria)
    if criteria.get("simulation_name") is not None:
        conditions.insert(0, "r.simulation_name = ?")
        params.insert(0, criteria["simulation_name"])
    if filters:
        sql, values = filters_subquery(criteria["simulation_name"], filters, few_matches)
        conditions.append(f"r.id IN ({sql})")
        params += values
    return (" AND ".join(conditions) or "1 = 1"), params


def _probe_limit(simulation_name: str, keys: list[tuple[str, str]]) -> int:
    """Matches up to which probing per match beats scanning the parameters ``keys`` (PostgreSQL).

    ``PROBE_LIMIT``, or one per ``SCANNED_PER_PROBE`` runs holding the most
    common of the parameters, from the run counts registration keeps (a few
    rows of ``results_parameter_schema``, not a count of the values).
    """
    marks = ", ".join("(?, ?)" for _ in keys)
    row = query(
        "SELECT max(runs) FROM (SELECT sum(run_count) AS runs FROM results_parameter_schema "  # noqa: S608 (fixed SQL; values are bound parameters)
        f"WHERE simulation_name = ? AND (param_class, name) IN ({marks}) "
        "GROUP BY param_class, name) counted",
        [simulation_name, *(value for key in keys for value in key)],
    ).fetchone()
    return max(PROBE_LIMIT, int(row[0] or 0) // SCANNED_PER_PROBE)


def _window_end_select(name: str, order: Order, start: tuple[str, list], window: int):
    """The query of the created_at of the ``window``-th run from ``start``, and its values.

    ``start`` is a condition on the alias ``e`` with its values; the runs are
    read in creation order from the time index. No row when fewer runs follow.
    """
    start_sql, start_params = start
    sql = (
        f"SELECT e.created_at FROM results_result e WHERE e.simulation_name = ? AND {start_sql} "  # noqa: S608 (fixed SQL)
        f"ORDER BY {order.order_by(('e.created_at', 'e.id'))} LIMIT 1 OFFSET ?"
    )
    return sql, [name, *start_params, window - 1]


def _window_edge(name: str, order: Order, start: tuple[str, list], window: int) -> tuple[str, list]:
    """``">= (the created_at of the window's last run)"`` (``<=`` oldest first), and its values."""
    sql, params = _window_end_select(name, order, start, window)
    return f"{'>=' if order.descending else '<='} ({sql})", params


def _window_end(name: str, order: Order, start, window: int) -> float | None:
    """The created_at of the ``window``-th run from ``start("e")``, or None when fewer follow."""
    row = query(*_window_end_select(name, order, start("e"), window)).fetchone()
    return row[0] if row else None


def _windowed_page(
    criteria: dict, order: Order, limit: int, after: tuple | None, parsed: tuple
) -> list | None:
    """The page from the next runs in creation order only, or None when they hold too few matches.

    For a search sorted by creation time, the page is among the
    ``filters.window_of(limit)`` runs that follow the cursor whenever
    those hold at least ``limit + 1`` matches: any match outside them comes
    after all of them. The runs are read in order along the time index from
    the cursor, each checked with one key probe per filter, and the
    reading stops at the page's last match or at the window's edge (the
    ``created_at`` of its last run), so a broad search stops early instead
    of collecting every match to sort it, and a deep page reads what the
    first reads. Used only when the driving filter matches more runs than
    the window holds; fewer are cheaper to collect and sort. A window that
    holds too few matches is followed by the next runs
    (``_following_windows``). ``parsed``: ``parse_criteria(criteria)``.
    """
    need = limit + 1
    conditions, params, filters = parsed
    if not filters or need > MAX_WINDOW_NEED:
        return None
    window = window_of(limit)
    name = criteria["simulation_name"]
    if not conditions and not uses_question_marks():
        return _merged_page(name, filters, order, limit, after, window)
    read = _window_reader(name, order, conditions, params, filters)

    def from_cursor(alias: str) -> tuple[str, list]:
        return order.after(after, (f"{alias}.created_at", f"{alias}.id"))

    edge_sql, edge_params = _window_edge(name, order, from_cursor("e"), window)
    rows = read(from_cursor("r"), (edge_sql, edge_params), need)
    if len(rows) == need:
        return rows
    return _following_windows(name, order, read, rows, from_cursor, window, need)


def _window_reader(name: str, order: Order, conditions: list, params: list, filters: list):
    """``read(start, edge, wanted)``: up to ``wanted`` matches among the runs of one window.

    ``start`` and ``edge`` are conditions on the results ``r`` with their
    values: the runs after the window's start, up to its edge (``None``: to
    the last run).
    """
    # Only the window's runs get probed (fenced: SQLite always probes per row,
    # and takes no OFFSET without a LIMIT).
    ordered = sorted(filters, key=lambda item: item[0])
    checks, check_params = probes(
        ordered, "r.id", not uses_question_marks(), first=0, scattered=False
    )

    def read(start: tuple[str, list], edge: tuple[str, list] | None, wanted: int) -> list:
        edge_sql, edge_params = edge if edge is not None else ("IS NOT NULL", [])
        where = " AND ".join(
            ["r.simulation_name = ?", start[0], f"r.created_at {edge_sql}", *conditions, *checks]
        )
        limit, limit_params = page_limit(wanted, filtered=bool(filters))
        values = [name, *start[1], *edge_params, *params, *check_params, *limit_params]
        return query(_page_sql(order, where, limit), values).fetchall()

    return read


def _following_windows(name, order, read, found, start, window, need) -> list | None:
    """The page continued over the runs after a first window that held too few matches.

    Each next window starts after the previous one's edge and holds as many
    runs as the matches per run found so far say the rest of the page needs
    (half again, for luck; four times the runs read when none matched);
    reaching the last run completes the page, whatever it holds. None (the
    matches are collected instead) past ``MAX_WINDOWS`` first windows' worth
    of runs. Two broad filters whose matches thin out among the newest runs
    no longer collect every match of both. Measured in the service's process
    at 100,000 runs, the bench's two-range searches alternating with and
    without following (200 each, the same answers): SQLite p95 42.4 -> 5.4 ms
    (p99 105 -> 6.6, p50 1.7 either way); with a version, which PostgreSQL
    answers by windows too, PostgreSQL p95 29.3 -> 13.9 ms, SQLite 38.2 -> 5.8.
    ``start(alias)`` is the first window's start: the cursor.
    """
    budget = window * MAX_WINDOWS
    read_runs, size = 0, window
    while True:
        end = _window_end(name, order, start, size)
        if end is None:  # no more than `size` runs left: the page is among them
            return found + read(start("r"), None, need - len(found))
        if read_runs:  # (the first window's matches are `found` already)
            found = found + read(start("r"), _edge_at(order, end), need - len(found))
            if len(found) == need:
                return found
        read_runs += size
        if read_runs >= budget:
            return None
        wanted = need - len(found)
        estimate = math.ceil(1.5 * wanted * read_runs / len(found)) if found else 4 * read_runs
        size = min(budget - read_runs, max(window, estimate))
        start = functools.partial(_created_beyond, order, end)


def _edge_at(order: Order, created_at: float) -> tuple[str, list]:
    """A window's edge condition on ``r.created_at``: up to the run created at ``created_at``."""
    return (">= ?" if order.descending else "<= ?"), [created_at]


def _created_beyond(order: Order, created_at: float, alias: str) -> tuple[str, list]:
    """The condition "created after ``created_at``" in ``order`` (before it, newest first)."""
    return f"{alias}.created_at {'<' if order.descending else '>'} ?", [created_at]


def _merged_page(
    name: str, filters: list, order: Order, limit: int, after: tuple | None, bound: int | None
) -> list | None:
    """PostgreSQL's window: the filters' parameters read in time order and merged, or None.

    Each filter reads its parameter's values along ``results_value_time``
    (migration 0008) from the cursor on, newest (or oldest) first, and the
    reads are merge-joined on ``(created_at, result_id)``: index-only scans
    that stop at the page's last match, where the window of result rows
    probed each run's values by key. The driving filter's read stops at its
    first ``bound`` matches; when those hold fewer than ``limit + 1`` matches
    of every filter the answer is None, as for a window that holds too few.
    Without a ``bound`` the reads go on to the end and the page is the answer.

    The planner is told the plan (``MERGED_PLAN``): its estimate of a range
    of one parameter comes from statistics of every parameter's values, so
    left alone it probes per match or hashes whole ranges.
    """
    ordered = sorted(filters, key=lambda entry: entry[0])
    joins, values = [], []
    for index, entry in enumerate(ordered):
        alias = f"f{index}"
        keys = (f"{alias}.created_at", f"{alias}.result_id")
        conditions, params = filter_select(alias, name, entry)
        after_sql, after_params = order.after(after, keys)
        where = " AND ".join([*conditions, after_sql])
        if index == 0:
            cap, cap_params = page_limit(bound, filtered=True) if bound is not None else ("", [])
            joins.append(
                f"(SELECT {', '.join(keys)} FROM results_parameter_value {alias} "  # noqa: S608 (fixed SQL)
                f"WHERE {where} ORDER BY {order.order_by(keys)} {cap}) f0"
            )
            values += [*params, *after_params, *cap_params]
        else:
            joins.append(
                f"JOIN results_parameter_value {alias} ON {alias}.created_at = f0.created_at "  # noqa: S608 (fixed SQL)
                f"AND {alias}.result_id = f0.result_id AND {where}"
            )
            values += [*params, *after_params]
    page, page_params = page_limit(limit + 1, filtered=True)
    sql = _page_sql(order, "1 = 1", page, " ".join(joins), ("f0.created_at", "f0.result_id"))
    rows = query(sql, [*values, *page_params], planner=MERGED_PLAN).fetchall()
    return rows if len(rows) == limit + 1 or bound is None else None


def _page_sql(
    order: Order, where: str, limit: str, source: str = "results_result r", keys=None
) -> str:
    """The page's ids and sort keys chosen first (narrow rows), then only its rows read whole.

    ``limit``: the clause of how many (``page_limit``); ``source`` is what
    the ids and ``keys`` (the order's own by default; the first is the run's
    id) are chosen from.
    """
    keys = keys or order.keys
    aliases = tuple(f"k{index}" for index in range(len(keys)))
    selected = ", ".join(f"{key} AS {alias}" for key, alias in zip(keys, aliases, strict=True))
    return (
        f"SELECT {RESULT_COLUMNS}, {', '.join('page.' + alias for alias in aliases)} "  # noqa: S608 (fixed SQL)
        f"FROM (SELECT {keys[-1]} AS id, {selected} FROM {source} WHERE {where} "
        f"ORDER BY {order.order_by(keys)} {limit}) page "
        "JOIN results_result r ON r.id = page.id "
        f"ORDER BY {order.order_by(tuple('page.' + alias for alias in aliases))}"
    )


def _matches_page(
    name: str, filters: list, order: Order, limit: int, after: tuple | None, few: bool
) -> list:
    """A newest-first page chosen from the filters' index rows alone, then its rows read whole.

    Value rows carry their run's ``created_at`` (migration 0006), so the
    matches of the filters (``filters_subquery``) come with their sort key
    and no result row is read to order them. When an equality drives, its
    index yields the matches already in time order and the scan stops at
    the page's end; other filters' matches are sorted from the index.
    """
    matches, params = filters_subquery(name, filters, few, with_creation_time=True)
    keys = ("m.created_at", "m.result_id")
    page_after, page_after_params = order.after(after, keys)
    page, page_params = page_limit(limit + 1, filtered=True)
    sql = _page_sql(order, page_after, page, f"({matches}) m", keys)
    return query(sql, [*params, *page_after_params, *page_params]).fetchall()


def _few_matches(name: str, filters: list, matches: int, window: int) -> bool:
    """Whether the driving filter's ``matches`` are few enough to probe the others per match."""
    if len(filters) == 1 or matches <= PROBE_LIMIT:  # (one filter: no other to probe)
        return True
    if matches > window or uses_question_marks():
        # (a count that reached the window's cap says nothing about the limit;
        # SQLite always probes per match)
        return False
    return matches <= _probe_limit(name, [entry[1:3] for entry in filters])


def _filtered_page(
    criteria: dict,
    order: Order,
    limit: int,
    after: tuple | None,
    parsed: tuple,
    count_matches,
    collect,
) -> list:
    """The plan every page of a search shares: the newest-first window, or the matches collected.

    The driving filter is counted first, up to the window (``count_matches()``,
    which counts once per page): one matching more runs than the window holds
    is answered from the next runs in creation order (``_windowed_page``) when
    the page is sorted by it. Otherwise, and when the window holds too few
    matches, ``collect(few, counted)`` reads the page from the matches,
    ``few`` telling whether the driving filter's matches are few enough to
    probe the other filters per match, and ``counted`` whether they are no
    more than the window holds. (The driving filter alone matching no more
    runs than the window holds: collecting and sorting its matches reads less
    than the window would, where a selective filter would leave the window
    without enough matches.)
    """
    filters = parsed[2]
    name = criteria["simulation_name"]
    window = window_of(limit)
    matches = count_matches()
    if order.by_creation and matches > window:
        rows = _windowed_page(criteria, order, limit, after, parsed)
        if rows is not None:
            return rows
    few = bool(filters) and _few_matches(name, filters, matches, window)
    return collect(few, matches <= window)


def _newest_first_page(
    criteria: dict, order: Order, limit: int, after: tuple | None, parsed, count_matches
):
    """A newest- (or oldest-) first page of a filtered search without version or status.

    An equality drives straight down its index in time order; other filters
    take the shared plan (``_filtered_page``), their matches collected from
    the filters' index rows alone (``_matches_page``). PostgreSQL merges the
    filters' reads in time order instead (``_merged_page``, to the end) when
    the driving filter matches more runs than it probes per match but no
    more than the window holds: the reads stop at the page's last match,
    where intersecting read every match of every filter (at 10,000 runs, two
    ranges of 10 % and 16-84 %: 4.92 -> 3.21 ms p50 in the service).
    """
    name, filters = criteria["simulation_name"], parsed[2]
    if min(entry[0] for entry in filters) == 0:
        return _matches_page(name, filters, order, limit, after, few=True)

    def collect(few: bool, counted: bool) -> list:
        if counted and not few and not uses_question_marks():
            return _merged_page(name, filters, order, limit, after, bound=None)
        return _matches_page(name, filters, order, limit, after, few)

    return _filtered_page(criteria, order, limit, after, parsed, count_matches, collect)


def _joined_page(
    criteria: dict, order: Order, limit: int, after: tuple | None, parsed, count_matches
) -> list:
    """A page of any search: the shared plan, its matches joined to the result rows (sort keys)."""

    def collect(few: bool, counted: bool) -> list:
        where, where_params = where_clause(criteria, few_matches=few)
        page_after, page_after_params = order.after(after)
        source = f"results_result r {order.join}"
        page, page_params = page_limit(limit + 1, filtered=bool(parsed[2]))
        sql = _page_sql(order, f"{where} AND {page_after}", page, source)
        values = [*order.join_params, *where_params, *page_after_params, *page_params]
        return query(sql, values).fetchall()

    return _filtered_page(criteria, order, limit, after, parsed, count_matches, collect)


def _driving_count(criteria: dict, filters: list, limit: int):
    """A call giving the driving filter's matches, counted up to the page's window
    (past it, or without filters: window + 1).

    Counted on the first call only, for every plan of the page that chooses by
    it; a plan that needs no count (an equality drives) costs no statement.
    """

    @functools.cache
    def counted() -> int:
        window = window_of(limit)
        if not filters:
            return window + 1
        return driving_matches(criteria["simulation_name"], filters, window)

    return counted


def search(
    criteria: dict,
    order: Order,
    limit: int,
    after: tuple | None = None,
    params: list[str] | None = None,
    params_budget: int = 16 * 1024,
) -> bytes:
    """The JSON page of results matching ``criteria`` (stored values passed through as JSON).

    A keyset page: the ``limit`` runs that come after sort key ``after``
    (the cursor's; None for the first page) in ``order``, so a deep page
    costs what the first costs. The page's ids are chosen and sorted first
    (narrow rows), and only the page's rows are read whole, in the same
    statement. Searches by creation time try the next runs in that order
    first (``_windowed_page``). Each item's inputs and outputs are bounded
    (``params`` chooses names, ``params_budget`` caps the bytes per class),
    so a page's size is bounded whatever the runs hold.
    """
    parsed = parse_criteria(criteria)
    conditions, _, filters = parsed
    count_matches = _driving_count(criteria, filters, limit)
    rows = None
    if order.by_creation and filters and not conditions:
        rows = _newest_first_page(criteria, order, limit, after, parsed, count_matches)
    elif order.join and sorted_by_parameter.applies(criteria, parsed, limit, count_matches):
        rows = sorted_by_parameter.page_rows(criteria, parsed, order, limit, after, RESULT_COLUMNS)
    if rows is None:
        rows = _joined_page(criteria, order, limit, after, parsed, count_matches)
    chosen = frozenset(params) if params else None
    items = [_item(row[:RESULT_WIDTH], chosen, params_budget) for row in rows[:limit]]
    page = page_answer(rows, limit, order.name, lambda row: row[RESULT_WIDTH:], items=items)
    return orjson.dumps(page)


def _bounded_params(params_json: str, chosen: frozenset | None, budget: int):
    """A run's stored parameters for a page: the ``chosen`` names, at most ``budget`` bytes.

    Returns the parameters (passed through untouched when they fit) and,
    when some were left out, ``{"shown": n, "total": m}``.
    """
    if chosen is None and len(params_json) <= budget:
        return orjson.Fragment(params_json), None
    stored = orjson.loads(params_json)
    names = sorted(stored) if chosen is None else sorted(chosen.intersection(stored))
    shown, used = {}, 2
    for name in names:
        size = len(orjson.dumps({name: stored[name]}))
        if used + size > budget:
            break
        shown[name] = stored[name]
        used += size
    omitted = len(names) - len(shown)
    return shown, ({"shown": len(shown), "total": len(names)} if omitted else None)


def _item(row, chosen: frozenset | None = None, budget: int = 16 * 1024) -> dict:
    (result_id, execution_id, name, version, status, username, created_at, completed_at, duration,
     registered_at, inputs_json, outputs_json) = row  # fmt: skip
    inputs, inputs_cut = _bounded_params(inputs_json, chosen, budget)
    outputs, outputs_cut = _bounded_params(outputs_json, chosen, budget)
    item = {
        "result_id": result_id,
        "execution_id": execution_id,
        "simulation_name": name,
        "simulation_version": version,
        "status": status,
        "username": username,
        "created_at": format_timestamp(created_at),
        "completed_at": format_timestamp(completed_at),
        "duration_seconds": duration,
        "registered_at": format_timestamp(registered_at),
        "input_params": inputs,
        "output_params": outputs,
    }
    if inputs_cut:
        item["input_params_truncated"] = inputs_cut
    if outputs_cut:
        item["output_params_truncated"] = outputs_cut
    return item


DISTINCT_ORDER = "distinct_values"  # the cursor's order: a run search's cursor is refused


def distinct_values(
    simulation_name: str, param_name: str, param_class: str, limit: int, after: tuple | None
) -> dict:
    """A keyset page of a parameter's distinct string values, each with how many runs hold it.

    In byte order of the value; ``after`` is the cursor's value (None for the
    first page), which the value index seeks to.
    """
    start, start_params = ("v.str_value > ?", list(after)) if after else ("1 = 1", [])
    rows = query(
        "SELECT v.str_value, count(*) FROM results_parameter_value v WHERE v.simulation_name = ? "  # noqa: S608 (fixed SQL; values are bound parameters)
        f"AND v.param_class = ? AND v.name = ? AND v.str_value IS NOT NULL AND {start} "
        "GROUP BY v.str_value ORDER BY v.str_value LIMIT ?",
        [simulation_name, param_class, param_name, *start_params, limit + 1],
    ).fetchall()
    items = [{"value": value, "count": int(count)} for value, count in rows[:limit]]
    return page_answer(rows, limit, DISTINCT_ORDER, lambda row: (row[0],), items=items)


SCHEMAS_ORDER = "parameter_schemas"  # the cursor's order: another list's cursor is refused


def parameter_schemas(
    simulation_name: str, simulation_version: str | None, limit: int, after: tuple | None
) -> bytes:
    """A keyset page of the parameter schemas seen in the runs of a simulation.

    Optionally of one version; in order of version, class, name and schema
    fingerprint (the table's unique key, so a page boundary never splits or
    repeats a row); ``after`` is the cursor's key (None for the first page).
    """
    sql = (
        "SELECT simulation_version, param_class, name, fingerprint, schema_json, run_count, "
        "first_seen, last_seen FROM results_parameter_schema WHERE simulation_name = ?"
    )
    params = [simulation_name]
    if simulation_version is not None:
        sql += " AND simulation_version = ?"
        params.append(simulation_version)
    if after is not None:
        sql += " AND (simulation_version, param_class, name, fingerprint) > (?, ?, ?, ?)"
        params.extend(after)
    sql += " ORDER BY simulation_version, param_class, name, fingerprint LIMIT ?"
    rows = query(sql, [*params, limit + 1]).fetchall()
    schemas = [
        {
            "simulation_version": version,
            "param_class": param_class,
            "name": name,
            "schema": orjson.Fragment(schema_json),
            "run_count": run_count,
            "first_seen": format_timestamp(first_seen),
            "last_seen": format_timestamp(last_seen),
        }
        for version, param_class, name, _, schema_json, run_count, first_seen, last_seen in rows[
            :limit
        ]
    ]
    page = page_answer(rows, limit, SCHEMAS_ORDER, lambda row: tuple(row[:4]), items=schemas)
    return orjson.dumps(
        {
            "simulation_name": simulation_name,
            "schemas": page["items"],
            "limit": limit,
            "next_cursor": page["next_cursor"],
        }
    )


VIEW_COLUMNS = (
    "id",
    "execution_id",
    "simulation_name",
    "simulation_version",
    "status",
    "description",
    "username",
    "input_hash",
    "created_at",
    "started_at",
    "completed_at",
    "duration_seconds",
    "error_message",
    "registered_at",
    "registered_by",
    "schema_version",
    "file_size",
    "sha256",
    "input_count",
    "output_count",
    "artifact_count",
)

TIME_COLUMNS = ("created_at", "started_at", "completed_at", "registered_at")


def _whole_values(params_json: str, param_class: str, reader) -> object:
    """Stored parameters with every truncated value read back whole from the run file."""
    if '"truncated":true' not in params_json:
        return orjson.Fragment(params_json)  # nothing truncated: passed through as stored
    params = orjson.loads(params_json)
    for name, value in params.items():
        if isinstance(value, dict) and value.get("truncated") is True:
            params[name] = reader.value(param_class, name)
    return params


def result_view(execution_id: str, run_file=None, limits=None) -> bytes | None:
    """The results view of one run: metadata, inputs, outputs, units, artifacts; or None.

    Values too large to embed in pages (``max_embedded_value_bytes``) are
    read back whole from the stored ``run_file`` when it is given.
    """
    row = query(
        f"SELECT {', '.join(VIEW_COLUMNS)}, inputs_json, outputs_json, units_json, artifacts_json "  # noqa: S608 (fixed SQL; values are bound parameters)
        "FROM results_result WHERE execution_id = ?",
        (execution_id,),
    ).fetchone()
    if row is None:
        return None
    view = dict(zip(VIEW_COLUMNS, row[: len(VIEW_COLUMNS)], strict=True))
    view["result_id"] = view.pop("id")
    for name in TIME_COLUMNS:
        view[name] = format_timestamp(view[name])
    inputs_json, outputs_json, units_json, artifacts_json = row[len(VIEW_COLUMNS) :]
    view["input_params"] = orjson.Fragment(inputs_json)
    view["output_params"] = orjson.Fragment(outputs_json)
    truncated = '"truncated":true' in inputs_json or '"truncated":true' in outputs_json
    if truncated and run_file is not None and Path(run_file).exists():
        with ValueReader(Path(run_file), limits or Limits()) as reader:
            view["input_params"] = _whole_values(inputs_json, "input", reader)
            view["output_params"] = _whole_values(outputs_json, "output", reader)
    view["units"] = orjson.Fragment(units_json)
    view["artifacts"] = orjson.Fragment(artifacts_json)
    return orjson.dumps(view)


def result_file_info(execution_id: str):
    """``(sha256, file_size)`` of a registered run, or None."""
    return query(
        "SELECT sha256, file_size FROM results_result WHERE execution_id = ?", (execution_id,)
    ).fetchone()


def result_count() -> int:
    """How many results are registered (for /metrics)."""
    return int(execute("SELECT count(*) FROM results_result").fetchone()[0])
