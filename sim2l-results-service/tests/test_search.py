"""Search operators on numbers and strings, sorting, paging, stats, distinct values, schemas."""

import random
import statistics

import pytest
from runfiles import make_run
from sim2l_results_client import InvalidRequestError
from sim2l_results_service import filters as filters_module
from sim2l_results_service import queries
from sim2l_results_service import statistics as stats_module
from spying import record_answers

MATERIALS = ["aluminium", "copper", "steel", "titanium"]


@pytest.fixture
def runs(client, tmp_path):
    """Twelve registered runs of thermal_sim 1.0.0 and two of 2.0.0, with known values."""
    rng = random.Random(7)
    data = {}
    paths = []
    for n in range(12):
        inputs = {"temperature": 300 + 10 * n, "material": MATERIALS[n % 4], "refine": n % 2 == 0}
        outputs = {"max_stress": round(rng.uniform(-5e8, 5e8), 3), "label": f"case-{n:02d}"}
        if n == 5:
            outputs["max_stress"] = "diverged"  # a string where numbers usually are
        data[f"run-{n:02d}"] = (inputs, outputs)
        paths.append(
            make_run(
                tmp_path,
                f"run-{n:02d}",
                inputs,
                outputs,
                duration=float(n),
                schemas={"inputs": {"temperature": {"type": "number", "units": "K"}}},
            )
        )
    for n in range(2):
        paths.append(
            make_run(
                tmp_path,
                f"v2-{n}",
                {"temperature": 999, "material": "steel"},
                {"max_stress": 1.0},
                version="2.0.0",
            )
        )
    summary = client.bulk_register(paths, progress=False)
    assert summary["registered"] == 14
    return data


def ids(results):
    return sorted(r["execution_id"] for r in results)


def expect(runs, predicate):
    return sorted(eid for eid, (inputs, outputs) in runs.items() if predicate(inputs, outputs))


def search_v1(client, **filters):
    return client.search(
        simulation_name="thermal_sim", simulation_version="1.0.0", limit=1000, **filters
    )


NUMBER_CASES = [
    ({"temperature": 350}, lambda t: t == 350),
    ({"temperature": {"eq": 350}}, lambda t: t == 350),
    ({"temperature": {"ne": 350}}, lambda t: t != 350),
    ({"temperature": {"gt": 350}}, lambda t: t > 350),
    ({"temperature": {"ge": 350}}, lambda t: t >= 350),
    ({"temperature": {"lt": 350}}, lambda t: t < 350),
    ({"temperature": {"le": 350}}, lambda t: t <= 350),
    ({"temperature": {"in": [300, 350, 12345]}}, lambda t: t in (300, 350)),
    ({"temperature": {"between": [320, 360]}}, lambda t: 320 <= t <= 360),
    ({"temperature": {"gt": 310, "lt": 380}}, lambda t: 310 < t < 380),
    ({"temperature": {"ge": 330.5}}, lambda t: t >= 330.5),
]


@pytest.mark.parametrize("filters,predicate", NUMBER_CASES)
def test_number_operators(client, runs, filters, predicate):
    assert ids(search_v1(client, input_filters=filters)) == expect(
        runs, lambda i, o: predicate(i["temperature"])
    )


STRING_CASES = [
    ({"material": "steel"}, lambda m: m == "steel"),
    ({"material": {"ne": "steel"}}, lambda m: m != "steel"),
    ({"material": {"gt": "copper"}}, lambda m: m > "copper"),
    ({"material": {"ge": "copper"}}, lambda m: m >= "copper"),
    ({"material": {"lt": "copper"}}, lambda m: m < "copper"),
    ({"material": {"le": "copper"}}, lambda m: m <= "copper"),
    ({"material": {"in": ["steel", "copper", "gold"]}}, lambda m: m in ("steel", "copper")),
    ({"material": {"between": ["b", "t"]}}, lambda m: "b" <= m <= "t"),
    (
        {"material": {"between": ["Steel", "Z"]}},
        lambda m: "Steel" <= m <= "Z",
    ),  # byte order: uppercase first
]


@pytest.mark.parametrize("filters,predicate", STRING_CASES)
def test_string_operators(client, runs, filters, predicate):
    assert ids(search_v1(client, input_filters=filters)) == expect(
        runs, lambda i, o: predicate(i["material"])
    )


def test_booleans_and_mixed_types(client, runs):
    assert ids(search_v1(client, input_filters={"refine": True})) == expect(
        runs, lambda i, o: i["refine"]
    )
    assert ids(search_v1(client, input_filters={"refine": {"ne": True}})) == expect(
        runs, lambda i, o: not i["refine"]
    )
    # numbers never match strings and the other way round
    assert ids(search_v1(client, output_filters={"max_stress": "diverged"})) == ["run-05"]
    numeric = search_v1(client, output_filters={"max_stress": {"ne": 0}})
    assert "run-05" not in ids(numeric) and len(numeric) == 11
    assert search_v1(client, input_filters={"material": {"gt": 0}}) == []


def test_filters_combine_with_and(client, runs):
    found = search_v1(
        client,
        input_filters={"temperature": {"ge": 320}, "material": {"in": ["steel", "copper"]}},
        output_filters={"max_stress": {"lt": 0}},
    )
    expected = expect(
        runs,
        lambda i, o: (
            i["temperature"] >= 320
            and i["material"] in ("steel", "copper")
            and isinstance(o["max_stress"], float)
            and o["max_stress"] < 0
        ),
    )
    assert ids(found) == expected
    assert all(set(r) >= {"execution_id", "input_params", "output_params"} for r in found)


def test_version_and_status_filters(client, runs):
    assert len(client.search(simulation_name="thermal_sim", limit=1000)) == 14
    assert ids(client.search(simulation_name="thermal_sim", simulation_version="2.0.0")) == [
        "v2-0",
        "v2-1",
    ]
    assert client.search(simulation_name="thermal_sim", status="failed") == []
    assert client.search(simulation_name="other_sim") == []


def test_sort_by_parameter_and_time_and_paginate(client, runs):
    by_temperature = search_v1(client, sort="-input.temperature")
    assert [r["input_params"]["temperature"] for r in by_temperature] == sorted(
        (i["temperature"] for i, _ in runs.values()), reverse=True
    )
    by_stress = search_v1(client, sort="output.max_stress")
    numbers = [r["output_params"]["max_stress"] for r in by_stress[:11]]
    assert numbers == sorted(numbers) and by_stress[-1]["execution_id"] == "run-05"
    by_duration = search_v1(client, sort="duration_seconds")
    assert [r["duration_seconds"] for r in by_duration] == sorted(
        r["duration_seconds"] for r in by_duration
    )
    pages, cursor = [], None
    while True:
        page = client.search_page(
            simulation_name="thermal_sim", sort="execution_id", limit=5, cursor=cursor
        )
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [5, 5, 4]
    flat = [r["execution_id"] for page in pages for r in page]
    assert flat == sorted(flat) and len(set(flat)) == 14
    assert [
        r["execution_id"]
        for r in client.iter_search(simulation_name="thermal_sim", sort="execution_id", page_size=3)
    ] == flat


def test_parameter_stats_match_values_computed_here(client, runs):
    values = [o["max_stress"] for _, o in runs.values() if isinstance(o["max_stress"], float)]
    stats = client.get_parameter_stats(
        "thermal_sim", "max_stress", param_class="output", simulation_version="1.0.0"
    )
    assert stats["count"] == len(values) == 11
    assert stats["min_value"] == min(values) and stats["max_value"] == max(values)
    assert (
        stats["min_value"] < 0 < stats["max_value"]
    )  # min and max not swapped, negatives included
    assert stats["avg_value"] == pytest.approx(statistics.fmean(values), rel=1e-12)
    assert stats["stddev_value"] == pytest.approx(statistics.stdev(values), rel=1e-9)
    everything = client.get_parameter_stats("thermal_sim", "max_stress")
    assert everything["count"] == 13 and everything["min_value"] == min(values)
    inputs = client.get_parameter_stats(
        "thermal_sim", "temperature", param_class="input", input_filters={"material": "steel"}
    )
    steel = [i["temperature"] for i, _ in runs.values() if i["material"] == "steel"] + [999, 999]
    assert inputs["count"] == len(steel) and inputs["avg_value"] == pytest.approx(
        statistics.fmean(steel)
    )
    assert client.get_parameter_stats("thermal_sim", "material", param_class="input")["count"] == 0
    empty = client.get_parameter_stats("thermal_sim", "nothing")
    assert empty == {
        **empty,
        "count": 0,
        "min_value": None,
        "max_value": None,
        "avg_value": None,
        "stddev_value": None,
    }


def _matches(values: dict, filters: dict) -> bool:
    """The service's filter semantics for the numbers, strings and ``ne False`` used here."""
    compare = {
        "gt": lambda v, o: v > o,
        "ge": lambda v, o: v >= o,
        "lt": lambda v, o: v < o,
        "le": lambda v, o: v <= o,
        "ne": lambda v, o: v != o,
        "between": lambda v, o: o[0] <= v <= o[1],
    }
    for name, spec in filters.items():
        value = values.get(name)
        for operator, operand in spec.items():
            kind = type(operand[0] if operator == "between" else operand)
            if type(value) is not kind and not {type(value), kind} <= {int, float}:
                return False
            if not compare[operator](value, operand):
                return False
    return True


@pytest.mark.parametrize(
    ("input_filters", "output_filters"),
    [
        ({"temperature": {"between": [320, 400]}}, {"max_stress": {"lt": 2e8}}),
        ({"temperature": {"ge": 330}}, {"max_stress": {"gt": -4e8, "le": 4e8}}),
        ({}, {"max_stress": {"ge": -1e8}}),
        ({"temperature": {"lt": 390}}, {}),
        ({"temperature": {"gt": 300}, "refine": {"ne": False}}, {"label": {"ne": "case-03"}}),
    ],
)
@pytest.mark.parametrize("plan", ["probes", "scans"])
def test_filtered_stats_of_a_range_filtered_parameter(
    client, runs, input_filters, output_filters, plan, monkeypatch
):
    """Range-only filters, with and without one on the parameter itself, give the statistics
    of exactly the matching runs' values, whichever plan PostgreSQL takes: a key probe per
    match (few matches) or the hash-joined scans (a probe limit of 0 forces them here)."""
    if plan == "scans":
        monkeypatch.setattr(stats_module, "PROBE_LIMIT", 0)
        monkeypatch.setattr(stats_module, "SCANNED_PER_PROBE", 10**9)
        monkeypatch.setattr(stats_module, "SCANNED_PER_LONE_PROBE", 10**9)
    for version in (None, "1.0.0"):
        everything = dict(runs)
        if version is None:
            everything["v2-0"] = everything["v2-1"] = (
                {"temperature": 999, "material": "steel"},
                {"max_stress": 1.0},
            )
        values = [
            outputs["max_stress"]
            for inputs, outputs in everything.values()
            if isinstance(outputs.get("max_stress"), float)
            and _matches(inputs, input_filters)
            and _matches(outputs, output_filters)
        ]
        stats = client.get_parameter_stats(
            "thermal_sim",
            "max_stress",
            param_class="output",
            input_filters=input_filters,
            output_filters=output_filters,
            simulation_version=version,
        )
        assert len(values) > 1 and stats["count"] == len(values)
        assert (stats["min_value"], stats["max_value"]) == (min(values), max(values))
        assert stats["avg_value"] == pytest.approx(statistics.fmean(values), rel=1e-12)
        assert stats["stddev_value"] == pytest.approx(statistics.stdev(values), rel=1e-9)


def test_distinct_values_and_schemas(client, runs):
    values = client.distinct_values("thermal_sim", "material", param_class="input")
    assert values == [{"value": m, "count": 3 + (2 if m == "steel" else 0)} for m in MATERIALS]
    first = client.distinct_values_page("thermal_sim", "material", limit=1)
    following = client.distinct_values_page(
        "thermal_sim", "material", limit=2, cursor=first["next_cursor"]
    )
    assert following["items"] == values[1:3]
    schemas = client.parameter_schemas("thermal_sim", "1.0.0")
    temperature = [s for s in schemas if s["name"] == "temperature"]
    assert len(temperature) == 1 and temperature[0]["run_count"] == 12
    assert temperature[0]["schema"]["units"] == "K" and temperature[0]["schema"]["type"] == "number"
    assert {(s["param_class"], s["name"]) for s in schemas} >= {
        ("output", "max_stress"),
        ("input", "material"),
    }
    all_versions = client.parameter_schemas("thermal_sim")
    assert {s["simulation_version"] for s in all_versions} == {"1.0.0", "2.0.0"}


def test_parameter_schemas_come_in_pages_that_cover_them_all(client, runs):
    # Before paging, more than 10,000 schema rows were cut off without a word.
    everything = client.parameter_schemas("thermal_sim")
    assert len(everything) >= 6
    keys = [(s["simulation_version"], s["param_class"], s["name"]) for s in everything]
    assert keys == sorted(keys)
    # A parameter whose schema changed within a version has a row per schema.
    assert len({repr(sorted(s.items())) for s in everything}) == len(everything)
    assert client.parameter_schemas("thermal_sim", page_size=2) == everything
    pages, cursor = [], None
    while True:
        page = client.parameter_schemas_page("thermal_sim", limit=4, cursor=cursor)
        assert page["limit"] == 4 and len(page["schemas"]) <= 4
        pages.append(page["schemas"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [schema for page in pages for schema in page] == everything
    assert all(len(page) == 4 for page in pages[:-1])


def test_a_schema_page_refuses_a_cursor_of_another_list(client, runs):
    other = client.distinct_values_page("thermal_sim", "material", limit=1)["next_cursor"]
    with pytest.raises(InvalidRequestError) as refused:
        client.parameter_schemas_page("thermal_sim", cursor=other)
    assert refused.value.status == 400 and "cursor" in str(refused.value.details)
    with pytest.raises(InvalidRequestError) as refused:
        client.parameter_schemas_page("thermal_sim", limit=10001)
    assert refused.value.status == 400 and "10000" in str(refused.value.details)


@pytest.mark.parametrize(
    "filters,message",
    [
        ({"temperature": [1, 2]}, "list"),
        ({"temperature": {}}, "at least one operator"),
        ({"temperature": {"like": "x%"}}, "unknown operator"),
        ({"temperature": {"in": []}}, "'in'"),
        ({"temperature": {"between": [1]}}, "'between'"),
        ({"temperature": {"between": [1, "z"]}}, "two numbers or two strings"),
        ({"temperature": {"gt": {"nested": 1}}}, "number or a string"),
        ({"temperature": {"gt": True}}, "number or a string"),
    ],
)
def test_bad_filters_are_400(client, runs, filters, message):
    with pytest.raises(InvalidRequestError) as refused:
        client.search(simulation_name="thermal_sim", input_filters=filters)
    assert refused.value.status == 400 and message in str(refused.value.details)


def test_filters_need_a_simulation_and_sort_must_be_known(client, runs):
    with pytest.raises(InvalidRequestError):
        client.search(input_filters={"temperature": 1})
    with pytest.raises(InvalidRequestError):
        client.search(simulation_name="thermal_sim", sort="input_hash; DROP TABLE x")


@pytest.mark.parametrize("window_factor", [1, 40])
def test_time_sorted_pages_are_right_with_and_without_the_window(
    client, runs, monkeypatch, window_factor
):

    monkeypatch.setattr(filters_module, "WINDOW_FACTOR", window_factor)
    everything = client.search(simulation_name="thermal_sim", sort="-created_at", limit=1000)
    newest_first = [r["execution_id"] for r in everything]
    assert [r["created_at"] for r in everything] == sorted(
        (r["created_at"] for r in everything), reverse=True
    )
    for filters, predicate in [
        ({"temperature": {"le": 320}}, lambda t: t <= 320),  # only the oldest runs match
        ({"temperature": {"ge": 350}}, lambda t: t >= 350),  # the newest runs match
        ({"temperature": {"ge": 300}, "material": {"ne": "copper"}}, lambda t: True),
    ]:
        matching = [eid for eid in newest_first if eid in runs or eid.startswith("v2-")]
        expected = [
            eid
            for eid in matching
            if predicate(runs[eid][0]["temperature"] if eid in runs else 999)
            and (
                len(filters) == 1
                or (runs[eid][0]["material"] if eid in runs else "steel") != "copper"
            )
        ]
        for sort, order in (("-created_at", expected), ("created_at", expected[::-1])):
            pages, cursor = [], None
            while True:
                page = client.search_page(
                    simulation_name="thermal_sim",
                    input_filters=filters,
                    sort=sort,
                    limit=2,
                    cursor=cursor,
                )
                pages += [r["execution_id"] for r in page["items"]]
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            assert pages == order, (filters, sort)


# ---------------------------------------------------------------- plans and statistics


def test_postgresql_statistics_follow_registrations(client, tmp_path, stored_rows, database_url):
    """With autovacuum off, registrations themselves keep the planner's statistics current."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite plans here need no statistics")
    from sim2l_results_service import maintenance

    def planner_rows():
        return stored_rows(
            "SELECT c.reltuples, s.last_analyze IS NOT NULL, s.last_vacuum IS NOT NULL "
            "FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid "
            "WHERE c.oid = 'results_parameter_value'::regclass"
        )[0]

    paths = [
        make_run(tmp_path, f"stat-{n:03d}", {"temperature": float(n)}, {"y": n}) for n in range(40)
    ]
    client.bulk_register(paths, progress=False)
    rows, analyzed, vacuumed = planner_rows()
    assert analyzed and vacuumed
    # 40 runs x 2 values; what came after the last refresh stays under the threshold
    assert 80 - rows <= maintenance.ANALYZE_BASE + maintenance.ANALYZE_FRACTION * 80


def test_time_sorted_search_with_a_selective_filter_on_many_runs(client, tmp_path, monkeypatch):
    """A filter matching few of many runs skips the newest-first window (it would find too
    few); a broad filter is answered from the window; an equality, broad or not, from its
    index in time order. All exactly right."""

    monkeypatch.setattr(filters_module, "WINDOW_FACTOR", 10)
    answered = record_answers(monkeypatch, "_windowed_page")
    paths = [
        make_run(
            tmp_path,
            f"many-{n:03d}",
            {"temperature": float(n), "material": "steel" if n % 2 else "copper"},
            {"y": n},
        )
        for n in range(120)
    ]
    client.bulk_register(paths, progress=False)
    rare = client.search(
        simulation_name="thermal_sim", input_filters={"temperature": {"between": [7, 7.5]}}
    )
    assert [run["execution_id"] for run in rare] == ["many-007"]
    broad = client.search(
        simulation_name="thermal_sim", input_filters={"material": {"in": ["steel"]}}, limit=2
    )
    assert [run["execution_id"] for run in broad] == ["many-119", "many-117"]
    assert answered == [True]  # the rare filter never tried the window; the broad one did
    equal = client.search(
        simulation_name="thermal_sim", input_filters={"material": "steel"}, limit=2
    )
    assert [run["execution_id"] for run in equal] == ["many-119", "many-117"]
    assert answered == [True]  # (no window for an equality)
    oldest = client.search(
        simulation_name="thermal_sim",
        input_filters={"material": "steel"},
        output_filters={"y": {"ge": 100}},
        sort="created_at",
        limit=3,
    )
    assert [run["execution_id"] for run in oldest] == ["many-101", "many-103", "many-105"]


def test_the_probe_limit_grows_with_the_runs_holding_the_parameters(app, runs, monkeypatch):
    """One probe per SCANNED_PER_PROBE runs holding the most common of the parameters, at least
    PROBE_LIMIT: from the run counts registration keeps (12 + 2 runs hold temperature)."""
    monkeypatch.setattr(queries, "SCANNED_PER_PROBE", 2)
    with app.app_context():
        assert queries._probe_limit("thermal_sim", [("input", "temperature")]) == 200
        monkeypatch.setattr(queries, "PROBE_LIMIT", 1)
        assert queries._probe_limit("thermal_sim", [("input", "temperature")]) == 14 // 2
        keys = [("output", "label"), ("input", "temperature")]
        assert queries._probe_limit("thermal_sim", keys) == 14 // 2
        assert queries._probe_limit("thermal_sim", [("output", "label")]) == 12 // 2
        assert queries._probe_limit("no_such_simulation", [("output", "label")]) == 1
