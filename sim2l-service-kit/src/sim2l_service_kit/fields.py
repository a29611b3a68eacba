"""Marshmallow fields every service's request schemas share.

Numbers are strict in JSON bodies: ``"42"`` or ``true`` is not an id, and
``1.5`` is not an integer; a client that sends them has a bug to hear about.
"""

import math

from marshmallow import fields


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
