"""The OpenAPI document of the results service's own routes."""

from sim2l_service_kit.openapi import document
from sim2l_service_kit.openapi import error_responses
from sim2l_service_kit.openapi import json_body
from sim2l_service_kit.openapi import json_ok
from sim2l_service_kit.openapi import json_schema
from sim2l_service_kit.openapi import operation
from sim2l_service_kit.openapi import path_parameter
from sim2l_service_kit.openapi import query_parameter

from sim2l_results_service.queries import OPERATORS
from sim2l_results_service.schemas import ColumnsSchema
from sim2l_results_service.schemas import DistinctQuerySchema
from sim2l_results_service.schemas import ListQuerySchema
from sim2l_results_service.schemas import RegisterQuerySchema
from sim2l_results_service.schemas import SchemasQuerySchema
from sim2l_results_service.schemas import SearchSchema
from sim2l_results_service.schemas import StatsSchema

_NUMBER_OR_STRING = {"type": ["number", "string"]}
_OPERAND = {
    "anyOf": [
        {"type": ["number", "string", "boolean", "null"]},
        {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                **{
                    name: {"type": ["number", "string", "boolean", "null"]}
                    for name in OPERATORS[:6]
                },
                "in": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 1000,
                    "items": _NUMBER_OR_STRING,
                },
                "between": {
                    "type": "array",
                    "minItems": 2,
                    "maxItems": 2,
                    "items": _NUMBER_OR_STRING,
                },
            },
        },
    ]
}
_FILTERS = {
    "type": "object",
    "additionalProperties": _OPERAND,
    "description": "parameter name -> value (equality) or {operator: operand}; operators: "
    + ", ".join(OPERATORS),
}
_PARAMS = {"type": "object", "description": "parameter name -> value"}
_EXECUTION_ID = {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"}
_ITEM = {
    "type": "object",
    "properties": {
        "result_id": {"type": "integer"},
        "execution_id": {"type": "string"},
        "simulation_name": {"type": "string"},
        "simulation_version": {"type": "string"},
        "status": {"type": "string"},
        "username": {"type": ["string", "null"]},
        "created_at": {"type": ["string", "null"], "format": "date-time"},
        "completed_at": {"type": ["string", "null"], "format": "date-time"},
        "duration_seconds": {"type": ["number", "null"]},
        "registered_at": {"type": "string", "format": "date-time"},
        "input_params": _PARAMS,
        "output_params": _PARAMS,
    },
}
_PAGE = {
    "type": "object",
    "required": ["items", "limit", "offset", "next_offset"],
    "properties": {
        "items": {"type": "array", "items": _ITEM},
        "limit": {"type": "integer"},
        "offset": {"type": "integer"},
        "next_offset": {"type": ["integer", "null"]},
    },
}
_COLUMN_LINE = {
    "description": "one line of the NDJSON answer: the header, then chunks, then the trailer",
    "oneOf": [
        {
            "type": "object",
            "required": ["simulation_name", "columns", "types", "units"],
            "properties": {
                "simulation_name": {"type": "string"},
                "simulation_version": {"type": ["string", "null"]},
                "columns": {"type": "array", "items": {"type": "string"}},
                "types": {"type": "object"},
                "units": {"type": "object"},
            },
        },
        {
            "type": "object",
            "required": ["rows", "columns"],
            "properties": {
                "rows": {"type": "integer"},
                "columns": {"type": "object", "additionalProperties": {"type": "array"}},
            },
        },
        {"type": "object", "required": ["count"], "properties": {"count": {"type": "integer"}}},
    ],
}
_REGISTERED = {
    "type": "object",
    "required": ["result_id", "execution_id", "created"],
    "properties": {
        "result_id": {"type": "integer"},
        "execution_id": {"type": "string"},
        "created": {"type": "boolean"},
        "simulation_name": {"type": "string"},
        "simulation_version": {"type": "string"},
        "status": {"type": "string"},
        "sha256": {"type": "string"},
        "file_size": {"type": "integer"},
        "input_count": {"type": "integer"},
        "output_count": {"type": "integer"},
        "artifact_count": {"type": "integer"},
        "registered_at": {"type": "string", "format": "date-time"},
    },
}
_VIEW = {
    "type": "object",
    "properties": {
        **_ITEM["properties"],
        "units": {"type": "object"},
        "artifacts": {"type": "array", "items": {"type": "object"}},
        "sha256": {"type": "string"},
        "file_size": {"type": "integer"},
        "schema_version": {"type": "integer"},
    },
}
_STATS = {
    "type": "object",
    "properties": {
        "simulation_name": {"type": "string"},
        "param_name": {"type": "string"},
        "param_class": {"type": "string"},
        "count": {"type": "integer"},
        "min_value": {"type": ["number", "null"]},
        "max_value": {"type": ["number", "null"]},
        "avg_value": {"type": ["number", "null"]},
        "stddev_value": {"type": ["number", "null"]},
        "variance": {"type": ["number", "null"]},
    },
}


def _query_parameters(schema) -> list:
    properties = json_schema(schema)["properties"]
    required = set(json_schema(schema).get("required", []))
    parameters = []
    for name, field_schema in properties.items():
        parameter = query_parameter(name, field_schema)
        parameter["required"] = name in required
        parameters.append(parameter)
    return parameters


def _with_filters(schema) -> dict:
    body = json_schema(schema)
    body["properties"]["input_filters"] = _FILTERS
    body["properties"]["output_filters"] = _FILTERS
    return body


def openapi_document(version: str) -> dict:
    """The results service's paths (the shared ones are added by the kit)."""
    upload = {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["run_db"],
                    "properties": {
                        "run_db": {"type": "string", "format": "binary"},
                        "execution_id": _EXECUTION_ID,
                        "replace": {"type": "boolean"},
                    },
                }
            },
            "application/vnd.sqlite3": {"schema": {"type": "string", "format": "binary"}},
        },
    }
    register = operation(
        "Register a run by uploading its run database file",
        privilege="register_result",
        body=upload,
        parameters=_query_parameters(RegisterQuerySchema),
        responses={
            **json_ok(_REGISTERED, "already registered with this content"),
            **json_ok(_REGISTERED, "registered", status=201),
            **error_responses(409, 415, 422),
        },
    )
    file_response = {
        "200": {
            "description": "the run database file",
            "content": {
                "application/vnd.sqlite3": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    }
    paths = {
        "/results": {
            "post": register,
            "get": operation(
                "List results of a simulation, sorted and paginated",
                privilege="read_results",
                parameters=_query_parameters(ListQuerySchema),
                responses=json_ok(_PAGE),
            ),
        },
        "/results/search": {
            "post": operation(
                "Search results by simulation, version, status and input/output filters",
                privilege="read_results",
                body=json_body(_with_filters(SearchSchema)),
                responses=json_ok(_PAGE),
            )
        },
        "/results/columns": {
            "post": operation(
                "Chosen parameters of every matching run as columns, streamed as NDJSON",
                privilege="read_results",
                body=json_body(_with_filters(ColumnsSchema)),
                responses={
                    "200": {
                        "description": "a header line, chunks of columns, a trailer line",
                        "content": {"application/x-ndjson": {"schema": _COLUMN_LINE}},
                    },
                    **error_responses(400),
                },
            )
        },
        "/results/{execution_id}": {
            "get": operation(
                "The results view of one run",
                privilege="read_results",
                parameters=[path_parameter("execution_id", _EXECUTION_ID)],
                responses={**json_ok(_VIEW), **error_responses(400, 404)},
            ),
            "delete": operation(
                "Delete a result and its stored file",
                privilege="delete_results",
                parameters=[path_parameter("execution_id", _EXECUTION_ID)],
                responses={**json_ok(), **error_responses(400, 404)},
            ),
        },
        "/results/{execution_id}/file": {
            "get": operation(
                "Download the stored run database file",
                privilege="read_results",
                parameters=[path_parameter("execution_id", _EXECUTION_ID)],
                responses={**file_response, **error_responses(400, 404)},
            )
        },
        "/parameters/stats": {
            "post": operation(
                "Statistics of a numeric parameter (count, min, max, mean, standard deviation)",
                privilege="read_results",
                body=json_body(_with_filters(StatsSchema)),
                responses=json_ok(_STATS),
            )
        },
        "/parameters/distinct": {
            "get": operation(
                "Distinct values of a string parameter",
                privilege="read_results",
                parameters=_query_parameters(DistinctQuerySchema),
                responses={**json_ok(), **error_responses(400)},
            )
        },
        "/parameters/schemas": {
            "get": operation(
                "Parameter schemas of a simulation as seen across its runs",
                privilege="read_results",
                parameters=_query_parameters(SchemasQuerySchema),
                responses={**json_ok(), **error_responses(400)},
            )
        },
    }
    return document("sim2l results service", version, paths)
