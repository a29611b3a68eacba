"""Bad requests: each is a 4xx JSON error and leaves the stored data unchanged."""

import pytest
import requests
from runfiles import make_run
from sim2l_results_client import InvalidRequestError

LONG = "x" * 300
BAD_REQUESTS = [
    # (label, method, path, kwargs, expected status)
    ("search: malformed json", "POST", "/results/search", {"data": b"{nope"}, 400),
    (
        "search: not utf-8",
        "POST",
        "/results/search",
        {"data": b'{"simulation_name": "\xff\xfe"}'},
        400,
    ),
    ("search: array body", "POST", "/results/search", {"json": ["thermal_sim"]}, 400),
    (
        "search: unknown field",
        "POST",
        "/results/search",
        {"json": {"simulation": "thermal_sim"}},
        400,
    ),
    ("search: wrong type", "POST", "/results/search", {"json": {"simulation_name": 5}}, 400),
    (
        "search: zero limit",
        "POST",
        "/results/search",
        {"json": {"simulation_name": "t", "limit": 0}},
        400,
    ),
    (
        "search: huge limit",
        "POST",
        "/results/search",
        {"json": {"simulation_name": "t", "limit": 10**6}},
        400,
    ),
    (
        "search: offset (pages follow cursors)",
        "POST",
        "/results/search",
        {"json": {"simulation_name": "t", "offset": 10}},
        400,
    ),
    (
        "search: limit past the largest page",
        "POST",
        "/results/search",
        {"json": {"simulation_name": "t", "limit": 1001}},
        400,
    ),
    (
        "search: not a cursor",
        "POST",
        "/results/search",
        {"json": {"simulation_name": "t", "cursor": "%%%"}},
        400,
    ),
    (
        "search: cursor not a string",
        "POST",
        "/results/search",
        {"json": {"simulation_name": "t", "cursor": 5}},
        400,
    ),
    ("list: not a cursor", "GET", "/results", {"params": {"cursor": "W10"}}, 400),
    (
        "search: filters not an object",
        "POST",
        "/results/search",
        {"json": {"simulation_name": "t", "input_filters": [1]}},
        400,
    ),
    ("search: name too long", "POST", "/results/search", {"json": {"simulation_name": LONG}}, 400),
    (
        "search: filter name too long",
        "POST",
        "/results/search",
        {"json": {"simulation_name": "t", "input_filters": {LONG: 1}}},
        400,
    ),
    (
        "search: too deep",
        "POST",
        "/results/search",
        {"data": b'{"a":' * 40 + b"1" + b"}" * 40},
        400,
    ),
    (
        "search: body over the limit",
        "POST",
        "/results/search",
        {"json": {"simulation_name": "t", "input_filters": {"x": {"in": ["y" * 1000] * 1200}}}},
        413,
    ),
    (
        "search: too many in values",
        "POST",
        "/results/search",
        {"json": {"simulation_name": "t", "input_filters": {"x": {"in": list(range(1001))}}}},
        400,
    ),
    (
        "search: non-finite number",
        "POST",
        "/results/search",
        {"data": b'{"simulation_name": "t", "input_filters": {"x": {"gt": 1e999}}}'},
        400,
    ),
    (
        "stats: missing param_name",
        "POST",
        "/parameters/stats",
        {"json": {"simulation_name": "t"}},
        400,
    ),
    (
        "stats: bad class",
        "POST",
        "/parameters/stats",
        {"json": {"simulation_name": "t", "param_name": "p", "param_class": "both"}},
        400,
    ),
    (
        "stats: unknown field",
        "POST",
        "/parameters/stats",
        {"json": {"simulation_name": "t", "param_name": "p", "extra": 1}},
        400,
    ),
    ("list: unknown query parameter", "GET", "/results", {"params": {"simulation": "t"}}, 400),
    ("list: limit not a number", "GET", "/results", {"params": {"limit": "ten"}}, 400),
    (
        "distinct: missing name",
        "GET",
        "/parameters/distinct",
        {"params": {"simulation_name": "t"}},
        400,
    ),
    (
        "distinct: zero limit",
        "GET",
        "/parameters/distinct",
        {"params": {"simulation_name": "t", "param_name": "p", "limit": 0}},
        400,
    ),
    (
        "distinct: not a cursor",
        "GET",
        "/parameters/distinct",
        {"params": {"simulation_name": "t", "param_name": "p", "cursor": "bm9wZQ"}},
        400,
    ),
    ("schemas: missing simulation", "GET", "/parameters/schemas", {}, 400),
    ("view: invalid execution id", "GET", "/results/..hidden", {}, 400),
    ("view: unknown execution id", "GET", "/results/unknown-run", {}, 404),
    ("download: invalid execution id", "GET", "/results/-x/file", {}, 400),
    ("delete: invalid execution id", "DELETE", "/results/.x", {}, 400),
    (
        "register: invalid execution id",
        "POST",
        "/results",
        {
            "params": {"execution_id": "../x"},
            "data": b"SQLite format 3\x00",
            "headers": {"Content-Type": "application/vnd.sqlite3"},
        },
        400,
    ),
    (
        "register: unknown query parameter",
        "POST",
        "/results",
        {
            "params": {"path": "/etc/passwd"},
            "data": b"x",
            "headers": {"Content-Type": "application/vnd.sqlite3"},
        },
        400,
    ),
    ("register: json instead of a file", "POST", "/results", {"json": {"execution_id": "x"}}, 415),
    (
        "register: no body",
        "POST",
        "/results",
        {"headers": {"Content-Type": "application/vnd.sqlite3"}},
        400,
    ),
]


@pytest.fixture
def stored(client, tmp_path):
    """One registered run, to check that nothing changes."""
    client.register_result(
        make_run(tmp_path, "run-kept", {"x": 1, "material": "steel"}, {"y": 2.5})
    )
    return client.search(simulation_name="thermal_sim")


@pytest.mark.parametrize(
    "label,method,path,kwargs,status", BAD_REQUESTS, ids=[case[0] for case in BAD_REQUESTS]
)
def test_bad_request_is_a_json_4xx_and_changes_nothing(
    url, tokens, client, stored, label, method, path, kwargs, status
):
    kwargs = dict(kwargs)
    headers = {"X-Session-ID": tokens["admin"], **kwargs.pop("headers", {})}
    if "data" in kwargs and "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"
    response = requests.request(method, url + path, headers=headers, timeout=30, **kwargs)
    assert response.status_code == status, (label, response.text[:300])
    error = response.json()["error"]
    assert error["code"] and error["message"]
    assert "Traceback" not in response.text and "SELECT" not in response.text
    assert client.search(simulation_name="thermal_sim") == stored


def test_a_client_error_names_the_wrong_field_and_why(client, stored):
    """``str()`` of the client's exception says what "the request is not valid" means."""
    with pytest.raises(InvalidRequestError) as raised:
        client.search("thermal_sim", {"x": {"between": [1]}})
    message = str(raised.value)
    assert "the request is not valid; input_filters" in message
    assert "'between' takes a list of two values" in message
    assert "/results/search" in message
