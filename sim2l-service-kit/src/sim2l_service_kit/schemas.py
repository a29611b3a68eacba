"""Schemas every service shares: the answers' base class and the error shape."""

from marshmallow import INCLUDE
from marshmallow import Schema
from marshmallow import fields
from marshmallow import validate


class ResponseSchema(Schema):
    """What a service answers: documents a response body (the view builds the body itself).

    Keys the schema does not name may appear too (``additionalProperties``),
    and the text rule, which is about what a service hears, is not written
    into answers.
    """

    class Meta:
        unknown = INCLUDE


class ErrorBody(ResponseSchema):
    """``code`` says what went wrong to a program, ``message`` to a person."""

    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Dict()


class ErrorSchema(ResponseSchema):
    """Every error a service answers: ``{"error": {"code", "message", "details"}}``."""

    error = fields.Nested(ErrorBody, required=True)


class HealthSchema(ResponseSchema):
    """``GET /health``."""

    status = fields.String(required=True, validate=validate.OneOf(["ok"]))
    service = fields.String(required=True)
    version = fields.String(required=True)


class ReadySchema(ResponseSchema):
    """``GET /ready``: ready, or unavailable and why."""

    status = fields.String(required=True, validate=validate.OneOf(["ready", "unavailable"]))
    service = fields.String()
    version = fields.String()
    reason = fields.String()


class OpenAPIDocumentSchema(ResponseSchema):
    """``GET /openapi.json``: an OpenAPI 3.1 document."""

    openapi = fields.String(required=True)
    info = fields.Dict(required=True)
    paths = fields.Dict(required=True)
