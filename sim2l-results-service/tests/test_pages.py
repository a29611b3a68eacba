"""Keyset pages of runs and of distinct values, on both backends.

Walking every page gives each run exactly once, in the order one big page
gives, for every sort (runs lacking the sort value last, ties broken by the
run's id); a cursor belongs to its own list and sort; runs registered or
deleted between two pages neither repeat nor hide the others.
"""

import base64
import json

import pytest
from runfiles import make_run
from sim2l_results_client import InvalidRequestError
from sim2l_results_service import filters as filters_module
from sim2l_results_service import queries
from sim2l_results_service import sorted_by_parameter
from sim2l_service_kit.database.sql import planner_settings
from spying import record_answers

MISSING = object()
# (temperature input, stress output, duration): ties, a string, a null and missing values.
RUNS = [
    (5.0, 1.5, 3.0),
    (3.0, 2.5, 1.0),
    (3.0, MISSING, 1.0),
    (3.0, 0.5, None),
    (7.0, 2.5, 2.0),
    (MISSING, 1.5, None),
    (MISSING, MISSING, 1.0),
    (1.0, -4.0, 3.0),
    (3.0, 1.5, 2.0),
    ("hot", 2.5, 1.0),
    (None, "diverged", None),
    (9.0, 1.5, 2.0),
    (5.0, None, 3.0),
]
SORTS = [
    "-created_at",
    "created_at",
    "input.temperature",
    "-input.temperature",
    "output.stress",
    "-output.stress",
    "duration_seconds",
    "-duration_seconds",
    "-completed_at",
    "execution_id",
]


@pytest.fixture
def runs(client, tmp_path):
    """The thirteen runs of ``RUNS``, registered oldest first; a run without duration is running."""
    paths = []
    for n, (temperature, stress, duration) in enumerate(RUNS):
        inputs = {"material": "steel"}
        outputs = {"label": f"run-{n:02d}"}
        if temperature is not MISSING:
            inputs["temperature"] = temperature
        if stress is not MISSING:
            outputs["stress"] = stress
        status = "completed" if duration is not None else "running"
        paths.append(
            make_run(tmp_path, f"run-{n:02d}", inputs, outputs, duration=duration, status=status)
        )
    assert client.bulk_register(paths, progress=False)["registered"] == len(RUNS)
    return {f"run-{n:02d}": values for n, values in enumerate(RUNS)}


def walk(client, sort, limit, **criteria):
    """Every page of a search, following next_cursor: the execution ids and the page sizes."""
    found, sizes, cursor = [], [], None
    while True:
        page = client.search_page(
            simulation_name="thermal_sim", sort=sort, limit=limit, cursor=cursor, **criteria
        )
        assert page["limit"] == limit
        found += [run["execution_id"] for run in page["items"]]
        sizes.append(len(page["items"]))
        cursor = page["next_cursor"]
        if cursor is None:
            return found, sizes


def expected_order(items: list[dict], sort: str) -> list[str]:
    """The order the contract gives, computed here: numbers, then strings, then the rest,
    each by value in the sort's direction (missing values last either way), ties broken by
    creation time, then result id, for a parameter; by result id for the others."""
    descending = sort.startswith("-")
    field = sort.lstrip("-")
    param_class, _, name = field.partition(".")

    def value_of(item):
        if name:
            return item[f"{param_class}_params"].get(name)
        return item[field]

    def tie_break(item):
        return (item["created_at"], item["result_id"]) if name else (item["result_id"],)

    groups = {"number": [], "string": [], "missing": []}
    for item in items:
        value = value_of(item)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            groups["number"].append(((value, *tie_break(item)), item))
        elif isinstance(value, str) and name:
            groups["string"].append(((value, *tie_break(item)), item))
        elif isinstance(value, str):  # a time: RFC 3339 text in UTC orders like the time
            groups["number"].append(((value, *tie_break(item)), item))
        else:
            groups["missing"].append(((0, *tie_break(item)), item))
    order = []
    for group in groups.values():
        order += [
            item["execution_id"]
            for _, item in sorted(group, key=lambda entry: entry[0], reverse=descending)
        ]
    return order


@pytest.mark.parametrize("sort", SORTS)
def test_walking_every_page_gives_each_run_once_in_the_order_of_one_big_page(client, runs, sort):
    everything = client.search_page(simulation_name="thermal_sim", sort=sort, limit=1000)
    assert everything["next_cursor"] is None
    one_page = [run["execution_id"] for run in everything["items"]]
    assert sorted(one_page) == sorted(runs)
    assert one_page == expected_order(everything["items"], sort)
    for limit in (1, 2, 5):
        found, sizes = walk(client, sort, limit)
        assert found == one_page, (sort, limit)
        assert sizes[:-1] == [limit] * (len(sizes) - 1) and 0 < sizes[-1] <= limit


def test_parameter_ties_follow_creation_time_in_both_plans(client, tmp_path, monkeypatch):
    """Runs registered newest first, so their ids run against their creation times.

    A search with no criteria, or with a version most runs meet, reads its
    pages from the value indexes (``sorted_by_parameter``); one with a
    version few runs meet joins every run to its value: both give the order
    of the contract, ties of a value broken by creation time, page by page.
    """
    temperatures = [3.0, 3.0, "hot", 1.0, None, 3.0, MISSING, "cold", "hot", 1.0, MISSING]
    paths = []
    for n, temperature in enumerate(temperatures):
        inputs = {} if temperature is MISSING else {"temperature": temperature}
        paths.append(make_run(tmp_path, f"tie-{n:02d}", inputs, {"label": "x"}))
    # Another version's runs: in the list without criteria, left out with the version.
    for n, temperature in enumerate([3.0, "hot", MISSING]):
        inputs = {} if temperature is MISSING else {"temperature": temperature}
        paths.append(make_run(tmp_path, f"v2-{n}", inputs, {"label": "x"}, version="2.0.0"))
    registered = client.bulk_register(list(reversed(paths)), progress=False)["registered"]
    assert registered == len(paths)
    index_reads = []
    read_indexes = sorted_by_parameter.page_keys

    def counted(*arguments):
        index_reads.append(arguments[0].conditions)  # on the runs: version, status
        return read_indexes(*arguments)

    monkeypatch.setattr(sorted_by_parameter, "page_keys", counted)
    for sort in ("input.temperature", "-input.temperature"):
        items = client.search_page(simulation_name="thermal_sim", sort=sort, limit=1000)["items"]
        expected = expected_order(items, sort)
        assert [item["execution_id"] for item in items] == expected
        version_1 = [eid for eid in expected if eid.startswith("tie-")]
        ascending = sort[0] != "-"
        ones = ["tie-03", "tie-09"]  # created in this order, registered (ids) the other way
        assert version_1[:2] == ones if ascending else version_1[3:5] == ones[::-1]
        neither = ["tie-04", "tie-06", "tie-10"]  # a null, then no temperature at all
        assert version_1[-3:] == (neither if ascending else neither[::-1])
        for limit in (1, 2, 3):
            assert walk(client, sort, limit)[0] == expected, (sort, limit)
            # A version meeting more runs than the window: read from the indexes too.
            monkeypatch.setattr(filters_module, "WINDOW_FACTOR", 1)
            versioned = walk(client, sort, limit, simulation_version="1.0.0")[0]
            assert versioned == version_1, (sort, limit)
            # Fewer (the default window of 40 runs per run of the page): joined and sorted.
            monkeypatch.setattr(filters_module, "WINDOW_FACTOR", 40)
            versioned = walk(client, sort, limit, simulation_version="1.0.0")[0]
            assert versioned == version_1, (sort, limit)
    assert [] in index_reads and ["r.simulation_version = ?"] in index_reads
    # Without a simulation the runs of every simulation are joined and sorted.
    index_reads.clear()
    everyone = client.search(sort="input.temperature", limit=None)
    assert len(everyone) == len(paths) and not index_reads


@pytest.mark.parametrize("sort", ["-created_at", "input.temperature", "-output.stress"])
def test_pages_of_a_filtered_search_follow_its_order(client, runs, sort):
    criteria = {"input_filters": {"material": "steel"}, "output_filters": {"label": {"ne": "x"}}}
    everything = client.search(simulation_name="thermal_sim", sort=sort, limit=None, **criteria)
    assert len(everything) == len(runs)
    assert walk(client, sort, 3, **criteria)[0] == [run["execution_id"] for run in everything]


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# (criteria, the same test in Python on a run's inputs and outputs)
FILTERED = [
    ({"input_filters": {"temperature": 3.0}}, lambda i, o: i.get("temperature") == 3.0),
    (
        {"input_filters": {"temperature": {"in": [3.0, 5.0]}}},
        lambda i, o: i.get("temperature") in (3.0, 5.0),
    ),
    (
        {"input_filters": {"temperature": {"gt": 2.0}}},
        lambda i, o: _number(i.get("temperature")) and i["temperature"] > 2.0,
    ),
    (
        {"input_filters": {"temperature": 3.0}, "output_filters": {"stress": {"lt": 2.0}}},
        lambda i, o: i.get("temperature") == 3.0 and _number(o.get("stress")) and o["stress"] < 2,
    ),
    (
        {
            "input_filters": {"temperature": {"ge": 3.0}},
            "output_filters": {"stress": {"between": [1.0, 2.5]}},
        },
        lambda i, o: (
            _number(i.get("temperature"))
            and i["temperature"] >= 3.0
            and _number(o.get("stress"))
            and 1.0 <= o["stress"] <= 2.5
        ),
    ),
]


def matching_order(client, sort: str, matches) -> list[str]:
    """The execution ids of the runs ``matches(inputs, outputs)`` accepts, in ``sort``'s order
    (computed here from one big page of every run)."""
    everything = client.search_page(simulation_name="thermal_sim", sort=sort, limit=1000)["items"]
    items = {item["execution_id"]: item for item in everything}
    return [
        eid
        for eid in expected_order(everything, sort)
        if matches(items[eid]["input_params"], items[eid]["output_params"])
    ]


@pytest.mark.parametrize("sort", ["-created_at", "created_at"])
@pytest.mark.parametrize(("criteria", "matches"), FILTERED)
def test_filtered_pages_by_creation_time_hold_exactly_the_matching_runs_in_order(
    client, runs, sort, criteria, matches
):
    """Equality, ``in``, ranges and two filters, read from the value index (created_at in it)."""
    expected = matching_order(client, sort, matches)
    assert expected  # every case matches some runs, and not all of them
    assert len(expected) < len(runs)
    one_page = client.search(simulation_name="thermal_sim", sort=sort, limit=None, **criteria)
    assert [run["execution_id"] for run in one_page] == expected
    for limit in (1, 2):
        assert walk(client, sort, limit, **criteria)[0] == expected


@pytest.mark.parametrize("scan_windows", [0, 2, 1000])
@pytest.mark.parametrize("sort", ["input.temperature", "-output.stress"])
@pytest.mark.parametrize(("criteria", "matches"), FILTERED)
def test_filtered_pages_sorted_by_a_parameter_hold_exactly_the_matching_runs_in_order(
    client, runs, monkeypatch, sort, criteria, matches, scan_windows
):
    """Read from the sort's value index in chunks, each entry probed for the filters.

    Every filter counts as matching many runs (a window of one run per run of
    the page), chunks are a page long, and a page may read ``scan_windows``
    windows of entries before the joined plan reads it instead: never (0),
    on some pages (2) or always (1000). Every page holds the matches in the
    contract's order, whichever plan read it.
    """
    expected = matching_order(client, sort, matches)
    monkeypatch.setattr(filters_module, "WINDOW_FACTOR", 1)
    monkeypatch.setattr(sorted_by_parameter, "FIRST_CHUNK", 1)
    monkeypatch.setattr(sorted_by_parameter, "SCAN_WINDOWS", scan_windows)
    answers = []
    read_keys = sorted_by_parameter.page_keys

    def recorded(*arguments):
        answers.append(read_keys(*arguments))
        return answers[-1]

    monkeypatch.setattr(sorted_by_parameter, "page_keys", recorded)
    counts = []  # the driving filter is counted once per page, whichever plan reads it
    count_matches = queries.driving_matches
    monkeypatch.setattr(
        queries, "driving_matches", lambda *arguments: counts.append(1) or count_matches(*arguments)
    )
    for limit in (1, 2):
        found, sizes = walk(client, sort, limit, **criteria)
        assert found == expected, limit
        versioned, more_sizes = walk(client, sort, limit, simulation_version="1.0.0", **criteria)
        assert versioned == expected, limit
        assert len(counts) == len(sizes) + len(more_sizes), limit
        counts.clear()
    assert answers  # the filters' matches count as many: the indexes are tried
    if scan_windows == 0:
        assert all(answer is None for answer in answers)
    if scan_windows == 1000:
        assert None not in answers


def test_the_client_gathers_pages_up_to_its_limit(client, runs):
    newest = [run["execution_id"] for run in client.search(simulation_name="thermal_sim")]
    assert newest == [f"run-{n:02d}" for n in reversed(range(len(RUNS)))]
    assert [r["execution_id"] for r in client.search(simulation_name="thermal_sim", limit=4)] == (
        newest[:4]
    )
    every = client.iter_search(simulation_name="thermal_sim", sort="-created_at", page_size=2)
    assert [run["execution_id"] for run in every] == newest
    with pytest.raises(ValueError):
        client.search(simulation_name="thermal_sim", limit=0)


def cursor_of(client, sort):
    page = client.search_page(simulation_name="thermal_sim", sort=sort, limit=2)
    assert page["next_cursor"]
    return page["next_cursor"]


def refused(call) -> dict:
    with pytest.raises(InvalidRequestError) as error:
        call()
    assert error.value.status == 400 and error.value.code == "validation_error"
    return error.value.details


@pytest.mark.parametrize(
    ("given_by", "used_for"),
    [
        ("-created_at", "created_at"),
        ("input.temperature", "output.temperature"),
        ("input.temperature", "-input.temperature"),
        ("-duration_seconds", "-completed_at"),
        ("execution_id", "-created_at"),
    ],
)
def test_a_cursor_of_another_sort_is_refused_naming_cursor(client, runs, given_by, used_for):
    cursor = cursor_of(client, given_by)
    details = refused(
        lambda: client.search_page(simulation_name="thermal_sim", sort=used_for, cursor=cursor)
    )
    assert list(details) == ["cursor"]


def edited(order: str, *key) -> str:
    text = json.dumps([order, *key])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        (None, "not a cursor"),
        (None, "bm90IGpzb24"),
        (None, "x" * 5000),
        (None, edited("distinct_values", "steel")),
        (None, edited("runs:-created_at", "yesterday", 1)),  # text where a time belongs
        (None, edited("runs:-created_at", 1.0, 2**64)),  # an id past 64 bits
        (None, edited("runs:-created_at", 1.0)),  # a key too short
        ("input.t", edited("runs:input.t", 0, 1.0, 0, 5, 1)),  # a number where text belongs
        ("input.t", edited("runs:input.t", 0, 1.0, 0, "a\x00b", 1)),  # a NUL in text
    ],
)
def test_a_cursor_the_service_did_not_give_is_a_400_naming_cursor(client, runs, sort, cursor):
    details = refused(
        lambda: client.search_page(simulation_name="thermal_sim", sort=sort, cursor=cursor)
    )
    assert list(details) == ["cursor"]


def test_limit_above_1000_is_a_400_naming_the_maximum(client, runs, http, tokens):
    details = refused(lambda: client.search_page(simulation_name="thermal_sim", limit=1001))
    assert list(details) == ["limit"] and "1000" in details["limit"][0]
    answer = http(
        "GET", "/results", tokens["user"], params={"simulation_name": "thermal_sim", "limit": 1001}
    )
    assert answer.status_code == 400 and "1000" in answer.json()["error"]["details"]["limit"][0]
    details = refused(lambda: client.distinct_values_page("thermal_sim", "material", limit=1001))
    assert "1000" in details["limit"][0]
    answer = http(
        "GET", "/results", tokens["user"], params={"simulation_name": "thermal_sim", "offset": 10}
    )
    assert answer.status_code == 400 and list(answer.json()["error"]["details"]) == ["offset"]


def test_the_list_route_pages_with_the_same_cursors(client, runs, http, tokens):
    found, cursor = [], None
    while True:
        params = {"simulation_name": "thermal_sim", "sort": "input.temperature", "limit": 4}
        if cursor:
            params["cursor"] = cursor
        page = http("GET", "/results", tokens["user"], params=params).json()
        assert set(page) == {"items", "limit", "next_cursor"}
        found += [run["execution_id"] for run in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert found == walk(client, "input.temperature", 1000)[0]


@pytest.mark.parametrize("sort", ["-created_at", "created_at", "input.temperature"])
def test_runs_registered_or_deleted_between_pages_neither_repeat_nor_hide_the_others(
    client, admin, runs, tmp_path, sort
):
    before = walk(client, sort, 1000)[0]
    first = client.search_page(simulation_name="thermal_sim", sort=sort, limit=4)
    shown = [run["execution_id"] for run in first["items"]]
    deleted = before[6]
    assert admin.delete_result(deleted)
    added = [
        make_run(tmp_path / "later", f"late-{n}", {"temperature": value}, {"stress": 0.0})
        for n, value in enumerate([0.0, 3.0, 8.0, 100.0])
    ]
    assert client.bulk_register(added, progress=False)["registered"] == 4
    rest, cursor = [], first["next_cursor"]
    while cursor is not None:
        page = client.search_page(simulation_name="thermal_sim", sort=sort, limit=3, cursor=cursor)
        rest += [run["execution_id"] for run in page["items"]]
        cursor = page["next_cursor"]
    seen = shown + rest
    assert len(seen) == len(set(seen))
    survivors = [eid for eid in seen if not eid.startswith("late-")]
    assert survivors == [eid for eid in before if eid != deleted]
    if sort == "-created_at":  # newer than the cursor: they belong to pages before it
        assert rest == [eid for eid in before[4:] if eid != deleted]
    if sort == "created_at":  # newest last: all of them on the pages after the cursor
        assert rest[-4:] == [f"late-{n}" for n in range(4)]


def test_a_deep_page_of_a_broad_search_reads_only_the_runs_after_its_cursor(
    client, tmp_path, monkeypatch
):
    """The windowed plan answers the later pages too: the window starts at the cursor.

    (A broad ``in`` filter: an equality is read newest first from its index.)
    """
    monkeypatch.setattr(filters_module, "WINDOW_FACTOR", 5)
    answered = record_answers(monkeypatch, "_windowed_page")
    paths = [
        make_run(tmp_path, f"many-{n:03d}", {"material": "steel" if n % 2 else "copper"}, {})
        for n in range(80)
    ]
    client.bulk_register(paths, progress=False)
    found, _ = walk(client, "-created_at", 3, input_filters={"material": {"in": ["steel"]}})
    assert found == [f"many-{n:03d}" for n in range(79, 0, -2)]
    # 40 matches in pages of 3 (windows of 20 runs): every page but the last two from the window
    assert answered[:11] == [True] * 11 and len(answered) == 14


@pytest.mark.parametrize("version", [None, "1.0.0"])
def test_a_window_with_too_few_matches_is_followed_by_the_next_runs(
    client, tmp_path, monkeypatch, version, database_url
):
    """Two broad filters whose matches thin out among the newest runs: the window goes on
    over the next runs (sized from the matches found) instead of collecting every match,
    to the last run when few are left, and collects only past MAX_WINDOWS windows' worth.
    Every page exactly right either way. (PostgreSQL windows only with a version or status:
    without, it merges the filters' reads.)"""
    monkeypatch.setattr(filters_module, "WINDOW_FACTOR", 10)  # pages of 3: need 4, windows of 40
    followed = record_answers(monkeypatch, "_following_windows")
    paths = [
        make_run(
            tmp_path,
            f"many-{n:03d}",
            {"temperature": float(n)},
            {"y": float(n % 50), "z": float(n % 45)},
        )
        for n in range(150)
    ]
    client.bulk_register(paths, progress=False)
    version_criteria = {"simulation_version": version} if version else {}
    broad = {"input_filters": {"temperature": {"ge": 20}}, **version_criteria}
    # y < 5: the newest 40 runs (149-110) hold none, so the next window reaches the last
    # run; z < 2: they hold two (136, 135), so the next window is sized from them.
    criteria = {**broad, "output_filters": {"y": {"lt": 5}}}
    expected = [f"many-{n:03d}" for n in range(149, 19, -1) if n % 50 < 5]
    sparse = {**broad, "output_filters": {"z": {"lt": 2}}}
    sparse_expected = [f"many-{n:03d}" for n in range(149, 19, -1) if n % 45 < 2]
    for sort in ("-created_at", "created_at"):
        for filters, matches in ((criteria, expected), (sparse, sparse_expected)):
            found, _ = walk(client, sort, 3, **filters)
            assert found == (matches if sort.startswith("-") else matches[::-1]), sort
    windowed = version is not None or database_url.startswith("sqlite")
    assert (True in followed) == windowed
    followed.clear()
    monkeypatch.setattr(queries, "MAX_WINDOWS", 1)  # no window beyond the first: collected
    assert walk(client, "-created_at", 3, **criteria)[0] == expected
    assert True not in followed


def test_newest_first_pages_of_broad_filters_merge_their_parameters_on_postgresql(
    client, tmp_path, monkeypatch, database_url, stored_rows
):
    """PostgreSQL answers a broad newest-first search by reading each filter's parameter in
    time order and merging them (``_merged_page``): every page, both directions, exactly
    right. When the driving filter's first matches hold too few of the others', the
    matches are collected instead, as right. SQLite keeps its window of runs."""
    monkeypatch.setattr(filters_module, "WINDOW_FACTOR", 10)  # need 4 (pages of 3): bound 40
    answered = record_answers(monkeypatch, "_merged_page")
    merged_statements = []
    query = queries.query

    def recording_query(sql, params=(), planner=None):
        if planner is not None:
            merged_statements.append((sql, list(params)))
        return query(sql, params, planner=planner)

    monkeypatch.setattr(queries, "query", recording_query)
    paths = [
        make_run(tmp_path, f"many-{n:03d}", {"temperature": float(n)}, {"y": float(n % 50)})
        for n in range(150)
    ]
    client.bulk_register(paths, progress=False)
    broad = {"input_filters": {"temperature": {"ge": 20}}, "output_filters": {"y": {"ge": 10}}}
    expected = [f"many-{n:03d}" for n in range(149, 19, -1) if n % 50 >= 10]
    for sort, order in (("-created_at", expected), ("created_at", expected[::-1])):
        found, _ = walk(client, sort, 3, **broad)
        assert found == order, sort
    postgres = database_url.startswith("postgresql")
    assert (True in answered) == postgres
    if postgres:  # the plan it is told: the filters' reads merged in time order
        (sql, params), *_ = merged_statements
        plan = stored_rows(planner_settings(queries.MERGED_PLAN) + "EXPLAIN " + sql, params)
        text = "\n".join(row[0] for row in plan)
        assert "Merge Join" in text and "results_value_time" in text, text
    # The newest 40 runs with temperature >= 20 hold only 2 runs with y < 3: collected
    answered.clear()
    rare = {"input_filters": {"temperature": {"ge": 20}}, "output_filters": {"y": {"lt": 3}}}
    found, _ = walk(client, "-created_at", 3, **rare)
    rare_expected = [f"many-{n:03d}" for n in range(149, 19, -1) if n % 50 < 3]
    assert found == rare_expected
    assert answered[:1] == ([False] if postgres else [])
    # The driving filter's 130 matches within the window (200) but more than PostgreSQL
    # probes per match (5): merged to the end, every page read from the reads' start
    monkeypatch.setattr(filters_module, "WINDOW_FACTOR", 50)
    monkeypatch.setattr(queries, "PROBE_LIMIT", 5)
    monkeypatch.setattr(queries, "SCANNED_PER_PROBE", 1000)
    answered.clear()
    assert walk(client, "-created_at", 3, **broad)[0] == expected
    assert walk(client, "created_at", 3, **rare)[0] == rare_expected[::-1]
    pages = -(-len(expected) // 3) + -(-len(rare_expected) // 3)
    assert answered == ([True] * pages if postgres else [])


def test_distinct_values_page_by_cursor(client, runs, tmp_path):
    more = [
        make_run(tmp_path / "more", f"m-{n}", {"material": name}, {})
        for n, name in enumerate(["copper", "alu", "Zinc", "copper", "é-steel"])
    ]
    client.bulk_register(more, progress=False)
    every = client.distinct_values("thermal_sim", "material", limit=None)
    expected = {"Zinc": 1, "alu": 1, "copper": 2, "steel": len(RUNS), "é-steel": 1}
    assert every == [{"value": value, "count": count} for value, count in expected.items()]
    assert client.distinct_values("thermal_sim", "material", limit=3) == every[:3]
    pages, cursor = [], None
    while True:
        page = client.distinct_values_page("thermal_sim", "material", limit=2, cursor=cursor)
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [len(items) for items in pages] == [2, 2, 1]
    assert [item for items in pages for item in items] == every
    run_cursor = cursor_of(client, "-created_at")
    details = refused(
        lambda: client.distinct_values_page("thermal_sim", "material", cursor=run_cursor)
    )
    assert list(details) == ["cursor"]


def test_openapi_documents_the_limit_and_the_page(http):
    document = http("GET", "/openapi.json").json()
    search = document["paths"]["/results/search"]["post"]
    request = search["requestBody"]["content"]["application/json"]["schema"]
    assert request["properties"]["limit"]["maximum"] == 1000
    assert "cursor" in request["properties"] and "offset" not in request["properties"]
    for path, method in (("/results/search", "post"), ("/parameters/distinct", "get")):
        answer = document["paths"][path][method]["responses"]["200"]["content"]
        page = answer["application/json"]["schema"]
        assert set(page["properties"]) == {"items", "limit", "next_cursor"}
        assert set(page["required"]) == {"items", "limit", "next_cursor"}
    for path in ("/results", "/parameters/distinct"):
        listing = document["paths"][path]["get"]["parameters"]
        limit = next(parameter for parameter in listing if parameter["name"] == "limit")
        assert limit["schema"]["maximum"] == 1000
        assert {"cursor"} <= {parameter["name"] for parameter in listing}
        assert not any(parameter["name"] == "offset" for parameter in listing)


@pytest.mark.parametrize("limit", [1, 3])
def test_a_run_deleted_while_its_page_is_read_hides_no_other(
    client, admin, runs, monkeypatch, limit
):
    """Sorted by a parameter, a page's keys and rows are two statements; a run deleted between
    them is left out, and the page still holds a full page of the others and a next cursor."""
    before = walk(client, "input.temperature", 1000)[0]
    ids = {
        item["result_id"]: item["execution_id"]
        for item in client.search(simulation_name="thermal_sim", limit=None)
    }
    read_keys = sorted_by_parameter.page_keys
    deleted = []

    def deleting(*arguments):
        keys = read_keys(*arguments)
        if not deleted and len(keys) > 1:
            deleted.append(ids[keys[0][0]])  # its key was read; its row is about to be
            assert admin.delete_result(deleted[0])
        return keys

    monkeypatch.setattr(sorted_by_parameter, "page_keys", deleting)
    first = client.search_page(simulation_name="thermal_sim", sort="input.temperature", limit=limit)
    assert len(first["items"]) == limit and first["next_cursor"]
    found = walk(client, "input.temperature", limit)[0]
    assert deleted and found == [eid for eid in before if eid != deleted[0]]
