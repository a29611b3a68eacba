"""Every bad input is a 4xx JSON error, and stored data is unchanged afterwards."""

import pytest
from conftest import THERMAL

LONG = "x" * 10_001


_MISSING = object()


def _register(**changes):
    body = {**THERMAL, "name": "other_sim", **changes}
    return {key: value for key, value in body.items() if value is not _MISSING}


JSON_CASES = {
    # POST /simulations
    "register: no name": ("POST", "/simulations", _register(name=_MISSING), 400),
    "register: no version": ("POST", "/simulations", _register(version=_MISSING), 400),
    "register: name not a string": ("POST", "/simulations", _register(name=123), 400),
    "register: name empty": ("POST", "/simulations", _register(name=""), 400),
    "register: name starts with a digit": ("POST", "/simulations", _register(name="1sim"), 400),
    "register: name with a slash": ("POST", "/simulations", _register(name="a/b"), 400),
    "register: name too long": ("POST", "/simulations", _register(name="a" * 201), 400),
    "register: version not semver": ("POST", "/simulations", _register(version="1.x"), 400),
    "register: version with leading zero": (
        "POST",
        "/simulations",
        _register(version="01.0.0"),
        400,
    ),
    "register: version not a string": ("POST", "/simulations", _register(version=1.0), 400),
    "register: version too long": (
        "POST",
        "/simulations",
        _register(version="1.0.0-" + "a" * 70),
        400,
    ),
    "register: unknown field": ("POST", "/simulations", _register(owner="me"), 400),
    "register: description too long": ("POST", "/simulations", _register(description=LONG), 400),
    "register: description null": ("POST", "/simulations", _register(description=None), 400),
    "register: tags not a list": ("POST", "/simulations", _register(tags="physics"), 400),
    "register: tag not a string": ("POST", "/simulations", _register(tags=[1]), 400),
    "register: tag with a comma": ("POST", "/simulations", _register(tags=["a,b"]), 400),
    "register: tag blank": ("POST", "/simulations", _register(tags=["  "]), 400),
    "register: tag too long": ("POST", "/simulations", _register(tags=["t" * 65]), 400),
    "register: too many tags": (
        "POST",
        "/simulations",
        _register(tags=[f"t{i}" for i in range(51)]),
        400,
    ),
    "register: schema not an object": ("POST", "/simulations", _register(schema=[1]), 400),
    "register: schema unknown section": (
        "POST",
        "/simulations",
        _register(schema={"params": {}}),
        400,
    ),
    "register: schema parameter not an object": (
        "POST",
        "/simulations",
        _register(schema={"inputs": {"t": 5}}),
        400,
    ),
    "register: schema type not a string": (
        "POST",
        "/simulations",
        _register(schema={"inputs": {"t": {"type": 5}}}),
        400,
    ),
    "register: authors not strings": ("POST", "/simulations", _register(authors=[None]), 400),
    "register: metadata not an object": ("POST", "/simulations", _register(metadata="x"), 400),
    "register: JSON array body": ("POST", "/simulations", [THERMAL], 400),
    # PATCH and deprecate
    "update: nothing to change": ("PATCH", "/simulations/thermal_sim/versions/1.0.0", {}, 400),
    "update: bad status": (
        "PATCH",
        "/simulations/thermal_sim/versions/1.0.0",
        {"status": "retired"},
        400,
    ),
    "update: name is not updatable": (
        "PATCH",
        "/simulations/thermal_sim/versions/1.0.0",
        {"name": "renamed"},
        400,
    ),
    "update: unknown version": (
        "PATCH",
        "/simulations/thermal_sim/versions/9.9.9",
        {"description": "x"},
        404,
    ),
    "deprecate: body fields": (
        "POST",
        "/simulations/thermal_sim/versions/1.0.0/deprecate",
        {"reason": "old"},
        400,
    ),
    "deprecate: unknown version": (
        "POST",
        "/simulations/thermal_sim/versions/2.0.0/deprecate",
        None,
        404,
    ),
    # POST /executions
    "execution: no simulation_id": (
        "POST",
        "/executions",
        {"execution_id": "e1", "status": "completed"},
        400,
    ),
    "execution: simulation_id a string": (
        "POST",
        "/executions",
        {"simulation_id": "1", "execution_id": "e1", "status": "completed"},
        400,
    ),
    "execution: simulation_id a boolean": (
        "POST",
        "/executions",
        {"simulation_id": True, "execution_id": "e1", "status": "completed"},
        400,
    ),
    "execution: simulation_id zero": (
        "POST",
        "/executions",
        {"simulation_id": 0, "execution_id": "e1", "status": "completed"},
        400,
    ),
    "execution: simulation_id too large": (
        "POST",
        "/executions",
        {"simulation_id": 2**40, "execution_id": "e1", "status": "completed"},
        400,
    ),
    "execution: unknown simulation": (
        "POST",
        "/executions",
        {"simulation_id": 999, "execution_id": "e1", "status": "completed"},
        404,
    ),
    "execution: no execution_id": (
        "POST",
        "/executions",
        {"simulation_id": 1, "status": "completed"},
        400,
    ),
    "execution: empty execution_id": (
        "POST",
        "/executions",
        {"simulation_id": 1, "execution_id": "", "status": "completed"},
        400,
    ),
    "execution: execution_id too long": (
        "POST",
        "/executions",
        {"simulation_id": 1, "execution_id": "e" * 201, "status": "completed"},
        400,
    ),
    "execution: bad status": (
        "POST",
        "/executions",
        {"simulation_id": 1, "execution_id": "e1", "status": "great"},
        400,
    ),
    "execution: negative duration": (
        "POST",
        "/executions",
        {"simulation_id": 1, "execution_id": "e1", "status": "completed", "duration_seconds": -1},
        400,
    ),
    "execution: duration a string": (
        "POST",
        "/executions",
        {"simulation_id": 1, "execution_id": "e1", "status": "completed", "duration_seconds": "5"},
        400,
    ),
    "execution: bad started_at": (
        "POST",
        "/executions",
        {
            "simulation_id": 1,
            "execution_id": "e1",
            "status": "completed",
            "started_at": "yesterday",
        },
        400,
    ),
    "execution: unknown field": (
        "POST",
        "/executions",
        {"simulation_id": 1, "execution_id": "e1", "status": "completed", "cost": 3},
        400,
    ),
}

QUERY_CASES = {
    "search: limit zero": ("/simulations?limit=0", 400),
    "search: limit too large": ("/simulations?limit=1000", 400),
    "search: limit not a number": ("/simulations?limit=ten", 400),
    "search: an offset (lists page by cursor)": ("/simulations?offset=20", 400),
    "search: not a cursor": ("/simulations?cursor=20", 400),
    "versions: limit too large": ("/simulations/thermal_sim/versions?limit=101", 400),
    "versions: not a cursor": ("/simulations/thermal_sim/versions?cursor=%21", 400),
    "search: bad status": ("/simulations?status=retired", 400),
    "search: unknown parameter": ("/simulations?name=thermal_sim", 400),
    "search: query too long": ("/simulations?query=" + "q" * 201, 400),
    "search: tag too long": ("/simulations?tags=" + "t" * 65, 400),
    "versions: limit zero": ("/simulations/thermal_sim/versions?limit=0", 400),
    "versions: unknown name": ("/simulations/nothing/versions", 404),
    "get: unknown name": ("/simulations/nothing", 404),
    "get: unknown version": ("/simulations/thermal_sim/versions/3.0.0", 404),
    "get: invalid version": ("/simulations/thermal_sim/versions/not-a-version", 404),
    "get: unknown id": ("/simulations/by-id/999999", 404),
    "get: id beyond any integer column": ("/simulations/by-id/99999999999999999999", 404),
    "get: unknown parameter": ("/simulations/thermal_sim?verbose=1", 400),
    "name stats: unknown name": ("/simulations/nothing/stats", 404),
    "name stats: unknown parameter": ("/simulations/thermal_sim/stats?days=3", 400),
    "stats: unknown id": ("/simulations/by-id/424242/stats", 404),
    "stats: unknown parameter": ("/simulations/by-id/1/stats?window=7", 400),
    "execution: unknown": ("/executions/nope", 404),
    "overview: days zero": ("/overview?days=0", 400),
    "overview: days too many": ("/overview?days=10000", 400),
    "overview: unknown parameter": ("/overview?top=3", 400),
}


def _nested(depth):
    value = {}
    for _ in range(depth):
        value = {"a": value}
    return value


JSON_CASES["register: nested too deep"] = (
    "POST",
    "/simulations",
    _register(metadata=_nested(40)),
    400,
)


def _snapshot(developer, thermal):
    return (
        developer.get_simulation("thermal_sim", "1.0.0"),
        developer.search_page(limit=100)["items"],
        developer.get_simulation_stats(thermal["id"]),
        developer.get_overview()["total_executions"],
    )


def _assert_error(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] and error["message"]


@pytest.mark.parametrize("case", sorted(JSON_CASES))
def test_bad_json_inputs(case, http, tokens, developer, thermal):
    developer.record_execution(thermal["id"], "exec-seen", "completed", duration_seconds=1.0)
    before = _snapshot(developer, thermal)
    method, path, body, status = JSON_CASES[case]
    _assert_error(http(method, path, token=tokens["developer"], json=body), status)
    assert _snapshot(developer, thermal) == before


@pytest.mark.parametrize("case", sorted(QUERY_CASES))
def test_bad_query_inputs(case, http, tokens, developer, thermal):
    before = _snapshot(developer, thermal)
    path, status = QUERY_CASES[case]
    _assert_error(http("GET", path, token=tokens["developer"]), status)
    assert _snapshot(developer, thermal) == before


RAW_CASES = {
    "malformed JSON": b'{"name": "x", ',
    "not UTF-8": b'{"name": "\xff\xfe"}',
    "empty body": b"",
    "a JSON string": b'"thermal_sim"',
}


@pytest.mark.parametrize("case", sorted(RAW_CASES))
@pytest.mark.parametrize("path", ["/simulations", "/executions"])
def test_malformed_bodies(case, path, http, tokens, developer, thermal):
    before = _snapshot(developer, thermal)
    response = http(
        "POST",
        path,
        token=tokens["developer"],
        data=RAW_CASES[case],
        headers={"Content-Type": "application/json"},
    )
    _assert_error(response, 400)
    assert _snapshot(developer, thermal) == before


@pytest.mark.parametrize("path", ["/simulations", "/executions"])
def test_oversized_body_is_413(path, http, tokens, developer, thermal):
    before = _snapshot(developer, thermal)
    body = b'{"description": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = http(
        "POST",
        path,
        token=tokens["developer"],
        data=body,
        headers={"Content-Type": "application/json"},
    )
    _assert_error(response, 413)
    assert _snapshot(developer, thermal) == before


def test_oversized_schema_is_400(http, tokens, developer, thermal):
    before = _snapshot(developer, thermal)
    inputs = {f"p{i}": {"type": "number", "description": "d" * 200} for i in range(1500)}
    body = _register(schema={"inputs": inputs})
    _assert_error(http("POST", "/simulations", token=tokens["developer"], json=body), 400)
    assert _snapshot(developer, thermal) == before
