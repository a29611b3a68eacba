"""The HTTP API of a service, declared once: flask-smorest loads requests and writes the document.

A view says what it takes and what it answers, and the same marshmallow
schemas validate the request and describe it in ``/openapi.json``::

    @blueprint.get("/things/<name>")
    @require_privilege("read_things")
    @blueprint.arguments(ThingPath, location="path")
    @blueprint.response(200, ThingSchema)
    @blueprint.errors(404)
    def get_thing(path, name): ...

- ``arguments`` loads and validates (``json``, ``query``, ``path``); a
  failure is the kit's 400 ``validation_error`` with the fields' messages as
  details, never webargs' 422 (the schema's ``ValidationError`` reaches the
  kit's handler). A JSON body is read by the kit's ``request_json`` (orjson,
  an object, a depth limit) as before.
- ``response`` documents the answer; the view returns a ready ``Response``
  (the hot paths pass stored JSON through untouched).
- ``errors`` documents the error statuses a view answers on purpose; every
  operation also documents 400 (the text rule refuses any request), and,
  unless it is public, 401 and 403 and its privilege (from
  ``require_privilege``); one that takes a body documents 413.

A custom field or validator that the usual JSON Schema keywords cannot
describe has an ``openapi_properties(converter, ret)`` method (see
``fields.py``); a field's ``metadata={"documented_by": SchemaOrField}`` has
another declaration describe it; the text rule is written into every request
string and free-form object (``text.py``). Schemas are written inline, not as
``$ref``: each operation reads whole.
"""

import copy
import decimal
import functools
import http

import flask_smorest
import marshmallow
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import request
from flask_smorest.spec.plugins import FlaskPlugin
from flask_smorest.utils import resolve_schema_instance
from webargs.flaskparser import FlaskParser

from sim2l_service_kit.auth import PUBLIC
from sim2l_service_kit.jsonio import request_json
from sim2l_service_kit.schemas import ErrorSchema
from sim2l_service_kit.text import text_rule_properties

OPENAPI_VERSION = "3.1.0"
# Marks the operations after which the caller's token no longer works.
ENDS_CALLER_SESSION = "x-sim2l-ends-caller-session"
SESSION_SECURITY = [{"sessionHeader": []}, {"bearer": []}]
OPTIONAL_JSON = "optional_json"
TEXT_RULE_REFUSAL = "the request is not valid (bad text anywhere in a request is refused)"
# gunicorn reads a request line (method, path and query) of at most
# limit_request_line bytes (4094) and refuses a longer one itself; the
# parameters' own limits allow longer ones (50 tags of 64 characters, each
# character up to 12 bytes percent-encoded), so every operation may answer it.
URI_TOO_LONG = "the request line (path and query string) is longer than the server reads"


class RequestParser(FlaskParser):
    """webargs' Flask parser, for its loaders: where each location's data comes from.

    A JSON body goes through ``request_json``; an optional body
    (``arguments(..., required=False)``) may be empty. The schema loading that
    data raises marshmallow's ``ValidationError`` (unknown fields included),
    which the kit's error handler answers: a 400, documented as such.
    """

    DEFAULT_VALIDATION_STATUS = 400
    __location_map__ = {**FlaskParser.__location_map__, OPTIONAL_JSON: "load_optional_json"}

    def load_json(self, req, schema):
        """The body as a JSON object (a 400 ``invalid_json`` otherwise)."""
        return request_json(req)

    def load_querystring(self, req, schema):
        """The query string; an integer written as JSON Schema allows (``2.0``, ``1e3``) is one."""
        values = super().load_querystring(req, schema)
        integers = {
            field.data_key or name
            for name, field in schema.fields.items()
            if isinstance(field, marshmallow.fields.Integer) and (field.data_key or name) in values
        }
        if not integers:
            return values
        return {key: _integral(values[key]) if key in integers else values[key] for key in values}

    def load_optional_json(self, req, schema):
        """The body as a JSON object; no body at all is an empty one."""
        return request_json(req) if req.get_data(cache=True) else {}


def _integral(text):
    """``"2.0"`` as ``"2"``, ``"1e3"`` as ``"1000"``; anything else as it is (the field judges)."""
    if not isinstance(text, str) or text.isdigit():
        return text
    try:
        number = decimal.Decimal(text)
    except decimal.InvalidOperation:
        return text
    if number.is_finite() and number == number.to_integral_value() and abs(number) < 10**30:
        return str(int(number))
    return text


class ServiceBlueprint(flask_smorest.Blueprint):
    """flask-smorest's blueprint with the kit's parser and the kit's rules for the document."""

    ARGUMENTS_PARSER = RequestParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        OPTIONAL_JSON: "application/json",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_service_doc)

    def arguments(self, schema, *, location="json", required=True, **kwargs):
        """flask-smorest's ``arguments``, lean at run time; an optional JSON body may be absent.

        flask-smorest writes the documentation; the view is wrapped once, to
        load the location's data (the parser's loader) with ``schema`` and
        pass the result on, instead of flask-smorest's and webargs' wrappers
        (about 0.1 ms a request: the hot paths feel it).
        """
        # An instance: its fields are bound, so the text rule knows a request's from an answer's.
        schema = resolve_schema_instance(schema)
        if location == "json" and not required:
            location = OPTIONAL_JSON
        document = super().arguments(schema, location=location, required=required, **kwargs)
        load = self.ARGUMENTS_PARSER._get_loader(location)

        def decorator(view):
            @functools.wraps(view)
            def wrapper(*args, **kwargs):
                data = load(request, schema)
                values = schema.load({} if data is marshmallow.missing else data)
                return view(*args, values, **kwargs)

            wrapper._apidoc = document(view)._apidoc
            return wrapper

        return decorator

    def response(self, status_code, schema=None, **kwargs):
        """flask-smorest's ``response``, documentation only: the views build their answers."""
        document = super().response(status_code, schema, **kwargs)

        def decorator(view):
            view._apidoc = document(view)._apidoc
            return view

        return decorator

    def errors(self, *statuses: int, **descriptions: str):
        """Document the error statuses the view answers on purpose (``not_found="..."``: 404)."""
        chosen = {status: http.HTTPStatus(status).phrase for status in statuses}
        for name, description in descriptions.items():
            chosen[http.HTTPStatus[name.upper()].value] = description
        return self._add_doc("errors", chosen)

    def body(self, content: dict, *, required: bool = True):
        """Document a request body the view reads itself (a file upload streamed to disk).

        ``content`` maps a content type to a Schema or a Field describing it.
        """
        return self._add_doc("body", {"required": required, "content": content})

    def extension(self, name: str, value):
        """An ``x-`` entry of the operation (``ENDS_CALLER_SESSION``)."""
        return self._add_doc("extensions", {name: value})

    @staticmethod
    def _add_doc(key: str, value: dict):
        def decorator(view):
            view._apidoc = copy.deepcopy(getattr(view, "_apidoc", {}))
            view._apidoc.setdefault(key, {}).update(value)
            return view

        return decorator

    def _store_endpoint_docs(self, endpoint, obj, parameters, tags, **options):
        super()._store_endpoint_docs(endpoint, obj, parameters, tags, **options)
        privilege = getattr(obj, "required_privilege", None)
        for method, doc in self._docs[endpoint].items():
            if method != "parameters":
                doc["privilege"] = privilege

    @staticmethod
    def _prepare_service_doc(doc, doc_info, *, api, spec, **kwargs):
        converter = api.ma_plugin.converter
        body = doc_info.get("body")
        if body:
            doc["requestBody"] = {
                "required": body["required"],
                "content": {
                    kind: {"schema": _as_schema(converter, schema)}
                    for kind, schema in body["content"].items()
                },
            }
        for media in doc.get("requestBody", {}).get("content", {}).values():
            media["schema"] = _as_schema(converter, media.get("schema"))
        # Our error responses replace flask-smorest's references to its own.
        responses = {
            str(status): response
            for status, response in doc.get("responses", {}).items()
            if not isinstance(response, str)
        }
        for response in responses.values():
            for media in response.get("content", {}).values():
                media["schema"] = _as_schema(converter, media.get("schema"))
        errors = {400: TEXT_RULE_REFUSAL, 414: URI_TOO_LONG}
        privilege = doc_info.get("privilege")
        if privilege == PUBLIC:
            doc["security"] = []
        else:
            doc["security"] = SESSION_SECURITY
            doc["x-sim2l-privilege"] = privilege
            errors[401] = "no valid session"
            errors[403] = f"the session lacks the {privilege!r} privilege"
        if "requestBody" in doc:
            errors[413] = "the request body is too large"
        errors.update(doc_info.get("errors", {}))
        for status, description in errors.items():
            responses.setdefault(
                str(status),
                {
                    "description": description,
                    "content": {"application/json": {"schema": ErrorSchema()}},
                },
            )
        doc["responses"] = responses
        doc.update(doc_info.get("extensions", {}))
        return doc


def _as_schema(converter, schema):
    """The JSON Schema of a Field or Schema, with what a Schema's ``Meta`` adds.

    The rules a ``validates_schema`` method enforces across fields, declared
    beside it: ``Meta.one_of`` the forms the body takes (``oneOf`` them);
    ``Meta.min_properties`` how many fields must be given at least;
    ``Meta.at_least_one_of`` fields of which one must be given;
    ``Meta.not_together`` fields that must not all be given;
    ``Meta.needs`` ``{field: other}``: given ``field``, ``other`` is given too (not null).
    """
    if isinstance(schema, marshmallow.fields.Field):
        return converter.field2property(schema)
    if not isinstance(schema, marshmallow.Schema | type):
        return schema
    meta = getattr(schema, "Meta", None)
    forms = getattr(meta, "one_of", None)
    if forms:
        return {"oneOf": [converter.resolve_nested_schema(form) for form in forms]}
    result = dict(converter.resolve_nested_schema(schema))
    if getattr(meta, "min_properties", None):
        result["minProperties"] = meta.min_properties
    if getattr(meta, "at_least_one_of", None):
        result["anyOf"] = [{"required": [name]} for name in meta.at_least_one_of]
    if getattr(meta, "not_together", None):
        result["not"] = {"required": list(meta.not_together)}
    if getattr(meta, "needs", None):
        result["dependentSchemas"] = {
            field: {"required": [needed], "properties": {needed: {"not": {"type": "null"}}}}
            for field, needed in meta.needs.items()
        }
    return result


def documented_by_declaration(self, field, ret=None, **kwargs) -> dict:
    """apispec attribute function: what a field's or validator's own declaration adds.

    - ``openapi_properties(converter, ret)`` of the field and of its validators;
    - ``metadata={"documented_by": SchemaOrField}``: that declaration's JSON Schema;
    - a nested schema's ``Meta.min_properties``;
    - the exclusive bounds of a ``Range`` (apispec writes them inclusive).
    """
    found = {}
    documented_by = field.metadata.get("documented_by")
    if documented_by is not None:
        if isinstance(documented_by, marshmallow.fields.Field):
            documented_by = copy.deepcopy(documented_by)
            documented_by._bind_to_schema(field.name, field)  # a request's, or an answer's
            found.update(self.field2property(documented_by))
        else:
            found.update(self.resolve_nested_schema(documented_by))
        ret.clear()  # the declaration describes the field alone
    if isinstance(field, marshmallow.fields.Nested):
        minimum = getattr(getattr(field.schema, "Meta", None), "min_properties", None)
        if minimum:
            found["minProperties"] = minimum
    for source in (field, *field.validators):
        describe = getattr(source, "openapi_properties", None)
        if describe is not None:
            found.update(describe(self, ret))
        # apispec writes every Range bound as inclusive.
        if isinstance(source, marshmallow.validate.Range):
            for bound, exclusive in (("min", "exclusiveMinimum"), ("max", "exclusiveMaximum")):
                inclusive_name = "minimum" if bound == "min" else "maximum"
                if getattr(source, bound) is not None and not getattr(source, f"{bound}_inclusive"):
                    ret.pop(inclusive_name, None)
                    found[exclusive] = getattr(source, bound)
    return found


class PathsFromRules(FlaskPlugin):
    """Paths from the Flask rules; each operation states its path parameters itself.

    A view's path schema (``arguments(..., location="path")``) documents them
    with the limits it enforces, in the operation; the converter's bare
    ``{"type": "string"}`` is not repeated beside it for the whole path.
    """

    def path_helper(self, rule, operations, parameters, **kwargs):
        """The OpenAPI path of ``rule``."""
        return self.flaskpath2openapi(rule.rule)


class ServiceApi(flask_smorest.Api):
    """flask-smorest's Api whose errors the kit's error handlers answer, in the kit's shape."""

    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        """None: ``errors.register_error_handlers`` answers every error."""


def create_api(app, title: str, version: str) -> ServiceApi:
    """The app's Api: OpenAPI 3.1, schemas inline, the kit's field rules, session security."""
    app.config.update(API_TITLE=title, API_VERSION=version, OPENAPI_VERSION=OPENAPI_VERSION)
    plugin = MarshmallowPlugin(schema_name_resolver=lambda schema: None)
    api = ServiceApi(
        app, spec_kwargs={"marshmallow_plugin": plugin, "flask_plugin": PathsFromRules()}
    )
    plugin.converter.add_attribute_function(documented_by_declaration)
    plugin.converter.add_attribute_function(text_rule_properties)
    api.spec.components.security_scheme(
        "sessionHeader", {"type": "apiKey", "in": "header", "name": "X-Session-ID"}
    )
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    return api
