"""Real answers of the running service match the OpenAPI document's schemas."""

import pytest
import requests
from entries import entry
from sim2l_service_kit.testing.openapi import check_document

jsonschema = pytest.importorskip("jsonschema")


def _schema(document, path, method, status):
    response = document["paths"][path][method]["responses"][str(status)]
    return response["content"]["application/json"]["schema"]


def _check(document, path, method, status, answer):
    assert answer.status_code == status, answer.text
    jsonschema.Draft202012Validator(_schema(document, path, method, status)).validate(answer.json())


def test_answers_match_the_document(url, tokens):
    document = requests.get(url + "/openapi.json", timeout=5).json()
    session = requests.Session()
    session.headers["X-Session-ID"] = tokens["admin"]
    body = entry(metadata={"temperature": 350}, result_id=3, ttl_hours=1)
    _check(document, "/cache", "post", 200, session.post(url + "/cache", json=body))
    path = "/cache/thermal_sim/350K/result"
    _check(document, "/cache/{cache_key}", "get", 200, session.get(url + path))
    _check(document, "/cache/{cache_key}", "get", 404, session.get(url + "/cache/none"))
    _check(
        document,
        "/cache",
        "get",
        200,
        session.get(url + "/cache", params={"key": body["cache_key"]}),
    )
    _check(document, "/cache/stats", "get", 200, session.get(url + "/cache/stats"))
    _check(document, "/cache/entries", "get", 200, session.get(url + "/cache/entries"))
    _check(document, "/cache/stats", "get", 400, session.get(url + "/cache/stats?x=1"))
    invalidate = session.post(url + "/cache/invalidate", json={"simulation_id": 42, "reason": "r"})
    _check(document, "/cache/invalidate", "post", 200, invalidate)
    _check(document, "/cache/invalidations", "get", 200, session.get(url + "/cache/invalidations"))
    _check(document, "/cache/purge", "post", 200, session.post(url + "/cache/purge"))
    session.post(url + "/cache", json=body)
    _check(document, "/cache/{cache_key}", "delete", 200, session.delete(url + path))
    _check(document, "/cache/{cache_key}", "delete", 404, session.delete(url + path))
    _check(document, "/cache", "post", 400, session.post(url + "/cache", json={}))
    _check(document, "/cache/{cache_key}", "get", 401, requests.get(url + path, timeout=5))


def test_the_generated_document_describes_every_route(app):
    check_document(app)
