"""Request and answer schemas (marshmallow 4; unknown request fields are rejected).

Numbers are strict in JSON bodies: ``"42"`` or ``true`` is not an id, and
``"24"`` is not a TTL. Text fields refuse NUL characters, which PostgreSQL
cannot store; cache keys refuse every control character.
"""

import math
import re

from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import validate
from marshmallow import validates_schema
from sim2l_service_kit.fields import StrictInteger
from sim2l_service_kit.fields import StrictNumber
from sim2l_service_kit.pagination import CursorField
from sim2l_service_kit.pagination import limit_field
from sim2l_service_kit.pagination import page_schema
from sim2l_service_kit.schemas import ResponseSchema
from sim2l_service_kit.state import service_state

MAX_KEY_LENGTH = 512
MAX_ID = 2**63 - 1
# The largest page of a listing: a larger ``limit`` is a 400 that names it.
MAX_PAGE_SIZE = 500
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# No control character: the same expression in Python and in JSON Schema (ECMA-262).
NO_CONTROL_PATTERN = r"^[^\x00-\x1f\x7f]*$"


def no_nul(value: str) -> None:
    """Refuse text with NUL characters."""
    if "\x00" in value:
        raise ValidationError("must not contain NUL characters")


def text(max_length: int, **kwargs) -> fields.String:
    """A string field of 1 to ``max_length`` characters without NUL."""
    return fields.String(validate=[validate.Length(min=1, max=max_length), no_nul], **kwargs)


def cache_key_field(**kwargs) -> fields.String:
    """A cache key: 1 to 512 characters, no control characters; may contain ``/``."""
    return fields.String(
        validate=[
            validate.Length(min=1, max=MAX_KEY_LENGTH),
            validate.Regexp(NO_CONTROL_PATTERN, error="must not contain control characters"),
        ],
        **kwargs,
    )


def identifier(**kwargs) -> StrictInteger:
    """A non-negative 64-bit integer id."""
    return StrictInteger(validate=validate.Range(min=0, max=MAX_ID), **kwargs)


class TimeToLive(StrictNumber):
    """A time to live in ``unit_seconds``: more than zero, at most the configured maximum.

    The view holds it to ``max_ttl_hours``; the document states that maximum
    from the configuration of the app it describes.
    """

    def __init__(self, unit_seconds: float, **kwargs):
        super().__init__(validate=validate.Range(min=0, min_inclusive=False), **kwargs)
        self.unit_seconds = unit_seconds

    def openapi_properties(self, converter, ret: dict) -> dict:
        """``maximum``: the configured ``max_ttl_hours`` in this field's unit."""
        return {"maximum": service_state().config["max_ttl_hours"] * 3600.0 / self.unit_seconds}


# The text fields of an entry and their longest lengths (the schema and the
# fast path of load_entry both read them from here).
_ENTRY_TEXT_LIMITS = {
    "simulation_name": 200,
    "simulation_version": 100,
    "execution_id": 200,
    "squid_id": 512,
    "input_hash": 256,
    "run_db_path": 4096,
}


class EntrySchema(Schema):
    """``POST /cache``: one entry. TTL from ``ttl_hours`` or ``ttl_seconds`` (not both)."""

    class Meta:
        not_together = ("ttl_hours", "ttl_seconds")

    cache_key = cache_key_field(required=True)
    simulation_id = identifier(required=True)
    simulation_name = text(_ENTRY_TEXT_LIMITS["simulation_name"], required=True)
    simulation_version = text(_ENTRY_TEXT_LIMITS["simulation_version"], required=True)
    execution_id = text(_ENTRY_TEXT_LIMITS["execution_id"], required=True)
    squid_id = text(_ENTRY_TEXT_LIMITS["squid_id"], required=True)
    input_hash = text(_ENTRY_TEXT_LIMITS["input_hash"], required=True)
    run_db_path = text(_ENTRY_TEXT_LIMITS["run_db_path"], required=True)
    result_id = identifier(allow_none=True)
    metadata = fields.Dict(keys=fields.String(), allow_none=True)
    ttl_hours = TimeToLive(3600.0)
    ttl_seconds = TimeToLive(1.0)

    @validates_schema
    def one_ttl(self, data, **kwargs):
        """At most one of the two TTL fields."""
        if "ttl_hours" in data and "ttl_seconds" in data:
            raise ValidationError("give ttl_hours or ttl_seconds, not both", "ttl_seconds")


class FastEntrySchema(EntrySchema):
    """``EntrySchema`` whose ``load`` takes the fast path of ``load_entry`` first."""

    def load(self, data, **kwargs):
        """The well-formed entry without marshmallow; anything else through the schema."""
        accepted = _fast_entry(data) if type(data) is dict and not kwargs else None
        return accepted if accepted is not None else super().load(data, **kwargs)


_ENTRY_REQUIRED = frozenset(("cache_key", "simulation_id", *_ENTRY_TEXT_LIMITS))
_ENTRY_FIELDS = frozenset((*_ENTRY_REQUIRED, "result_id", "metadata", "ttl_hours", "ttl_seconds"))
_entry_schema = EntrySchema()


def load_entry(data: dict) -> dict:
    """``EntrySchema().load(data)``, with a fast path for the well-formed entry.

    Every store goes through here, and marshmallow spends about 40 us on a
    valid entry (a quarter of a POST's time in the worker). The checks below
    accept only what the schema accepts and return what it would return; on
    anything else the schema runs and explains the problem. A test holds the
    two to the same answers over generated entries.
    """
    accepted = _fast_entry(data)
    return accepted if accepted is not None else _entry_schema.load(data)


def _fast_entry(data: dict) -> dict | None:
    if not (data.keys() <= _ENTRY_FIELDS and data.keys() >= _ENTRY_REQUIRED):
        return None
    key = data["cache_key"]
    if not (type(key) is str and 0 < len(key) <= MAX_KEY_LENGTH):
        return None
    if CONTROL_CHARACTERS.search(key):
        return None
    for name, limit in _ENTRY_TEXT_LIMITS.items():
        value = data[name]
        if not (type(value) is str and 0 < len(value) <= limit) or "\x00" in value:
            return None
    if not _is_identifier(data["simulation_id"]):
        return None
    loaded = dict(data)
    result_id = data.get("result_id")
    if result_id is not None and not _is_identifier(result_id):
        return None
    if "metadata" in data and data["metadata"] is not None:
        if type(data["metadata"]) is not dict:
            return None
        loaded["metadata"] = dict(data["metadata"])  # the schema returns a copy
    if "ttl_hours" in data and "ttl_seconds" in data:
        return None
    for name in ("ttl_hours", "ttl_seconds"):
        if name in data:
            value = data[name]
            if type(value) not in (int, float):
                return None
            try:
                number = float(value)
            except OverflowError:  # an integer past float's range
                return None
            if not 0 < number < math.inf:  # NaN fails this too
                return None
            loaded[name] = number
    return loaded


def _is_identifier(value) -> bool:
    return type(value) is int and 0 <= value <= MAX_ID


SELECTORS = ("simulation_id", "simulation_name", "simulation_version", "key_pattern")


class InvalidateSchema(Schema):
    """``POST /cache/invalidate``: selectors (all must match; at least one) and a reason.

    ``key_pattern`` is a glob over keys: ``*`` matches any run of characters
    (``/`` included), ``?`` one character; everything else is literal.
    """

    simulation_id = identifier()
    simulation_name = text(200)
    simulation_version = text(100)
    key_pattern = cache_key_field()
    reason = fields.String(validate=[validate.Length(max=1000), no_nul], allow_none=True)

    class Meta:
        at_least_one_of = SELECTORS

    @validates_schema
    def some_selector(self, data, **kwargs):
        """Refuse an invalidation that would select everything by omission."""
        if not any(data.get(name) is not None for name in SELECTORS):
            raise ValidationError(f"give at least one of {', '.join(SELECTORS)}")


class PurgeSchema(Schema):
    """``POST /cache/purge``: no options (an empty object or no body)."""


class KeyQuerySchema(Schema):
    """``GET|DELETE /cache?key=...``: the key as a query parameter, for any key."""

    key = cache_key_field(required=True)


class ListQuerySchema(Schema):
    """``GET /cache/entries``: filters and a page (``limit``, ``cursor``)."""

    simulation_id = fields.Integer(validate=validate.Range(min=0, max=MAX_ID))
    simulation_name = text(200)
    simulation_version = text(100)
    limit = limit_field(maximum=MAX_PAGE_SIZE)
    cursor = CursorField()


class InvalidationQuerySchema(Schema):
    """``GET /cache/invalidations``: an optional simulation and a page."""

    simulation_id = fields.Integer(validate=validate.Range(min=0, max=MAX_ID))
    limit = limit_field(maximum=MAX_PAGE_SIZE)
    cursor = CursorField()


class KeyPathSchema(Schema):
    """``/cache/{cache_key}``: keys equal to a fixed route (stats, entries, ...) or with
    empty, ``.`` or ``..`` segments are reached with ``?key=`` instead."""

    cache_key = cache_key_field(required=True)

    def load(self, data, **kwargs):
        """A well-formed key without marshmallow (every read passes here), else the schema."""
        key = data.get("cache_key") if type(data) is dict and len(data) == 1 else None
        well_formed = type(key) is str and 0 < len(key) <= MAX_KEY_LENGTH
        if well_formed and not kwargs and not CONTROL_CHARACTERS.search(key):
            return {"cache_key": key}
        return super().load(data, **kwargs)


class StatsQuerySchema(Schema):
    """``GET /cache/stats``: overall, or for one ``simulation_id``."""

    simulation_id = fields.Integer(validate=validate.Range(min=0, max=MAX_ID))


# Answers


class StoredEntrySchema(ResponseSchema):
    """A stored entry, as ``POST /cache`` and ``GET /cache/{key}`` answer it."""

    cache_key = fields.String(required=True)
    simulation_id = fields.Integer(required=True)
    simulation_name = fields.String(required=True)
    simulation_version = fields.String(required=True)
    execution_id = fields.String(required=True)
    squid_id = fields.String(required=True)
    input_hash = fields.String(required=True)
    run_db_path = fields.String(required=True)
    result_id = fields.Integer(allow_none=True)
    metadata = fields.Dict(allow_none=True)
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)


EntryPageSchema = page_schema(StoredEntrySchema, "EntryPage")


class InvalidationSchema(ResponseSchema):
    """One recorded invalidation."""

    invalidation_id = fields.Integer()
    invalidated = fields.Integer()
    invalidated_entries = fields.Integer()
    selector = fields.Dict()
    reason = fields.String(allow_none=True)
    invalidated_by = fields.String()
    role = fields.String()
    created_at = fields.DateTime()


InvalidationPageSchema = page_schema(InvalidationSchema, "InvalidationPage")


class StatsSchema(ResponseSchema):
    """Hits, misses and entries, overall or of one simulation."""

    simulation_id = fields.Integer(allow_none=True)
    hits = fields.Integer(validate=validate.Range(min=0))
    misses = fields.Integer(validate=validate.Range(min=0))
    lookups = fields.Integer(validate=validate.Range(min=0))
    hit_rate = fields.Float(validate=validate.Range(min=0, max=1))
    entries = fields.Integer(validate=validate.Range(min=0))
    expired_entries = fields.Integer(validate=validate.Range(min=0))
    stored_entries = fields.Integer(validate=validate.Range(min=0))
    invalidated_entries = fields.Integer(validate=validate.Range(min=0))
    invalidations = fields.Integer(validate=validate.Range(min=0))
    flush_interval_seconds = fields.Float()


class DeletedSchema(ResponseSchema):
    """A removed entry."""

    deleted = fields.Boolean(required=True)
    cache_key = fields.String(required=True)


class PurgedSchema(ResponseSchema):
    """How many entries a purge removed."""

    purged = fields.Integer(required=True, validate=validate.Range(min=0))
