"""Request and answer schemas (marshmallow; unknown request fields are rejected).

Query strings are validated too: ``SearchArgsSchema`` and friends load the
query string, so an unknown or malformed parameter is a 400, not ignored.
"""

import datetime
import re

import orjson
from marshmallow import INCLUDE
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
from sim2l_service_kit.text import WHITESPACE

from sim2l_catalog_service.catalog import STATUSES
from sim2l_catalog_service.executions import STATUSES as EXECUTION_STATUSES
from sim2l_catalog_service.models import MAX_ID
from sim2l_catalog_service.versions import VERSION_PATTERN
from sim2l_catalog_service.versions import is_valid_version

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_.\-]*$"
NAME_MESSAGE = "must start with a letter and hold only letters, digits, '_', '.' and '-'"
# A tag may hold spaces but no comma (tags travel comma-separated in URLs)
# and no control characters, and is not blank: one character at least is
# none of those nor whitespace (what str.strip() removes). The same expression
# in Python and in JSON Schema (ECMA-262).
_NOT_IN_TAG = ",\\x00-\\x1f\\x7f"
TAG_PATTERN = re.compile(f"^[^{_NOT_IN_TAG}]*[^{_NOT_IN_TAG}{WHITESPACE}][^{_NOT_IN_TAG}]*$")
TAG_MESSAGE = "a tag must be non-blank, without commas or control characters"
MAX_JSON_BYTES = 256 * 1024
# The largest page of a list: a larger ``limit`` is a 400 that names it.
MAX_PAGE = 100


def _check_version(value: str) -> None:
    if not is_valid_version(value):
        raise ValidationError(
            "must be a semantic version like 1.2.3 (pre-release and build allowed)"
        )


def _check_json_size(value) -> None:
    if len(orjson.dumps(value)) > MAX_JSON_BYTES:
        raise ValidationError(f"must encode to at most {MAX_JSON_BYTES} bytes of JSON")


class NameField(fields.String):
    """A simulation name."""

    def __init__(self, **kwargs):
        super().__init__(
            validate=[
                validate.Length(min=1, max=200),
                validate.Regexp(NAME_PATTERN, error=NAME_MESSAGE),
            ],
            **kwargs,
        )


def _tag() -> fields.String:
    return fields.String(
        validate=[validate.Length(min=1, max=64), validate.Regexp(TAG_PATTERN, error=TAG_MESSAGE)]
    )


def _tags_field(**kwargs):
    return fields.List(_tag(), validate=validate.Length(max=50), **kwargs)


class QueryTags(fields.List):
    """``?tags=a&tags=b`` or ``?tags=a,b``: tags that must all be held."""

    def __init__(self, **kwargs):
        super().__init__(_tag(), validate=validate.Length(max=50), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            value = [part for item in value for part in item.split(",") if part.strip()]
        return super()._deserialize(value, attr, data, **kwargs)


def _check_schema(value: dict) -> None:
    """``{"inputs": {name: {...}}, "outputs": {name: {...}}}``: parameters described by objects."""
    unknown = set(value) - {"inputs", "outputs"}
    if unknown:
        raise ValidationError(
            f"unknown schema section(s) {sorted(unknown)}; use 'inputs' and 'outputs'"
        )
    for section in ("inputs", "outputs"):
        parameters = value.get(section, {})
        if not isinstance(parameters, dict):
            raise ValidationError(f"'{section}' must map parameter names to objects")
        for name, description in parameters.items():
            if not name or len(name) > 200:
                raise ValidationError(f"'{section}' parameter names must be 1 to 200 characters")
            if not isinstance(description, dict):
                raise ValidationError(
                    f"'{section}.{name}' must be an object (type, units, default, ...)"
                )
            if "type" in description and not isinstance(description["type"], str):
                raise ValidationError(f"'{section}.{name}.type' must be a string")
            if "units" in description and not isinstance(description["units"], (str, type(None))):
                raise ValidationError(f"'{section}.{name}.units' must be a string")
    _check_json_size(value)


class ParameterDescription(Schema):
    """How the catalog describes a parameter: its ``type``, ``units`` and anything else."""

    class Meta:
        unknown = INCLUDE

    type = fields.String()
    units = fields.String(allow_none=True)


def _parameters() -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=200)),
        values=fields.Nested(ParameterDescription),
    )


class SimulationSchemaSections(Schema):
    """What ``_check_schema`` accepts (it documents the ``schema`` field)."""

    inputs = _parameters()
    outputs = _parameters()


class ContentFields(Schema):
    """The fields a registration and an update share."""

    description = fields.String(validate=validate.Length(max=10_000))
    tags = _tags_field()
    authors = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)), validate=validate.Length(max=50)
    )
    schema = fields.Dict(
        keys=fields.String(),
        validate=_check_schema,
        metadata={"documented_by": SimulationSchemaSections},
    )
    metadata = fields.Dict(keys=fields.String(), validate=_check_json_size)


class RegisterSchema(ContentFields):
    """``POST /simulations``."""

    name = NameField(required=True)
    version = fields.String(
        required=True,
        validate=[validate.Length(max=64), validate.Regexp(VERSION_PATTERN), _check_version],
    )


class UpdateSchema(ContentFields):
    """``PATCH /simulations/{name}/versions/{version}``: any content field, and status."""

    status = fields.String(validate=validate.OneOf(STATUSES))

    class Meta:
        min_properties = 1

    @validates_schema
    def not_empty(self, data, **kwargs):
        """An update must change something."""
        if not data:
            raise ValidationError("give at least one field to change")


class SearchArgsSchema(Schema):
    """``GET /simulations`` query string."""

    query = fields.String(
        validate=validate.Length(max=200),
        metadata={
            "description": "free text: every word must occur in the name, description or tags"
        },
    )
    tags = QueryTags()
    status = fields.String(validate=validate.OneOf(STATUSES))
    limit = limit_field(maximum=MAX_PAGE, default=20)
    cursor = CursorField()


class PageArgsSchema(Schema):
    """``limit`` and ``cursor`` of a listing."""

    limit = limit_field(maximum=MAX_PAGE, default=20)
    cursor = CursorField()


class OverviewArgsSchema(Schema):
    """``GET /overview`` query string."""

    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=366))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=MAX_PAGE))


class ExecutionSchema(Schema):
    """``POST /executions``."""

    simulation_id = StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_ID))
    execution_id = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=200), validate.Regexp(r"^[^\x00-\x1f\x7f]+$")],
    )
    status = fields.String(required=True, validate=validate.OneOf(EXECUTION_STATUSES))
    duration_seconds = StrictNumber(allow_none=True, validate=validate.Range(min=0, max=10**9))
    user = fields.String(allow_none=True, validate=validate.Length(min=1, max=200))
    started_at = fields.AwareDateTime(allow_none=True, default_timezone=datetime.UTC)
    metadata = fields.Dict(keys=fields.String(), validate=_check_json_size)


class NoArgs(Schema):
    """No query parameters (or no body fields): any one given is refused."""


class NamePath(Schema):
    """``/simulations/{name}``."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class VersionPath(NamePath):
    """``/simulations/{name}/versions/{version}``."""

    version = fields.String(required=True, validate=validate.Length(min=1, max=64))


class IdPath(Schema):
    """``/simulations/by-id/{simulation_id}`` (an id past any stored one is a 404)."""

    simulation_id = fields.Integer(required=True, validate=validate.Range(min=0))


class ExecutionPath(Schema):
    """``/executions/{execution_id}``."""

    execution_id = fields.String(required=True, validate=validate.Length(min=1, max=200))


# Answers


class SummarySchema(ResponseSchema):
    """A simulation version as a search or listing shows it."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    version = fields.String(required=True)
    description = fields.String(required=True)
    tags = fields.List(fields.String(), required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    created_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)


class SimulationSchema(SummarySchema):
    """A simulation version."""

    authors = fields.List(fields.String(), required=True)
    schema = fields.Dict(required=True)
    metadata = fields.Dict(required=True)
    registered_by = fields.String()
    updated_by = fields.String()


class RegisteredSchema(SimulationSchema):
    """A registration: ``created`` false when identical content was registered before."""

    created = fields.Boolean(required=True)


# A page of search results, best first; of a simulation's versions, newest first.
SearchPageSchema = page_schema(SummarySchema, "SearchPage")
VersionsPageSchema = page_schema(SummarySchema, "VersionsPage")


class ExecutionRecordSchema(ResponseSchema):
    """A recorded execution; ``duplicate`` true when it was recorded before."""

    id = fields.Integer(required=True)
    execution_id = fields.String(required=True)
    simulation_id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(EXECUTION_STATUSES))
    duration_seconds = fields.Float(allow_none=True)
    user = fields.String(allow_none=True)
    executed_at = fields.DateTime(allow_none=True)
    metadata = fields.Dict()
    recorded_by = fields.String()
    recorded_at = fields.DateTime(allow_none=True)
    duplicate = fields.Boolean()


class NameStatsSchema(ResponseSchema):
    """Execution statistics of every version of a simulation together."""

    name = fields.String(required=True)
    versions = fields.Integer(required=True)
    total_executions = fields.Integer(required=True)
    finished_executions = fields.Integer()
    successful_executions = fields.Integer()
    failed_executions = fields.Integer()
    success_rate = fields.Float(required=True, allow_none=True)
    mean_duration_seconds = fields.Float(allow_none=True)
    p95_duration_seconds = fields.Float(allow_none=True)
    min_duration_seconds = fields.Float(allow_none=True)
    max_duration_seconds = fields.Float(allow_none=True)
    last_run = fields.DateTime(allow_none=True)
    distinct_users = fields.Integer()


class StatsSchema(NameStatsSchema):
    """Execution statistics of one simulation version."""

    simulation_id = fields.Integer(required=True)
    name = fields.String()
    version = fields.String()
    versions = fields.Integer()


class CatalogCounts(ResponseSchema):
    """How many simulations and versions the catalog holds."""

    simulations = fields.Integer()
    versions = fields.Integer()
    active_versions = fields.Integer()
    deprecated_versions = fields.Integer()


class ToolUse(ResponseSchema):
    """How much one simulation was run."""

    name = fields.String()
    executions = fields.Integer()
    successful_executions = fields.Integer()
    distinct_users = fields.Integer()
    last_run = fields.DateTime(allow_none=True)


class DayCount(ResponseSchema):
    """Executions on one day."""

    day = fields.Date()
    executions = fields.Integer()
    successful_executions = fields.Integer()


class OverviewSchema(ResponseSchema):
    """Catalog totals, most used tools, executions per day."""

    catalog = fields.Nested(CatalogCounts, required=True)
    total_executions = fields.Integer(required=True)
    successful_executions = fields.Integer()
    distinct_users = fields.Integer()
    most_used = fields.List(fields.Nested(ToolUse), required=True)
    executions_per_day = fields.List(fields.Nested(DayCount), required=True)
    days = fields.Integer()
