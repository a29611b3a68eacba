"""OpenAPI 3.1 building blocks shared by every service.

``json_schema(schema)`` turns a marshmallow schema into a JSON Schema (the
field types sim2l uses), so a service documents its requests from the same
schemas that validate them. ``common_paths()`` documents the routes every
service has (health, ready, metrics, openapi, sessions, users).
"""

from marshmallow import Schema
from marshmallow import fields
from marshmallow import validate

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}

SESSION_SECURITY = [{"sessionHeader": []}, {"bearer": []}]
SECURITY_SCHEMES = {
    "sessionHeader": {"type": "apiKey", "in": "header", "name": "X-Session-ID"},
    "bearer": {"type": "http", "scheme": "bearer"},
}


def _field_schema(field: fields.Field) -> dict:
    if isinstance(field, fields.Nested):
        nested = field.schema
        result = json_schema(nested)
        if field.many:
            result = {"type": "array", "items": result}
    elif isinstance(field, fields.List):
        result = {"type": "array", "items": _field_schema(field.inner)}
    elif isinstance(field, fields.Dict):
        result = {"type": "object"}
    elif isinstance(field, fields.Boolean):
        result = {"type": "boolean"}
    elif isinstance(field, fields.Integer):
        result = {"type": "integer"}
    elif isinstance(field, fields.Number):
        result = {"type": "number"}
    elif isinstance(field, (fields.DateTime, fields.Date)):
        result = {"type": "string", "format": "date-time"}
    elif isinstance(field, fields.Email):
        result = {"type": "string", "format": "email"}
    elif isinstance(field, fields.String):
        result = {"type": "string"}
    else:
        result = {}
    for validator in field.validators:
        if isinstance(validator, validate.Length):
            key = "Length" if result.get("type") == "string" else "Items"
            if validator.min is not None:
                result[f"min{key}"] = validator.min
            if validator.max is not None:
                result[f"max{key}"] = validator.max
        elif isinstance(validator, validate.Range):
            if validator.min is not None:
                result["minimum" if validator.min_inclusive else "exclusiveMinimum"] = validator.min
            if validator.max is not None:
                result["maximum" if validator.max_inclusive else "exclusiveMaximum"] = validator.max
        elif isinstance(validator, validate.OneOf):
            result["enum"] = list(validator.choices)
    if field.allow_none and result:
        result = {"anyOf": [result, {"type": "null"}]}
    return result


def json_schema(schema: Schema | type[Schema]) -> dict:
    """A JSON Schema of a marshmallow schema; unknown fields are not allowed."""
    instance = schema() if isinstance(schema, type) else schema
    properties, required = {}, []
    for name, field in instance.load_fields.items():
        key = field.data_key or name
        properties[key] = _field_schema(field)
        if field.required:
            required.append(key)
    result = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        result["required"] = required
    return result


def error_responses(*statuses: int) -> dict:
    """Responses entries for error statuses, all in the JSON error shape."""
    body = {"application/json": {"schema": ERROR_SCHEMA}}
    return {str(status): {"description": "error", "content": body} for status in statuses}


def json_body(schema: dict) -> dict:
    """A ``requestBody`` with a JSON schema."""
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def json_ok(schema: dict | None = None, description: str = "OK", status: int = 200) -> dict:
    """A success response entry."""
    return {
        str(status): {
            "description": description,
            "content": {"application/json": {"schema": schema or {"type": "object"}}},
        }
    }


def operation(
    summary: str,
    *,
    privilege: str | None,
    responses: dict,
    body: dict | None = None,
    parameters: list | None = None,
) -> dict:
    """One OpenAPI operation; ``privilege`` None means public."""
    result = {"summary": summary, "responses": dict(responses)}
    if privilege is None:
        result["security"] = []
    else:
        result["security"] = SESSION_SECURITY
        result["x-sim2l-privilege"] = privilege
        result["responses"].update(error_responses(401, 403))
    if body is not None:
        result["requestBody"] = body
        result["responses"].update(error_responses(400, 413))
    if parameters:
        result["parameters"] = parameters
        if any(parameter["in"] == "query" for parameter in parameters):
            result["responses"].update(error_responses(400))
    return result


def path_parameter(name: str, schema: dict | None = None) -> dict:
    """A path parameter."""
    return {"name": name, "in": "path", "required": True, "schema": schema or {"type": "string"}}


def query_parameter(name: str, schema: dict, description: str = "") -> dict:
    """An optional query parameter."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def document(title: str, version: str, paths: dict) -> dict:
    """A whole OpenAPI document around a service's paths."""
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"securitySchemes": SECURITY_SCHEMES},
    }


def common_paths() -> dict:
    """The routes every service has."""
    from sim2l_service_kit.sessions_blueprint import PasswordChangeSchema
    from sim2l_service_kit.sessions_blueprint import SessionRequestSchema
    from sim2l_service_kit.sessions_blueprint import UserCreateSchema

    session_body = {
        "type": "object",
        "properties": {
            "session_id": {"type": "string"},
            "token_id": {"type": "string"},
            "username": {"type": ["string", "null"]},
            "role": {"type": "string"},
            "privileges": {"type": "array", "items": {"type": "string"}},
            "issued_at": {"type": "string", "format": "date-time"},
            "expires_at": {"type": "string", "format": "date-time"},
            "anonymous": {"type": "boolean"},
        },
    }
    user = {
        "type": "object",
        "properties": {
            "username": {"type": "string"},
            "email": {"type": ["string", "null"]},
            "role": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
        },
    }
    return {
        "/health": {"get": operation("Alive", privilege=None, responses=json_ok())},
        "/ready": {
            "get": operation(
                "Database reachable and migrated",
                privilege=None,
                responses={**json_ok(), **error_responses(503)},
            )
        },
        "/metrics": {
            "get": operation(
                "Prometheus metrics",
                privilege=None,
                responses={
                    "200": {
                        "description": "metrics",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            )
        },
        "/openapi.json": {"get": operation("This document", privilege=None, responses=json_ok())},
        "/sessions": {
            "post": operation(
                "Log in, or start an anonymous session",
                privilege=None,
                body=json_body(json_schema(SessionRequestSchema)),
                responses={**json_ok(session_body, status=201), **error_responses(401, 403, 429)},
            )
        },
        "/sessions/current": {
            "get": operation(
                "The caller's session", privilege="session", responses=json_ok(session_body)
            ),
            "delete": operation("Log out", privilege="session", responses=json_ok()),
        },
        "/users": {
            "get": operation(
                "List users",
                privilege="manage_users",
                responses=json_ok(),
                parameters=[
                    query_parameter("limit", {"type": "integer", "minimum": 1, "maximum": 500}),
                    query_parameter("offset", {"type": "integer", "minimum": 0, "maximum": 10**9}),
                ],
            ),
            "post": operation(
                "Create a user",
                privilege="manage_users",
                body=json_body(json_schema(UserCreateSchema)),
                responses={**json_ok(user, status=201), **error_responses(409)},
            ),
        },
        "/users/{username}": {
            "delete": operation(
                "Delete a user",
                privilege="manage_users",
                parameters=[path_parameter("username")],
                responses={**json_ok(), **error_responses(404)},
            )
        },
        "/users/{username}/password": {
            "put": operation(
                "Set a user's password",
                privilege="manage_users",
                parameters=[path_parameter("username")],
                body=json_body(json_schema(PasswordChangeSchema)),
                responses={**json_ok(), **error_responses(404)},
            )
        },
    }
