"""The filter compiler: filters parsed once, errors that belong to the domain, not to HTTP."""

import re

import pytest
from runfiles import make_run
from sim2l_results_service import filters
from sim2l_results_service.filters import QueryError
from sim2l_results_service.filters import parse_filters


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"gt": 1, "near": 2}, "unknown operator(s) near"),
        ({"between": [1]}, "'between' takes a list of two values"),
        ({"in": []}, "'in' takes a list"),
        ([1, 2], "a list is not a value to compare"),
    ],
)
def test_bad_filters_are_query_errors_naming_the_field(spec, message):
    with pytest.raises(QueryError, match=re.escape(message)) as refused:
        parse_filters(None, {"x": spec})
    assert refused.value.field == "output_filters"


def test_a_search_parses_each_filter_once(client, tmp_path, monkeypatch):
    for index in range(3):
        client.register_result(make_run(tmp_path, f"run-{index}", {"t": index}, {"y": index}))
    parsed = []
    real_parse = filters.parse_filter
    monkeypatch.setattr(
        filters, "parse_filter", lambda *args: parsed.append(args[1]) or real_parse(*args)
    )
    found = client.search(
        simulation_name="thermal_sim", input_filters={"t": {"ge": 1}}, output_filters={"y": 2}
    )
    assert [run["execution_id"] for run in found] == ["run-2"]
    assert sorted(parsed) == ["t", "y"]  # once each, by the request schema


def test_each_run_is_probed_on_the_index_that_keeps_a_parameter_together(
    client, tmp_path, stored_rows, database_url
):
    """SQLite probes a filter per run on ``results_value_column`` (one parameter's entries
    together), PostgreSQL on the primary key, which carries the value; both find exactly
    the runs every filter matches, strings and booleans included."""
    for n in range(12):
        inputs = {"t": float(n), "material": ["steel", "alu"][n % 2], "cooled": n % 3 == 0}
        client.register_result(make_run(tmp_path, f"run-{n:02d}", inputs, {"y": n % 4}))
    found = client.search(
        simulation_name="thermal_sim",
        input_filters={"material": "steel", "cooled": True, "t": {"ge": 2}},
        output_filters={"y": {"lt": 3}},
        limit=50,
    )
    expected = [n for n in range(12) if n % 2 == 0 and n % 3 == 0 and n >= 2 and n % 4 < 3]
    assert sorted(run["execution_id"] for run in found) == [f"run-{n:02d}" for n in expected]
    parsed = parse_filters({"t": {"ge": 2}}, {"y": {"lt": 3}})
    sql, params = filters.filters_subquery("thermal_sim", parsed, few_matches=True)
    if database_url.startswith("sqlite"):
        plan = " ".join(row[-1] for row in stored_rows("EXPLAIN QUERY PLAN " + sql, params))
        assert "SEARCH f1 USING COVERING INDEX results_value_column" in plan, plan
    else:
        assert "INDEXED BY" not in sql
    matching = {f"run-{n:02d}" for n in range(2, 12) if n % 4 < 3}
    ids = [id_ for id_, name in stored_rows("SELECT id, execution_id FROM results_result")
           if name in matching]  # fmt: skip
    assert sorted(row[0] for row in stored_rows(sql, params)) == sorted(ids)
