"""Checks every service's tests run on its generated OpenAPI document.

``check_document(app)`` holds a service's ``/openapi.json`` to what its
route table says: every route and method is an operation, every path
parameter is a parameter with a schema, every operation documents a success
answer with a schema and the kit's error shape for 400, and the whole
document is valid OpenAPI 3.1 (``openapi-spec-validator``).
"""

import re

from openapi_spec_validator import validate

from sim2l_service_kit.auth import PUBLIC
from sim2l_service_kit.auth import route_privileges

_RULE_PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def openapi_path(rule: str) -> str:
    """The OpenAPI path of a Flask rule: ``/cache/<path:cache_key>`` -> ``/cache/{cache_key}``."""
    return _RULE_PARAMETER.sub(r"{\1}", rule)


def check_document(app) -> dict:
    """Fail unless ``app``'s document describes every route it serves; return the document."""
    document = app.test_client().get("/openapi.json").get_json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    for (method, rule), privilege in route_privileges(app).items():
        path = openapi_path(rule)
        operation = document["paths"][path][method.lower()]
        where = f"{method} {path}"
        for name in _RULE_PARAMETER.findall(rule):
            parameter = next(
                p for p in operation["parameters"] if p["in"] == "path" and p["name"] == name
            )
            assert parameter["required"] is True and parameter["schema"].get("type"), where
        for parameter in operation.get("parameters", []):
            assert parameter["schema"], where
        for media in operation.get("requestBody", {}).get("content", {}).values():
            assert media["schema"], where
        successes = [status for status in operation["responses"] if status.startswith("2")]
        assert successes, where
        for status in successes:
            for media in operation["responses"][status]["content"].values():
                assert media["schema"], where
        error = operation["responses"]["400"]["content"]["application/json"]["schema"]
        assert error["required"] == ["error"], where
        assert error["properties"]["error"]["required"] == ["code", "message"], where
        if privilege == PUBLIC:
            assert operation["security"] == [], where
        else:
            assert operation["x-sim2l-privilege"] == privilege, where
            assert {"401", "403"} <= operation["responses"].keys(), where
    return document
