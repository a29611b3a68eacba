"""The OpenAPI document of the cache service's own routes.

Request bodies are generated from the marshmallow schemas that validate them;
the shared routes (health, sessions, ...) are added by the service kit.
"""

from sim2l_service_kit.openapi import document
from sim2l_service_kit.openapi import error_responses
from sim2l_service_kit.openapi import json_body
from sim2l_service_kit.openapi import json_ok
from sim2l_service_kit.openapi import json_schema
from sim2l_service_kit.openapi import operation
from sim2l_service_kit.openapi import path_parameter
from sim2l_service_kit.openapi import query_parameter

from sim2l_cache_service.schemas import MAX_ID
from sim2l_cache_service.schemas import MAX_KEY_LENGTH
from sim2l_cache_service.schemas import NO_CONTROL_PATTERN
from sim2l_cache_service.schemas import SELECTORS
from sim2l_cache_service.schemas import EntrySchema
from sim2l_cache_service.schemas import InvalidateSchema

_TEXT = {"type": "string"}
_ID = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
_NULLABLE_ID = {"type": ["integer", "null"], "minimum": 0}
_KEY = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_KEY_LENGTH,
    "pattern": NO_CONTROL_PATTERN,
}

ENTRY = {
    "type": "object",
    "required": [
        "cache_key",
        "simulation_id",
        "simulation_name",
        "simulation_version",
        "execution_id",
        "squid_id",
        "input_hash",
        "run_db_path",
        "created_at",
        "expires_at",
    ],
    "properties": {
        "cache_key": _TEXT,
        "simulation_id": _ID,
        "simulation_name": _TEXT,
        "simulation_version": _TEXT,
        "execution_id": _TEXT,
        "squid_id": _TEXT,
        "input_hash": _TEXT,
        "run_db_path": _TEXT,
        "result_id": _NULLABLE_ID,
        "metadata": {"type": ["object", "null"]},
        "created_at": {"type": "string", "format": "date-time"},
        "expires_at": {"type": "string", "format": "date-time"},
    },
}
_PAGE = {"type": ["integer", "null"], "description": "pass as cursor for the next page"}
ENTRY_PAGE = {
    "type": "object",
    "required": ["entries", "next_cursor", "limit"],
    "properties": {
        "entries": {"type": "array", "items": ENTRY},
        "next_cursor": _PAGE,
        "limit": {"type": "integer"},
    },
}
INVALIDATION = {
    "type": "object",
    "properties": {
        "invalidation_id": {"type": "integer"},
        "invalidated": {"type": "integer"},
        "invalidated_entries": {"type": "integer"},
        "selector": {"type": "object"},
        "reason": {"type": ["string", "null"]},
        "invalidated_by": _TEXT,
        "role": _TEXT,
        "created_at": {"type": "string", "format": "date-time"},
    },
}
INVALIDATION_PAGE = {
    "type": "object",
    "properties": {
        "invalidations": {"type": "array", "items": INVALIDATION},
        "next_cursor": _PAGE,
        "limit": {"type": "integer"},
    },
}
_COUNT = {"type": "integer", "minimum": 0}
STATS = {
    "type": "object",
    "properties": {
        "simulation_id": _NULLABLE_ID,
        "hits": _COUNT,
        "misses": _COUNT,
        "lookups": _COUNT,
        "hit_rate": {"type": "number", "minimum": 0, "maximum": 1},
        "entries": _COUNT,
        "expired_entries": _COUNT,
        "stored_entries": _COUNT,
        "invalidated_entries": _COUNT,
        "invalidations": _COUNT,
        "flush_interval_seconds": {"type": "number"},
    },
}
DELETED = {"type": "object", "properties": {"deleted": {"type": "boolean"}, "cache_key": _TEXT}}
PURGED = {"type": "object", "properties": {"purged": _COUNT}}

_KEY_PATH = path_parameter("cache_key", _KEY)
_KEY_PATH["description"] = (
    "the cache key; it may contain '/'. Keys equal to a fixed route (stats, entries, "
    "invalidations, invalidate, purge) or with empty, '.' or '..' segments: use ?key= instead"
)
_KEY_QUERY = {
    "name": "key",
    "in": "query",
    "required": True,
    "schema": _KEY,
    "description": "the cache key (any key, including ones that collide with routes)",
}
_SIMULATION_FILTERS = [
    query_parameter("simulation_id", _ID, "only this simulation"),
    query_parameter("simulation_name", {"type": "string", "minLength": 1, "maxLength": 200}),
    query_parameter("simulation_version", {"type": "string", "minLength": 1, "maxLength": 100}),
]
_PAGING = [
    query_parameter(
        "limit",
        {"type": "integer", "minimum": 1},
        "page size (default 100, capped at max_page_size)",
    ),
    query_parameter(
        "cursor", {"type": "integer", "minimum": 0}, "next_cursor of the previous page"
    ),
]
_MISS = error_responses(404)
_MISS["404"]["description"] = "a miss: no entry, or it expired or was invalidated"


def cache_paths() -> dict:
    """The paths of the cache blueprint."""
    get_one = operation(
        "Read one live entry (a 404 is a miss)",
        privilege="read_cache",
        parameters=[_KEY_PATH],
        responses={**json_ok(ENTRY), **_MISS, **error_responses(400)},
    )
    get_by_query = operation(
        "Read one live entry named by ?key= (any key)",
        privilege="read_cache",
        parameters=[_KEY_QUERY],
        responses={**json_ok(ENTRY), **_MISS, **error_responses(400)},
    )
    delete_one = operation(
        "Remove one entry",
        privilege="invalidate_cache",
        parameters=[_KEY_PATH],
        responses={**json_ok(DELETED), **error_responses(400, 404)},
    )
    delete_by_query = operation(
        "Remove one entry named by ?key=",
        privilege="invalidate_cache",
        parameters=[_KEY_QUERY],
        responses={**json_ok(DELETED), **error_responses(400, 404)},
    )
    store = operation(
        "Store an entry, or atomically replace the entry with the same key",
        privilege="write_cache",
        body=json_body(
            # ttl_hours or ttl_seconds, not both
            {**json_schema(EntrySchema), "not": {"required": ["ttl_hours", "ttl_seconds"]}}
        ),
        responses={**json_ok(ENTRY)},
    )
    invalidate = operation(
        "Invalidate the live entries matching every selector given (at least one); "
        "key_pattern is a glob: * any run of characters, ? one character",
        privilege="invalidate_cache",
        body=json_body(
            {
                **json_schema(InvalidateSchema),
                "anyOf": [{"required": [selector]} for selector in SELECTORS],
            }
        ),
        responses=json_ok(INVALIDATION),
    )
    purge = operation(
        "Remove expired and invalidated entries from storage",
        privilege="admin_service",
        body={
            "required": False,
            "content": {
                "application/json": {"schema": {"type": "object", "additionalProperties": False}}
            },
        },
        responses=json_ok(PURGED),
    )
    return {
        "/cache": {"get": get_by_query, "post": store, "delete": delete_by_query},
        "/cache/{cache_key}": {"get": get_one, "delete": delete_one},
        "/cache/invalidate": {"post": invalidate},
        "/cache/purge": {"post": purge},
        "/cache/stats": {
            "get": operation(
                "Hits, misses, hit rate, entries, invalidations: overall or for one simulation "
                "(eventually consistent within flush_interval_seconds)",
                privilege="read_cache",
                parameters=[
                    query_parameter("simulation_id", _ID, "one simulation (default: overall)")
                ],
                responses={**json_ok(STATS), **error_responses(400)},
            )
        },
        "/cache/entries": {
            "get": operation(
                "Live entries, filtered by simulation, a page at a time",
                privilege="read_cache",
                parameters=[*_SIMULATION_FILTERS, *_PAGING],
                responses={**json_ok(ENTRY_PAGE), **error_responses(400)},
            )
        },
        "/cache/invalidations": {
            "get": operation(
                "The recorded invalidations: selector, reason, who, how many entries",
                privilege="invalidate_cache",
                parameters=[query_parameter("simulation_id", _ID), *_PAGING],
                responses={**json_ok(INVALIDATION_PAGE), **error_responses(400)},
            )
        },
    }


def openapi_document(version: str, max_ttl_hours: float | None = None) -> dict:
    """The cache service's OpenAPI document (the kit adds the shared routes).

    ``max_ttl_hours``: the configured longest time to live, stated on
    ``ttl_hours`` and ``ttl_seconds``.
    """
    result = document("sim2l cache service", version, cache_paths())
    if max_ttl_hours is not None:
        body = result["paths"]["/cache"]["post"]["requestBody"]["content"]["application/json"]
        properties = body["schema"]["properties"]
        properties["ttl_hours"]["maximum"] = max_ttl_hours
        properties["ttl_seconds"]["maximum"] = max_ttl_hours * 3600.0
    return result
