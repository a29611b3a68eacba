"""The explorer's URL filter state (no services needed)."""

import pytest
from sim2l_web.filters import FilterError
from sim2l_web.filters import parse_filter
from sim2l_web.filters import query_pairs
from sim2l_web.filters import search_filters
from sim2l_web.filters import service_sort
from werkzeug.datastructures import MultiDict


def test_filters_become_the_services_search_format():
    parsed = [
        parse_filter("inputs.temperature", "gt", "300", "number"),
        parse_filter("inputs.temperature", "le", "400", "number"),
        parse_filter("inputs.material", "in", "steel,copper", "string"),
        parse_filter("outputs.max_stress", "between", "3e8,1e8", "number"),
        parse_filter("inputs.points", "eq", "5", "integer"),
        parse_filter("outputs.converged", "ne", "false", "boolean"),
    ]
    inputs, outputs = search_filters(parsed)
    assert inputs == {
        "temperature": {"gt": 300.0, "le": 400.0},
        "material": {"in": ["steel", "copper"]},
        "points": {"eq": 5},
    }
    assert outputs == {"max_stress": {"between": [1e8, 3e8]}, "converged": {"ne": False}}


def test_filters_round_trip_through_query_pairs():
    from sim2l_web.filters import parse_filters

    parsed = [
        parse_filter("inputs.temperature", "between", "300,400.5", "number"),
        parse_filter("inputs.material", "in", "a,b", "string"),
    ]
    again = parse_filters(MultiDict(query_pairs(parsed)), {"inputs.temperature": "number"})
    assert again == parsed


@pytest.mark.parametrize(
    ("column", "operator", "raw", "kind", "message"),
    [
        ("inputs.t", "gt", "warm", "number", "is a number"),
        ("inputs.t", "gt", "nan", "number", "finite number"),
        ("inputs.t", "gt", "", "number", "empty value"),
        ("inputs.t", "between", "1,2,3", "number", "two values"),
        ("inputs.t", "in", ",,", "number", "at least one value"),
        ("inputs.t", "in", ",".join(["1"] * 101), "number", "at most 100"),
        ("inputs.t", "regex", "1", "number", "unknown operator"),
        ("params.t", "gt", "1", "number", "unknown column"),
        ("inputs.flag", "eq", "maybe", "boolean", "true or false"),
        ("inputs.name", "between", "a,b", "string", "two numbers"),
    ],
)
def test_bad_filters_name_the_problem(column, operator, raw, kind, message):
    with pytest.raises(FilterError, match=message):
        parse_filter(column, operator, raw, kind)


def test_contradicting_conditions_are_refused():
    parsed = [parse_filter("inputs.t", "gt", "1"), parse_filter("inputs.t", "gt", "2")]
    with pytest.raises(FilterError, match="two different"):
        search_filters(parsed)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-outputs.max_stress", "-output.max_stress"),
        ("inputs.t", "input.t"),
        ("created_at", "created_at"),
        ("-execution_id", "-execution_id"),
    ],
)
def test_sort_in_the_services_terms(sort, expected):
    assert service_sort(sort) == expected


def test_unknown_sort_is_refused():
    with pytest.raises(FilterError):
        service_sort("password")
