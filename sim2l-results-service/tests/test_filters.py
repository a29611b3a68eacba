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
