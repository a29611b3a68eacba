"""Marshmallow fields and validators every service's schemas share.

Numbers are strict in JSON bodies: ``"42"`` or ``true`` is not an id, and
``1.5`` is not an integer; a client that sends them has a bug to hear about.

What a field or validator accepts is also what the OpenAPI document says: a
field or validator here that JSON Schema's usual keywords cannot describe
from marshmallow's built-in validators has an ``openapi_properties(converter,
ret)`` method, which the kit's one apispec attribute function
(``sim2l_service_kit.api``) asks.
"""

import math

from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import validate


class StrictInteger(fields.Integer):
    """An integer that must arrive as a JSON integer (not a string or boolean).

    A number with no fraction (``3.0``) is an integer, as JSON Schema has it.
    """

    def _validated(self, value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return super()._validated(value)


class StrictNumber(fields.Float):
    """A finite number that must arrive as a JSON number (not a string or boolean)."""

    def _validated(self, value):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.make_error("special")
        return super()._validated(value)


class AnyOf(fields.Field):
    """A value that one of ``alternatives`` (fields) loads; documented as ``anyOf`` them.

    The first alternative that loads the value gives the result; ``None`` is
    accepted when ``allow_none`` is set.
    """

    def __init__(self, *alternatives: fields.Field, **kwargs):
        super().__init__(**kwargs)
        self.alternatives = alternatives

    def _bind_to_schema(self, field_name, parent):
        super()._bind_to_schema(field_name, parent)
        for alternative in self.alternatives:
            alternative._bind_to_schema(field_name, self)

    def _deserialize(self, value, attr, data, **kwargs):
        messages = []
        for alternative in self.alternatives:
            try:
                return alternative.deserialize(value, attr, data, **kwargs)
            except ValidationError as error:
                messages.append(error.messages)
        raise ValidationError(messages[0] if len(messages) == 1 else "matches no allowed form")

    def _serialize(self, value, attr, obj, **kwargs):
        return value

    def openapi_properties(self, converter, ret: dict) -> dict:
        """``anyOf`` the alternatives (``null`` too when it is allowed)."""
        choices = [converter.field2property(alternative) for alternative in self.alternatives]
        if self.allow_none:
            choices.append({"type": "null"})
        ret.pop("type", None)  # set to ["null"] by apispec's nullable rule
        return {"anyOf": choices}


class MaxUtf8Bytes(validate.Validator):
    """At most ``limit`` bytes once encoded as UTF-8 (bcrypt's limit on a password, say).

    JSON Schema counts characters, not bytes, so the document states the
    limit as "``limit`` ASCII characters, or ``limit // 4`` of any kind" (a
    character is at most four bytes): every value it describes is accepted.
    """

    def __init__(self, limit: int, what: str = "value"):
        self.limit = limit
        self.what = what

    def __call__(self, value: str) -> str:
        size = len(value.encode("utf-8", "surrogatepass"))
        if size > self.limit:
            raise ValidationError(
                f"{self.what} is {size} bytes long; at most {self.limit} are accepted"
            )
        return value

    def openapi_properties(self, converter, ret: dict) -> dict:
        """The byte limit as character limits JSON Schema can check."""
        return {
            "description": f"at most {self.limit} bytes of UTF-8",
            "anyOf": [
                {"maxLength": self.limit, "pattern": "^[\\u0001-\\u007f]*$"},
                {"maxLength": self.limit // 4},
            ],
        }
