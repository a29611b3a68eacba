"""Hostile input against every JSON operation of every service, from its OpenAPI document.

Deeply nested JSON, huge bodies, bytes that are not UTF-8 and SQL
metacharacters in every string field: each gets a 4xx JSON error (or is
stored as plain data), never a 5xx, and what was stored before is intact.
Path traversal in identifiers must never reach the file system.
"""

import copy

import pytest
from conftest import SERVICES
from conftest import create_service_app
from sim2l_sessions.manager import SessionManager

SQL_PAYLOADS = [
    "'; DROP TABLE cache_entry; --",
    '" OR 1=1 --',
    "x') UNION SELECT password_hash FROM sim2l_user --",
    "%_%\\",
    "../../../../etc/passwd",
    "Robert'); DELETE FROM sim2l_user;--",
]


@pytest.fixture(params=sorted(SERVICES))
def service(request, tmp_path, monkeypatch):
    monkeypatch.setenv("SIM2L_RESULTS_STORAGE_DIR", str(tmp_path / "stored"))
    app = create_service_app(request.param, f"sqlite:///{tmp_path / 'hostile.db'}")
    token = SessionManager().create_session("hostile-admin", "admin").session_id
    return request.param, app, app.test_client(), {"X-Session-ID": token}


def json_operations(client):
    """(method, path, body schema) of every operation that takes a JSON body."""
    document = client.get("/openapi.json").get_json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody", {})
            content = body.get("content", {})
            if "application/json" in content and "{" not in path:
                yield (
                    method.upper(),
                    path,
                    content["application/json"].get("schema", {}),
                    body.get("required", False),
                )


def sample(schema: dict, text: str):
    """A value matching a JSON schema, with every string set to ``text``."""
    if "anyOf" in schema:
        return sample(schema["anyOf"][0], text)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object":
        properties = schema.get("properties", {})
        return {
            name: sample(sub, text)
            for name, sub in properties.items()
            if name in schema.get("required", properties)
        }
    if kind == "array":
        return [sample(schema.get("items", {}), text)]
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    return text


def assert_client_error(response):
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if response.status_code >= 400:
        assert response.is_json and "error" in response.get_json()


def test_hostile_bodies_get_4xx_json(service):
    name, app, client, headers = service
    operations = list(json_operations(client))
    assert operations, f"{name} documents no JSON operation"
    nested = b"[" * 5000 + b"]" * 5000
    for method, path, _, required in operations:
        optional = set() if required else {200, 201}
        for body, expected in [
            (nested, {400}),
            (b'{"a": "' + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1) + b'"}', {413}),
            (b"\xff\xfe\xfa not utf-8", {400}),
            (b"", {400} | optional),
            (b"null", {400}),
            (b'{"a": 1e999999}', {400}),
        ]:
            response = client.open(
                path,
                method=method,
                data=body,
                headers={**headers, "Content-Type": "application/json"},
            )
            assert response.status_code in expected, (
                name,
                method,
                path,
                body[:20],
                response.status_code,
            )
            if response.status_code >= 400:
                assert "error" in response.get_json(), (name, method, path, body[:20])


def test_sql_metacharacters_in_every_string_field_are_plain_data(service):
    name, app, client, headers = service
    users_before = client.get("/users", headers=headers).get_json()["items"]
    for method, path, schema, _ in json_operations(client):
        if path in ("/sessions", "/users"):
            continue
        for payload in SQL_PAYLOADS:
            body = sample(copy.deepcopy(schema), payload)
            response = client.open(path, method=method, json=body, headers=headers)
            assert_client_error(response)
            response.close()  # a streamed answer ends its request when its reader closes it
    assert client.get("/ready").status_code == 200
    assert client.get("/users", headers=headers).get_json()["items"] == users_before


@pytest.mark.parametrize(
    "identifier", ["../../etc/passwd", "..", "a/../../b", "%2e%2e%2fsecret", "x\x00y", "/abs"]
)
def test_path_traversal_in_identifiers_never_touches_files(service, identifier, tmp_path):
    name, app, client, headers = service
    client.get("/sessions/current", headers=headers)  # creates the local stores first
    before = sorted(p for p in tmp_path.parent.rglob("*") if p.is_file())
    for path in (
        f"/cache/{identifier}",
        f"/results/{identifier}",
        f"/results/{identifier}/file",
        f"/executions/{identifier}",
        f"/simulations/{identifier}",
    ):
        response = client.get(path, headers=headers)
        assert_client_error(response)
    after = sorted(p for p in tmp_path.parent.rglob("*") if p.is_file())
    assert [p for p in after if p not in before and "hostile.db" not in p.name] == []
