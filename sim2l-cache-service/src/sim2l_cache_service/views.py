"""The cache blueprint: thin handlers that validate, call ``CacheStore``, answer.

Routes (``{key}`` may contain ``/``):

- ``GET /cache/{key}`` and ``GET /cache?key=...``: one live entry, or 404 (a miss);
- ``POST /cache``: store or atomically replace an entry;
- ``POST /cache/invalidate``: invalidate by simulation id, name, version, key glob;
- ``GET /cache/stats``: hits, misses, hit rate, entries (``?simulation_id=``);
- ``GET /cache/entries``: live entries, paginated and filtered;
- ``GET /cache/invalidations``: the recorded invalidations, paginated;
- ``DELETE /cache/{key}`` and ``DELETE /cache?key=...``: remove one entry;
- ``POST /cache/purge``: remove expired and invalidated entries.

A key equal to a fixed route's name (``stats``, ``entries``, ...) is always
reachable through the ``?key=`` form, which the client uses for such keys.
"""

import time

import orjson
from marshmallow import ValidationError
from sim2l_service_kit import APIError
from sim2l_service_kit import ServiceState
from sim2l_service_kit import actor
from sim2l_service_kit import current_session
from sim2l_service_kit import json_response
from sim2l_service_kit import raw_json_response
from sim2l_service_kit import require_privilege
from sim2l_service_kit import service_state
from sim2l_service_kit.api import ServiceBlueprint
from sim2l_service_kit.pagination import cursor_key
from sim2l_service_kit.pagination import encode_cursor
from sim2l_service_kit.pagination import page_answer

from sim2l_cache_service.schemas import CONTROL_CHARACTERS
from sim2l_cache_service.schemas import MAX_ID
from sim2l_cache_service.schemas import DeletedSchema
from sim2l_cache_service.schemas import EntryPageSchema
from sim2l_cache_service.schemas import FastEntrySchema
from sim2l_cache_service.schemas import InvalidateSchema
from sim2l_cache_service.schemas import InvalidationPageSchema
from sim2l_cache_service.schemas import InvalidationQuerySchema
from sim2l_cache_service.schemas import InvalidationSchema
from sim2l_cache_service.schemas import KeyPathSchema
from sim2l_cache_service.schemas import KeyQuerySchema
from sim2l_cache_service.schemas import ListQuerySchema
from sim2l_cache_service.schemas import PurgedSchema
from sim2l_cache_service.schemas import PurgeSchema
from sim2l_cache_service.schemas import StatsQuerySchema
from sim2l_cache_service.schemas import StatsSchema
from sim2l_cache_service.schemas import StoredEntrySchema
from sim2l_cache_service.tables import UNATTRIBUTED

blueprint = ServiceBlueprint("cache", __name__)

_MISS = orjson.dumps(
    {"error": {"code": "cache_miss", "message": "no live cache entry for this key", "details": {}}}
)
_MISS_DESCRIPTION = "a miss: no entry, or it expired or was invalidated"


class CacheState(ServiceState):
    """What the views share: configuration, the store, this worker's hit counter."""

    def __init__(self, config: dict, store, counter, clock=time.time):
        super().__init__(config)
        self.store = store
        self.counter = counter
        self.max_key_length = config["max_key_length"]
        # Epoch seconds now: what expiry is judged against (tests move it on).
        self.clock = clock

    def close(self) -> None:
        """Write the pending counts to this app's database and end the flush thread."""
        self.counter.stop(self.store)


def _state() -> CacheState:
    return service_state()


# Reads: the hot path. One SQL statement; the stored answer is passed through.


def _check_key(state: CacheState, cache_key: str) -> None:
    # One rule for every key that comes in, stored or asked for: a key that
    # cannot be read back must not be stored, and one that cannot be stored
    # cannot be asked for (PostgreSQL would refuse a NUL in the query outright).
    if len(cache_key) > state.max_key_length:
        raise APIError(
            400,
            "validation_error",
            "the request is not valid",
            {"cache_key": [f"longer than {state.max_key_length} characters"]},
        )
    if CONTROL_CHARACTERS.search(cache_key):
        raise APIError(
            400,
            "validation_error",
            "the request is not valid",
            {"cache_key": ["must not contain control characters"]},
        )


def _get(state: CacheState, cache_key: str):
    _check_key(state, cache_key)
    row = state.store.lookup(cache_key, state.clock())
    if row is None:
        due = state.counter.record(UNATTRIBUTED, False)
        body = None
    else:
        body = row[1]
        due = state.counter.record(row[0], body is not None)
    if due:
        state.counter.flush(state.store)
    else:
        state.counter.ensure_flusher(state.store)
    if body is None:
        return raw_json_response(_MISS, 404)
    return raw_json_response(body)


# The routes /cache/<name> that are not cache keys (see app.py).
LITERAL_CACHE_ROUTES = ("entries", "invalidate", "invalidations", "purge", "stats")


@blueprint.get("/cache/<path:cache_key>")
@require_privilege("read_cache")
@blueprint.arguments(KeyPathSchema, location="path")
@blueprint.response(200, StoredEntrySchema)
@blueprint.errors(not_found=_MISS_DESCRIPTION)
def get_entry(path, cache_key):
    """One live entry by key; 404 (``cache_miss``) when absent, expired or invalidated."""
    return _get(_state(), cache_key)


@blueprint.get("/cache")
@require_privilege("read_cache")
@blueprint.arguments(KeyQuerySchema, location="query")
@blueprint.response(200, StoredEntrySchema)
@blueprint.errors(not_found=_MISS_DESCRIPTION)
def get_entry_by_query(query):
    """One live entry by ``?key=``: reaches every key, ``stats`` and ``entries`` included."""
    return _get(_state(), query["key"])


# Writes


@blueprint.post("/cache")
@require_privilege("write_cache")
@blueprint.arguments(FastEntrySchema)
@blueprint.response(200, StoredEntrySchema)
def set_entry(data):
    """Store an entry, or atomically replace the one under the same key."""
    state = _state()
    _check_key(state, data["cache_key"])
    config = state.config
    if "ttl_seconds" in data:
        ttl_seconds = data["ttl_seconds"]
    else:
        ttl_seconds = data.get("ttl_hours", config["default_ttl_hours"]) * 3600.0
    if ttl_seconds > config["max_ttl_hours"] * 3600.0:
        field = "ttl_seconds" if "ttl_seconds" in data else "ttl_hours"
        raise ValidationError(f"at most {config['max_ttl_hours']:g} hours", field)
    metadata = data.get("metadata")
    if metadata is not None and len(orjson.dumps(metadata)) > config["max_metadata_bytes"]:
        raise APIError(
            413,
            "payload_too_large",
            f"metadata exceeds {config['max_metadata_bytes']} bytes once encoded",
            {"metadata": ["too large"]},
        )
    body = state.store.store(data, metadata, ttl_seconds, state.clock())
    state.store.ensure_checkpointer()
    return raw_json_response(body, 200)


def _delete(cache_key: str):
    state = _state()
    _check_key(state, cache_key)
    if not state.store.delete(cache_key):
        raise APIError(404, "not_found", "no cache entry with this key")
    return json_response({"deleted": True, "cache_key": cache_key})


@blueprint.delete("/cache/<path:cache_key>")
@require_privilege("invalidate_cache")
@blueprint.arguments(KeyPathSchema, location="path")
@blueprint.response(200, DeletedSchema)
@blueprint.errors(404)
def delete_entry(path, cache_key):
    """Remove one entry (live or not); 404 when there is none."""
    return _delete(cache_key)


@blueprint.delete("/cache")
@require_privilege("invalidate_cache")
@blueprint.arguments(KeyQuerySchema, location="query")
@blueprint.response(200, DeletedSchema)
@blueprint.errors(404)
def delete_entry_by_query(query):
    """Remove one entry named by ``?key=``."""
    return _delete(query["key"])


@blueprint.post("/cache/invalidate")
@require_privilege("invalidate_cache")
@blueprint.arguments(InvalidateSchema)
@blueprint.response(200, InvalidationSchema)
def invalidate(data):
    """Invalidate the live entries matching every selector given (at least one); record why.

    ``key_pattern`` is a glob: ``*`` any run of characters, ``?`` one character.
    """
    session = current_session()
    result = _state().store.invalidate(
        data, data.get("reason"), actor(session), session.role, _state().clock()
    )
    return json_response(result)


@blueprint.post("/cache/purge")
@require_privilege("admin_service")
@blueprint.arguments(PurgeSchema, required=False)
@blueprint.response(200, PurgedSchema)
def purge(options):
    """Remove expired and invalidated entries from storage."""
    state = _state()
    return json_response({"purged": state.store.purge(state.clock())})


# Listings and statistics

# The orders of the listings, named in their cursors: a cursor of one list is
# refused by the other.
ENTRIES_ORDER = "cache_entries"
INVALIDATIONS_ORDER = "cache_invalidations"


def _after_id(cursor, order: str) -> int | None:
    """The id a page resumes after: None for the first page, else the cursor's (checked)."""
    key = cursor_key(cursor, order, 1)
    if key is None:
        return None
    if type(key[0]) is not int or not 0 <= key[0] <= MAX_ID:
        raise ValidationError({"cursor": ["not a cursor this service gave out"]})
    return key[0]


def entries_page(rows: list, limit: int, max_bytes: int) -> bytes:
    """The JSON page of up to ``limit`` entries, from up to ``limit + 1`` ``(id, body)`` rows.

    The answer ``page_answer`` gives (``items``, ``limit``, ``next_cursor``),
    written as bytes: the stored answers are JSON already, and joining them is
    several times faster than embedding them in an object to encode. A page
    stops early, after at least one entry, when the next body would take it
    past ``max_bytes``; ``next_cursor`` then resumes at that entry, so a
    page's size is bounded whatever the entries hold.
    """
    bodies = [body.encode() for _identifier, body in rows[:limit]]
    if sum(map(len, bodies)) + len(bodies) > max_bytes:
        size = 0
        for shown, encoded in enumerate(bodies):
            size += len(encoded) + 1
            if shown and size > max_bytes:
                del bodies[shown:]
                break
    shown = len(bodies)
    following = encode_cursor(ENTRIES_ORDER, (rows[shown - 1][0],)) if len(rows) > shown else None
    return b"".join(
        (
            b'{"items":[',
            b",".join(bodies),
            b'],"limit":',
            str(limit).encode(),
            b',"next_cursor":',
            orjson.dumps(following),
            b"}",
        )
    )


@blueprint.get("/cache/entries")
@require_privilege("read_cache")
@blueprint.arguments(ListQuerySchema, location="query")
@blueprint.response(200, EntryPageSchema)
def list_entries(query):
    """Live entries in storage order, filtered by simulation; ``cursor`` pages on.

    A page holds at most ``limit`` entries, and fewer when their bodies would
    pass ``max_page_bytes``: ``next_cursor`` (not the count) says more follow.
    """
    limit = query.pop("limit")
    after = _after_id(query.pop("cursor"), ENTRIES_ORDER)
    state = _state()
    rows = state.store.page(query, after, limit + 1, state.clock())
    return raw_json_response(entries_page(rows, limit, state.config["max_page_bytes"]))


@blueprint.get("/cache/invalidations")
@require_privilege("invalidate_cache")
@blueprint.arguments(InvalidationQuerySchema, location="query")
@blueprint.response(200, InvalidationPageSchema)
def list_invalidations(query):
    """The recorded invalidations (selector, reason, who, how many), oldest first."""
    limit = query["limit"]
    after = _after_id(query["cursor"], INVALIDATIONS_ORDER)
    records = _state().store.invalidations(query.get("simulation_id"), after, limit + 1)
    return json_response(
        page_answer(
            records, limit, INVALIDATIONS_ORDER, lambda record: (record["invalidation_id"],)
        )
    )


@blueprint.get("/cache/stats")
@require_privilege("read_cache")
@blueprint.arguments(StatsQuerySchema, location="query")
@blueprint.response(200, StatsSchema)
def stats(query):
    """Hits, misses, hit rate, entries and invalidations, overall or per simulation.

    Read from the stored counters only, after adding this worker's own
    unflushed counts: exact up to the other workers' last flush (at most
    ``stats_flush_seconds`` ago), and never lower than an earlier answer.
    """
    state = _state()
    simulation_id = query.get("simulation_id")
    state.counter.flush(state.store)
    figures = state.store.counts(simulation_id, state.clock())
    hits = figures["hits"]
    misses = figures["misses"]
    lookups = hits + misses
    return json_response(
        {
            "simulation_id": simulation_id,
            "hits": hits,
            "misses": misses,
            "lookups": lookups,
            "hit_rate": hits / lookups if lookups else 0.0,
            "entries": figures["entries"],
            "expired_entries": figures["expired_entries"],
            "stored_entries": figures["stored_entries"],
            "invalidated_entries": figures["invalidated_entries"],
            "invalidations": figures["invalidations"],
            "flush_interval_seconds": state.counter.flush_seconds,
        }
    )
