"""Request validation (marshmallow; unknown fields are rejected).

Query strings are validated too: ``SearchArgsSchema`` and friends load
``request.args`` so an unknown or malformed parameter is a 400, not ignored.
"""

import datetime
import re

import orjson
from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import validate
from marshmallow import validates_schema
from sim2l_service_kit.fields import StrictInteger
from sim2l_service_kit.fields import StrictNumber

from sim2l_catalog_service.catalog import STATUSES
from sim2l_catalog_service.executions import STATUSES as EXECUTION_STATUSES
from sim2l_catalog_service.versions import VERSION_PATTERN
from sim2l_catalog_service.versions import is_valid_version

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_.\-]*$"
NAME_MESSAGE = "must start with a letter and hold only letters, digits, '_', '.' and '-'"
# A tag may hold spaces but no comma (tags travel comma-separated in URLs)
# and no control characters.
TAG_PATTERN = re.compile(r"^[^,\x00-\x1f\x7f]+$")
MAX_JSON_BYTES = 256 * 1024
MAX_PAGE = 100
MAX_OFFSET = 1_000_000
MAX_ID = 2**31 - 1  # PostgreSQL SERIAL


def _check_version(value: str) -> None:
    if not is_valid_version(value):
        raise ValidationError(
            "must be a semantic version like 1.2.3 (pre-release and build allowed)"
        )


def _check_tag(value: str) -> None:
    if not value.strip() or not TAG_PATTERN.match(value):
        raise ValidationError("a tag must be non-blank, without commas or control characters")


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


def _tags_field(**kwargs):
    return fields.List(
        fields.String(validate=[validate.Length(min=1, max=64), _check_tag]),
        validate=validate.Length(max=50),
        **kwargs,
    )


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


_PARAMETERS_DOCUMENT = {
    "type": "object",
    "propertyNames": {"minLength": 1, "maxLength": 200},
    "additionalProperties": {
        "type": "object",
        "properties": {"type": {"type": "string"}, "units": {"type": ["string", "null"]}},
    },
}
# What _check_schema accepts, for the OpenAPI document.
_SCHEMA_DOCUMENT = {
    "properties": {"inputs": _PARAMETERS_DOCUMENT, "outputs": _PARAMETERS_DOCUMENT},
    "additionalProperties": False,
}


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
        metadata={"json_schema": _SCHEMA_DOCUMENT},
    )
    metadata = fields.Dict(keys=fields.String(), validate=_check_json_size)


class RegisterSchema(ContentFields):
    """``POST /simulations``."""

    name = NameField(required=True)
    version = fields.String(
        required=True,
        validate=_check_version,
        metadata={"json_schema": {"pattern": VERSION_PATTERN.pattern, "maxLength": 64}},
    )


class UpdateSchema(ContentFields):
    """``PATCH /simulations/{name}/versions/{version}``: any content field, and status."""

    status = fields.String(validate=validate.OneOf(STATUSES))

    @validates_schema
    def not_empty(self, data, **kwargs):
        """An update must change something."""
        if not data:
            raise ValidationError("give at least one field to change")


class SearchArgsSchema(Schema):
    """``GET /simulations`` query string."""

    query = fields.String(validate=validate.Length(max=200))
    tags = _tags_field()
    status = fields.String(validate=validate.OneOf(STATUSES))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET))


class PageArgsSchema(Schema):
    """``limit`` and ``offset`` of a listing."""

    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET))


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


def query_args(request, list_fields=("tags",)) -> dict:
    """``request.args`` as a dict; list fields may repeat or be comma-separated."""
    values = {}
    for key in request.args:
        items = request.args.getlist(key)
        if key in list_fields:
            values[key] = [part for item in items for part in item.split(",") if part.strip()]
        else:
            values[key] = items[-1]
    return values
