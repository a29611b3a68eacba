"""The generated OpenAPI document, the /docs page, and the error shape of a refused request."""

import re

import pytest
import requests
from sim2l_service_kit.docs_page import CONTENT_SECURITY_POLICY
from sim2l_service_kit.testing.openapi import check_document
from sim2l_sessions.manager import SessionManager


@pytest.fixture
def admin_token(toy_url):
    """An admin token the toy service accepts (its store is the test database)."""
    return SessionManager().create_session("admin-person", "admin").session_id


def test_the_document_describes_every_route(toy_app):
    document = check_document(toy_app)
    note = document["paths"]["/notes"]["post"]
    body = note["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["key", "text"] and body["additionalProperties"] is False
    assert body["properties"]["key"]["pattern"] == "^[^\\u0000]*$"  # the text rule
    assert note["x-sim2l-privilege"] == "write_cache"
    assert {"201", "400", "401", "403", "409", "413"} <= note["responses"].keys()


def test_the_sessions_routes_are_documented_from_their_schemas(toy_app):
    document = check_document(toy_app)
    login = document["paths"]["/sessions"]["post"]["requestBody"]["content"]["application/json"]
    forms = login["schema"]["oneOf"]
    assert [form["required"] for form in forms] == [["password", "username"], ["anonymous"]]
    ttl = forms[0]["properties"]["ttl_hours"]
    assert ttl["exclusiveMinimum"] == 0 and ttl["maximum"] == 720
    password = document["paths"]["/users"]["post"]["requestBody"]["content"]["application/json"]
    assert password["schema"]["properties"]["password"]["anyOf"][1] == {"maxLength": 18}
    users = document["paths"]["/users"]["get"]["parameters"]
    limit = next(parameter for parameter in users if parameter["name"] == "limit")
    assert limit["schema"] == {"type": "integer", "default": 100, "minimum": 1, "maximum": 500}
    assert document["paths"]["/sessions/current"]["delete"]["x-sim2l-ends-caller-session"]


@pytest.mark.parametrize(
    "method, path, body, details",
    [
        ("POST", "/notes", {"key": 1}, {"key": ["Not a valid string."], "text": None}),
        ("POST", "/notes", {"key": "k", "text": "t", "x": 1}, {"x": ["Unknown field."]}),
        ("GET", "/users?limit=0", None, {"limit": None}),
        ("GET", "/users?color=red", None, {"color": ["Unknown field."]}),
        ("POST", "/sessions", {"anonymous": True, "username": "u"}, None),
    ],
)
def test_a_refused_request_keeps_the_400_error_shape(
    toy_url, admin_token, method, path, body, details
):
    headers = {"X-Session-ID": admin_token}
    answer = requests.request(method, toy_url + path, json=body, headers=headers, timeout=10)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "validation_error" and error["message"] == "the request is not valid"
    for field, messages in (details or {}).items():
        assert field in error["details"]
        if messages is not None:
            assert error["details"][field] == messages


def test_an_empty_or_malformed_body_is_still_invalid_json(toy_url, admin_token):
    headers = {"X-Session-ID": admin_token, "Content-Type": "application/json"}
    for data in (b"", b"{", b"[1]"):
        answer = requests.post(toy_url + "/notes", data=data, headers=headers, timeout=10)
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "invalid_json"


def test_the_docs_page_and_its_assets_come_from_the_service(toy_url):
    page = requests.get(toy_url + "/docs", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    assert policy == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy
    assert "<script>" not in page.text  # no inline script: the policy would block it
    references = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(references) == 4
    for reference in references:
        assert not reference.startswith(("http:", "https:", "//")), reference
        asset = requests.get(f"{toy_url}/{reference}", timeout=10)
        assert asset.status_code == 200 and len(asset.content) > 100, reference
        assert asset.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    bundle = requests.get(toy_url + "/docs/swagger-ui-bundle.js", timeout=10)
    assert b"SwaggerUIBundle" in bundle.content
    initializer = requests.get(toy_url + "/docs/swagger-initializer.js", timeout=10).text
    assert 'url: "openapi.json"' in initializer


def test_the_docs_page_serves_only_its_own_files(toy_url):
    for name in ("../pyproject.toml", "swagger-editor.js", "LICENSE"):
        answer = requests.get(f"{toy_url}/docs/{name}", timeout=10)
        assert answer.status_code in (400, 404), name
        assert answer.headers["Content-Type"].startswith("application/json")


def test_an_integer_in_the_query_may_be_written_as_json_schema_allows(toy_url, admin_token):
    headers = {"X-Session-ID": admin_token}
    for written in ("7", "7.0", "0.7e1"):
        answer = requests.get(f"{toy_url}/users?limit={written}", headers=headers, timeout=10)
        assert answer.status_code == 200 and answer.json()["limit"] == 7, written
    for written in ("7.5", "1e400", "nan", "seven"):
        answer = requests.get(f"{toy_url}/users?limit={written}", headers=headers, timeout=10)
        assert answer.status_code == 400, written


def test_the_users_list_documents_its_page_parameters_and_answer(toy_url):
    document = requests.get(toy_url + "/openapi.json", timeout=10).json()
    listing = document["paths"]["/users"]["get"]
    parameters = {parameter["name"]: parameter["schema"] for parameter in listing["parameters"]}
    assert parameters["limit"]["maximum"] == 500 and parameters["limit"]["minimum"] == 1
    assert parameters["cursor"]["maxLength"] == 2048
    answer = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(answer["required"]) == {"items", "limit", "next_cursor"}
