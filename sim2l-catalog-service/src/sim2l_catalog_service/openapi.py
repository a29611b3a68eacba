"""The catalog's OpenAPI document, built from the same schemas that validate requests."""

from sim2l_service_kit.openapi import document
from sim2l_service_kit.openapi import error_responses
from sim2l_service_kit.openapi import json_body
from sim2l_service_kit.openapi import json_ok
from sim2l_service_kit.openapi import json_schema
from sim2l_service_kit.openapi import operation
from sim2l_service_kit.openapi import path_parameter
from sim2l_service_kit.openapi import query_parameter

from sim2l_catalog_service.catalog import STATUSES
from sim2l_catalog_service.executions import STATUSES as EXECUTION_STATUSES
from sim2l_catalog_service.schemas import MAX_ID
from sim2l_catalog_service.schemas import MAX_OFFSET
from sim2l_catalog_service.schemas import MAX_PAGE
from sim2l_catalog_service.schemas import ExecutionSchema
from sim2l_catalog_service.schemas import RegisterSchema
from sim2l_catalog_service.schemas import UpdateSchema

_TIME = {"type": ["string", "null"], "format": "date-time"}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_NUMBER_OR_NULL = {"type": ["number", "null"]}

SUMMARY = {
    "type": "object",
    "required": ["id", "name", "version", "description", "tags", "status"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "version": {"type": "string"},
        "description": {"type": "string"},
        "tags": _STRINGS,
        "status": {"type": "string", "enum": list(STATUSES)},
        "created_at": _TIME,
        "updated_at": _TIME,
    },
}
SIMULATION = {
    "type": "object",
    "required": [*SUMMARY["required"], "schema", "authors", "metadata"],
    "properties": {
        **SUMMARY["properties"],
        "authors": _STRINGS,
        "schema": {"type": "object"},
        "metadata": {"type": "object"},
        "registered_by": {"type": "string"},
        "updated_by": {"type": "string"},
    },
}
REGISTERED = {
    **SIMULATION,
    "properties": {**SIMULATION["properties"], "created": {"type": "boolean"}},
}
PAGE_FIELDS = {
    "total": {"type": "integer"},
    "limit": {"type": "integer"},
    "offset": {"type": "integer"},
}
SEARCH_PAGE = {
    "type": "object",
    "required": ["simulations", "total"],
    "properties": {"simulations": {"type": "array", "items": SUMMARY}, **PAGE_FIELDS},
}
VERSIONS_PAGE = {
    "type": "object",
    "required": ["name", "versions", "total"],
    "properties": {
        "name": {"type": "string"},
        "versions": {"type": "array", "items": SUMMARY},
        **PAGE_FIELDS,
    },
}
EXECUTION = {
    "type": "object",
    "required": ["id", "execution_id", "simulation_id", "status"],
    "properties": {
        "id": {"type": "integer"},
        "execution_id": {"type": "string"},
        "simulation_id": {"type": "integer"},
        "status": {"type": "string", "enum": list(EXECUTION_STATUSES)},
        "duration_seconds": _NUMBER_OR_NULL,
        "user": {"type": ["string", "null"]},
        "executed_at": _TIME,
        "metadata": {"type": "object"},
        "recorded_by": {"type": "string"},
        "recorded_at": _TIME,
        "duplicate": {"type": "boolean"},
    },
}
STATS = {
    "type": "object",
    "required": ["simulation_id", "total_executions", "success_rate"],
    "properties": {
        "simulation_id": {"type": "integer"},
        "name": {"type": "string"},
        "version": {"type": "string"},
        "total_executions": {"type": "integer"},
        "finished_executions": {"type": "integer"},
        "successful_executions": {"type": "integer"},
        "failed_executions": {"type": "integer"},
        "success_rate": _NUMBER_OR_NULL,
        "mean_duration_seconds": _NUMBER_OR_NULL,
        "p95_duration_seconds": _NUMBER_OR_NULL,
        "min_duration_seconds": _NUMBER_OR_NULL,
        "max_duration_seconds": _NUMBER_OR_NULL,
        "last_run": _TIME,
        "distinct_users": {"type": "integer"},
    },
}
NAME_STATS = {
    "type": "object",
    "required": ["name", "versions", "total_executions", "success_rate"],
    "properties": {
        "versions": {"type": "integer"},
        **{
            key: value
            for key, value in STATS["properties"].items()
            if key not in ("simulation_id", "version")
        },
    },
}
OVERVIEW = {
    "type": "object",
    "required": ["catalog", "total_executions", "most_used", "executions_per_day"],
    "properties": {
        "catalog": {
            "type": "object",
            "properties": {
                name: {"type": "integer"}
                for name in ("simulations", "versions", "active_versions", "deprecated_versions")
            },
        },
        "total_executions": {"type": "integer"},
        "successful_executions": {"type": "integer"},
        "distinct_users": {"type": "integer"},
        "most_used": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "executions": {"type": "integer"},
                    "successful_executions": {"type": "integer"},
                    "distinct_users": {"type": "integer"},
                    "last_run": _TIME,
                },
            },
        },
        "executions_per_day": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "day": {"type": "string", "format": "date"},
                    "executions": {"type": "integer"},
                    "successful_executions": {"type": "integer"},
                },
            },
        },
        "days": {"type": "integer"},
    },
}

_NAME = path_parameter("name", {"type": "string", "minLength": 1, "maxLength": 200})
_VERSION = path_parameter("version", {"type": "string", "minLength": 1, "maxLength": 64})
_ID = path_parameter("simulation_id", {"type": "integer", "minimum": 0, "maximum": MAX_ID})
_LIMIT = query_parameter(
    "limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "page size"
)
_OFFSET = query_parameter(
    "offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}, "rows to skip"
)
_TAG_ITEMS = {
    "type": "string",
    "minLength": 1,
    "maxLength": 64,
    "pattern": "^[^,\\x00-\\x1f\\x7f]+$",
}


def catalog_paths() -> dict:
    """The catalog blueprint's paths."""
    search_parameters = [
        query_parameter(
            "query",
            {"type": "string", "maxLength": 200},
            "free text: every word must occur in the name, description or tags",
        ),
        {
            **query_parameter(
                "tags",
                {"type": "array", "items": _TAG_ITEMS, "maxItems": 50},
                "tags that must all be held (repeat the parameter or separate by commas)",
            ),
            "style": "form",
            "explode": True,
        },
        query_parameter("status", {"type": "string", "enum": list(STATUSES)}),
        _LIMIT,
        _OFFSET,
    ]
    return {
        "/simulations": {
            "post": operation(
                "Register a simulation version (200 when identical content is already registered)",
                privilege="register_simulation",
                body=json_body(json_schema(RegisterSchema)),
                responses={
                    **json_ok(REGISTERED, status=201),
                    **json_ok(REGISTERED),
                    **error_responses(409),
                },
            ),
            "get": operation(
                "Search simulations: free text, tags (all must match), status; ranked, paginated",
                privilege="read_catalog",
                parameters=search_parameters,
                responses={**json_ok(SEARCH_PAGE), **error_responses(400)},
            ),
        },
        "/simulations/by-id/{simulation_id}": {
            "get": operation(
                "One simulation version by id",
                privilege="read_catalog",
                parameters=[_ID],
                responses={**json_ok(SIMULATION), **error_responses(400, 404)},
            )
        },
        "/simulations/by-id/{simulation_id}/stats": {
            "get": operation(
                "Execution statistics of one simulation version",
                privilege="read_catalog",
                parameters=[_ID],
                responses={**json_ok(STATS), **error_responses(400, 404)},
            )
        },
        "/simulations/{name}": {
            "get": operation(
                "The latest version of a simulation",
                privilege="read_catalog",
                parameters=[_NAME],
                responses={**json_ok(SIMULATION), **error_responses(400, 404)},
            )
        },
        "/simulations/{name}/stats": {
            "get": operation(
                "Execution statistics of every version of a simulation together",
                privilege="read_catalog",
                parameters=[_NAME],
                responses={**json_ok(NAME_STATS), **error_responses(400, 404)},
            )
        },
        "/simulations/{name}/versions": {
            "get": operation(
                "The versions of a simulation, newest first",
                privilege="read_catalog",
                parameters=[_NAME, _LIMIT, _OFFSET],
                responses={**json_ok(VERSIONS_PAGE), **error_responses(400, 404)},
            )
        },
        "/simulations/{name}/versions/{version}": {
            "get": operation(
                "One simulation version",
                privilege="read_catalog",
                parameters=[_NAME, _VERSION],
                responses={**json_ok(SIMULATION), **error_responses(400, 404)},
            ),
            "patch": operation(
                "Update a simulation version",
                privilege="update_catalog",
                parameters=[_NAME, _VERSION],
                body=json_body(json_schema(UpdateSchema)),
                responses={**json_ok(SIMULATION), **error_responses(404)},
            ),
        },
        "/simulations/{name}/versions/{version}/deprecate": {
            "post": operation(
                "Deprecate a simulation version",
                privilege="update_catalog",
                parameters=[_NAME, _VERSION],
                responses={**json_ok(SIMULATION), **error_responses(400, 404)},
            )
        },
        "/executions": {
            "post": operation(
                "Record an execution (idempotent per execution_id; a retry "
                "answers 200 with duplicate true)",
                privilege="record_execution",
                body=json_body(json_schema(ExecutionSchema)),
                responses={
                    **json_ok(EXECUTION, status=201),
                    **json_ok(EXECUTION),
                    **error_responses(404, 409),
                },
            )
        },
        "/executions/{execution_id}": {
            "get": operation(
                "One recorded execution",
                privilege="read_catalog",
                parameters=[
                    path_parameter(
                        "execution_id", {"type": "string", "minLength": 1, "maxLength": 200}
                    )
                ],
                responses={**json_ok(EXECUTION), **error_responses(400, 404)},
            )
        },
        "/overview": {
            "get": operation(
                "Catalog totals, most used tools, executions per day",
                privilege="read_catalog",
                parameters=[
                    query_parameter("days", {"type": "integer", "minimum": 1, "maximum": 366}),
                    _LIMIT,
                ],
                responses={**json_ok(OVERVIEW), **error_responses(400)},
            )
        },
    }


def catalog_document(version: str) -> dict:
    """The whole OpenAPI document of the catalog service (shared paths are added by the kit)."""
    return document("sim2l catalog service", version, catalog_paths())
