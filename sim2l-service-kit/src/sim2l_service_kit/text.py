"""One rule for every text a service receives: UTF-8, no NUL, no lone surrogate.

PostgreSQL refuses a NUL in a text value (a 500 before this rule) and SQLite
truncates or chokes on it; a lone surrogate cannot be encoded at all. So the
path, the query, the JSON body, form fields, the session headers and (through
``find_bad_text``) every string inside an uploaded run file are checked here
once, and a violation is a 400 ``validation_error`` naming the field.

``check_request_text`` runs before every view; ``TextCheckedRequest`` checks
multipart form fields when a view parses them (after the view has set its own
upload limit). ``text_rule_properties`` writes the rule into the OpenAPI
document (an apispec attribute function): a ``pattern`` on every free-text
string of a request.
"""

import json
import urllib.parse

from flask import Request
from flask import request
from marshmallow import INCLUDE
from marshmallow import fields

from sim2l_service_kit.errors import APIError
from sim2l_service_kit.schemas import ResponseSchema

# ECMA-262 (JSON Schema) regular expression of a string without NUL.
TEXT_PATTERN = "^[^\\u0000]*$"
# Every character str.strip() removes, as the body of a character class that
# Python and ECMA-262 (JSON Schema) read alike: "not blank" in both.
WHITESPACE = "".join(f"\\u{code:04x}" for code in range(0x10000) if chr(code).isspace())
CHECKED_HEADERS = ("X-Session-ID", "Authorization")
_FORM_TYPES = ("application/x-www-form-urlencoded",)


def text_problem(value: str) -> str | None:
    """Why ``value`` breaks the text rule, or None when it keeps it."""
    if "\x00" in value:
        return "must not contain a NUL character (U+0000)"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "must not contain a lone surrogate (U+D800 to U+DFFF)"
    return None


def find_bad_text(value, path: str = "") -> tuple[str, str] | None:
    """``(field path, problem)`` of the first string (or key) in ``value`` breaking the rule."""
    if isinstance(value, str):
        problem = text_problem(value)
        return (path or "value", problem) if problem else None
    if isinstance(value, dict):
        for key, child in value.items():
            child_path = f"{path}.{key}" if path else str(key)
            if isinstance(key, str):
                problem = text_problem(key)
                if problem:
                    return (
                        _printable(child_path),
                        f"has a key that {problem}",
                    )
            found = find_bad_text(child, child_path)
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for index, child in enumerate(value):
            found = find_bad_text(child, f"{path}[{index}]")
            if found:
                return found
    return None


def _printable(text: str) -> str:
    # A field name that itself holds the bad character is echoed escaped.
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _refuse(field: str, problem: str):
    field = _printable(field)
    raise APIError(400, "validation_error", f"{field} {problem}", {field: [problem]})


def _decode(raw: bytes, field: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        _refuse(field, f"is not valid UTF-8 (byte {error.start})")
    problem = text_problem(text)
    if problem:
        _refuse(field, problem)
    return text


def _raw_path() -> bytes:
    # The request line as sent (gunicorn's RAW_URI, Werkzeug's REQUEST_URI):
    # PATH_INFO may already hold invalid UTF-8 replaced by U+FFFD.
    environ = request.environ
    uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if uri:
        path = urllib.parse.urlsplit(uri).path if "://" in uri else uri.partition("?")[0]
        return urllib.parse.unquote_to_bytes(path.encode("latin-1", "replace"))
    return environ.get("PATH_INFO", "").encode("latin-1", "replace")


def _check_path() -> None:
    raw = _raw_path()
    if raw.isascii() and b"\x00" not in raw:
        return
    try:
        _decode(raw, "path")
    except APIError as error:
        # Name the path parameter when the route matched one (Werkzeug has
        # decoded it, invalid UTF-8 as U+FFFD).
        for name, value in (request.view_args or {}).items():
            if isinstance(value, str) and ("\x00" in value or "\ufffd" in value):
                _refuse(name, error.details["path"][0])
        raise


def _check_query_string(raw: bytes, where: str) -> None:
    if raw.isascii() and b"%" not in raw and b"\x00" not in raw:
        return
    # urllib.parse.parse_qsl decodes with errors="replace"; keep the raw bytes.
    for pair in raw.split(b"&"):
        name, _, value = pair.partition(b"=")
        field = _decode(_unquote(name), f"{where} parameter name")
        _decode(_unquote(value), field)


def _unquote(raw: bytes) -> bytes:
    return urllib.parse.unquote_to_bytes(raw.replace(b"+", b" "))


def _check_json_body() -> None:
    data = request.get_data(cache=True)
    if not data:
        return
    if not data.isascii():
        _decode_body(data)
    # In valid JSON a NUL or a surrogate can only arrive as a \u escape.
    if b"\\u" not in data:
        return
    try:
        value = json.loads(data)
        found = find_bad_text(value)
    except (ValueError, RecursionError):
        return  # not JSON, or nested past any limit: the view's parser answers that
    if found:
        _refuse(*found)


def _decode_body(data: bytes) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        _refuse("body", f"is not valid UTF-8 (byte {error.start})")


def check_request_text() -> None:
    """Refuse the request (400) when any text it carries breaks the rule."""
    _check_path()
    _check_query_string(
        request.environ.get("QUERY_STRING", "").encode("latin-1", "replace"), "query"
    )
    for header in CHECKED_HEADERS:
        value = request.headers.get(header)
        if value is not None:
            _decode(value.encode("latin-1", "replace"), header)
    mimetype = request.mimetype
    if request.is_json:
        _check_json_body()
    elif mimetype in _FORM_TYPES:
        _check_query_string(request.get_data(cache=True), "form")


class TextCheckedRequest(Request):
    """Flask's request, whose parsed form fields are held to the text rule.

    Werkzeug decodes a multipart field with ``errors="replace"``, so invalid
    UTF-8 arrives as U+FFFD: a form field holding U+FFFD is refused too.
    """

    def _load_form_data(self) -> None:
        super()._load_form_data()
        for name, value in self.form.items(multi=True):
            problem = text_problem(name) or text_problem(value)
            if problem is None and "\ufffd" in name + value:
                problem = "is not valid UTF-8 (or holds U+FFFD)"
            if problem:
                _refuse(name, problem)


def text_rule_properties(self, field, ret=None, **kwargs) -> dict:
    """apispec attribute function: the text rule in the JSON Schema of a request's field.

    A free-text string gets ``pattern: ^[^\\u0000]*$``; a free-form object
    gets its key field's schema (the rule included) as ``propertyNames`` and,
    when its values are free too, a JSON value whose strings and keys keep
    the rule, to a depth of ``FREE_FORM_DEPTH`` (deeper values are accepted
    but not described); so do the keys a nested schema takes unnamed
    (``unknown = INCLUDE``). Answers (``ResponseSchema``) are left as they are.
    """
    if not _in_request(field):
        return {}
    declared = ret.get("type")
    kinds = declared if isinstance(declared, list) else [declared]
    if "string" in kinds and not {"pattern", "format", "enum", "const"} & ret.keys():
        return {"pattern": TEXT_PATTERN}
    if isinstance(field, fields.Nested) and field.schema.unknown == INCLUDE:
        # The keys a nested schema does not name are free-form JSON values.
        return {
            "propertyNames": {"pattern": TEXT_PATTERN},
            "additionalProperties": _json_value(FREE_FORM_DEPTH),
        }
    if isinstance(field, fields.Dict):
        names = {"pattern": TEXT_PATTERN}
        if field.key_field is not None:
            names = {k: v for k, v in self.field2property(field.key_field).items() if k != "type"}
        found = {"propertyNames": names}
        if "properties" in ret:  # described by a declaration (``documented_by``)
            return {}
        if not ret.get("additionalProperties", {}):
            found["additionalProperties"] = _json_value(FREE_FORM_DEPTH)
        return found
    return {}


def _in_request(field) -> bool:
    # A field bound (through lists, dicts and unions) to a schema that is not an answer.
    node = field
    while isinstance(node, fields.Field):
        node = node.parent
    return node is not None and not isinstance(node, ResponseSchema)


FREE_FORM_DEPTH = 2


def _json_value(depth: int) -> dict:
    """A JSON value whose strings and keys keep the text rule, nested ``depth`` levels."""
    choices = [{"type": "string", "pattern": TEXT_PATTERN}, {"type": ["number", "boolean", "null"]}]
    if depth > 0:
        inner = _json_value(depth - 1)
        choices += [
            {"type": "array", "items": inner},
            {
                "type": "object",
                "propertyNames": {"pattern": TEXT_PATTERN},
                "additionalProperties": inner,
            },
        ]
    return {"anyOf": choices}
