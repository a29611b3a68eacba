"""The text rule, on every service and both backends: bad text is a 400 naming the field.

Every string a request carries (path parameter, query parameter, JSON body
field or key, session header) holding a NUL, a lone surrogate or invalid
UTF-8 gets a 400 ``validation_error`` whose details name the field, on SQLite
and on PostgreSQL (which refused NUL with a 500 before the rule).
"""

import copy

import pytest
from conftest import SERVICES
from conftest import create_service_app
from sim2l_sessions.manager import SessionManager
from test_hostile_input import sample

NUL_TEXT = "a\x00b"


@pytest.fixture(params=sorted(SERVICES))
def service(request, database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SIM2L_RESULTS_STORAGE_DIR", str(tmp_path / "stored"))
    app = create_service_app(request.param, database_url, sessions_database_url=database_url)
    token = SessionManager().create_session("text-admin", "admin").session_id
    yield request.param, app.test_client(), {"X-Session-ID": token}
    database = app.extensions["sim2l_database"]
    if hasattr(database, "close_all"):
        database.close_all()


def operations(client):
    """``(method, path template, operation)`` of every documented operation."""
    document = client.get("/openapi.json").get_json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method.upper(), path, operation


def string_leaves(value, path=""):
    """Paths (as the rule names them) of every string leaf of a sample body."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from string_leaves(child, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from string_leaves(child, f"{path}[{index}]")


def set_leaf(body, path, text):
    """A copy of ``body`` with the leaf at ``path`` set to ``text``."""
    body = copy.deepcopy(body)
    parts = path.replace("[", ".[").split(".")
    node = body
    for part in parts[:-1]:
        node = node[int(part[1:-1])] if part.startswith("[") else node[part]
    last = parts[-1]
    if last.startswith("["):
        node[int(last[1:-1])] = text
    else:
        node[last] = text
    return body


def plain_object(schema: dict) -> dict:
    """The object schema to sample: the first of a ``oneOf``, without ``anyOf``/``not`` rules."""
    schema = schema.get("oneOf", [schema])[0]
    if "properties" in schema:
        schema = {key: value for key, value in schema.items() if key not in ("anyOf", "not")}
    return schema


def fill(path: str, parameters: dict) -> str:
    for name, value in parameters.items():
        path = path.replace("{" + name + "}", value)
    return path


def assert_names(response, field):
    assert response.status_code == 400, (field, response.status_code, response.get_data()[:300])
    error = response.get_json()["error"]
    assert error["code"] == "validation_error", error
    assert field in error["details"], (field, error)


def test_nul_in_any_parameter_or_body_field_is_a_400_naming_it(service):
    name, client, headers = service
    checked = 0
    for method, template, operation in operations(client):
        parameters = operation.get("parameters", [])
        path_names = [p["name"] for p in parameters if p["in"] == "path"]
        plain = fill(template, {n: "x" for n in path_names})
        for parameter in parameters:
            if parameter["in"] == "path" and parameter["schema"].get("type") == "string":
                values = {n: (NUL_TEXT if n == parameter["name"] else "x") for n in path_names}
                response = client.open(fill(template, values), method=method, headers=headers)
                assert_names(response, parameter["name"])
                checked += 1
            elif parameter["in"] == "query" and parameter["schema"].get("type") == "string":
                response = client.open(
                    plain,
                    method=method,
                    query_string={parameter["name"]: NUL_TEXT},
                    headers=headers,
                )
                assert_names(response, parameter["name"])
                checked += 1
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            body = sample(plain_object(content["application/json"].get("schema", {})), "text")
            for leaf in string_leaves(body):
                response = client.open(
                    plain, method=method, json=set_leaf(body, leaf, NUL_TEXT), headers=headers
                )
                assert_names(response, leaf)
                checked += 1
    assert checked >= 5, name


ISSUE_EXAMPLES = {
    "cache": [
        ("POST", "/sessions", {"json": {"username": NUL_TEXT, "password": "x"}}, "username"),
        ("DELETE", "/users/a%00b", {}, "username"),
        ("GET", "/cache/a%00b", {}, "cache_key"),
    ],
    "catalog": [
        ("GET", "/simulations?query=a%00b", {}, "query"),
        ("GET", "/simulations/x/versions/1.0.0%00", {}, "version"),
        (
            "POST",
            "/simulations",
            {"json": {"name": "s", "version": "1.0.0", "description": NUL_TEXT}},
            "description",
        ),
        ("POST", "/executions", {"json": {"simulation_id": 1, "user": NUL_TEXT}}, "user"),
    ],
    "results": [
        ("GET", "/results?simulation_name=%00", {}, "simulation_name"),
        ("POST", "/results/search", {"json": {"sort": NUL_TEXT}}, "sort"),
        (
            "POST",
            "/results/search",
            {"json": {"simulation_name": "s", "input_filters": {"x": {"eq": NUL_TEXT}}}},
            "input_filters.x.eq",
        ),
        (
            "POST",
            "/results/search",
            {"json": {"simulation_name": "s", "input_filters": {NUL_TEXT: 1}}},
            "input_filters.a\\x00b",
        ),
        ("GET", "/parameters/distinct?simulation_name=s&param_name=%00", {}, "param_name"),
        ("GET", "/parameters/schemas?simulation_name=%00", {}, "simulation_name"),
        (
            "POST",
            "/parameters/stats",
            {"json": {"simulation_name": NUL_TEXT, "param_name": "p"}},
            "simulation_name",
        ),
    ],
}


def test_the_issues_examples(service):
    name, client, headers = service
    for method, path, options, field in ISSUE_EXAMPLES[name]:
        assert_names(client.open(path, method=method, headers=headers, **options), field)


@pytest.mark.parametrize(
    ("request_options", "field"),
    [
        ({"path": "/sessions/current?x=%ff"}, "x"),
        ({"path": "/sessions/current?x=%ed%a0%80"}, "x"),  # an encoded lone surrogate
        ({"path": "/users/caf%e9", "method": "DELETE"}, "username"),
        ({"path": "/users/%ed%b0%80", "method": "DELETE"}, "username"),
        (
            {
                "path": "/sessions",
                "method": "POST",
                "data": b'{"username": "\\ud800", "password": "x"}',
            },
            "username",
        ),
        (
            {
                "path": "/sessions",
                "method": "POST",
                "data": b'{"\\udfff": 1, "password": "x"}',
            },
            "\\udfff",
        ),
        ({"path": "/sessions", "method": "POST", "data": b'{"username": "\xff"}'}, "body"),
    ],
)
def test_lone_surrogates_and_invalid_utf8_are_a_400_naming_the_field(
    service, request_options, field
):
    name, client, headers = service
    options = {"method": "GET", **request_options}
    options["headers"] = {**headers, "Content-Type": "application/json"}
    assert_names(client.open(**options), field)


def test_a_nul_in_the_session_header_is_a_400(service):
    name, client, headers = service
    response = client.get("/sessions/current", headers={"X-Session-ID": "abc\x00def"})
    assert_names(response, "X-Session-ID")


def test_the_documents_state_the_rule(service):
    name, client, headers = service
    document = client.get("/openapi.json").get_json()
    username = document["paths"]["/users/{username}"]["delete"]["parameters"][0]["schema"]
    assert username["pattern"] == "^[^\\u0000]*$"
