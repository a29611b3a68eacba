"""Typed value encoding: a value goes in as a kind tag plus JSON, a number and a blob.

Each stored value is four columns (see SCHEMA.md):

- ``value_kind``: ``null``, ``bool``, ``int``, ``float``, ``str``, ``bytes``,
  ``list``, ``dict`` or ``array`` (a numpy-like object with ``tolist()``);
- ``value_json``: the value as JSON text (NULL for ``bytes``); NaN and the
  infinities are written as ``NaN``/``Infinity`` as Python's json module does;
- ``value_number``: the value as a REAL for ``bool``, ``int`` and ``float``,
  so SQL can compare numerically (NULL otherwise, and for NaN);
- ``value_blob``: the raw bytes for ``bytes`` (NULL otherwise).

Decoding gives back the same Python type: tuples come back as lists, arrays
as (nested) lists, and dictionary keys as strings (JSON has no other keys).
"""

import json
import math

KINDS = ("null", "bool", "int", "float", "str", "bytes", "list", "dict", "array")


class UnsupportedValueError(TypeError):
    """A value that has no faithful encoding (say, an arbitrary object)."""


def _to_json_compatible(value):
    """``default=`` hook of json.dumps: numpy-like scalars and arrays become plain values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise UnsupportedValueError("bytes nested inside a list or dict cannot be stored")
    raise UnsupportedValueError(f"cannot store a value of type {type(value).__name__}")


def _dumps(value) -> str:
    return json.dumps(value, default=_to_json_compatible, separators=(",", ":"))


def encode_value(value) -> tuple:
    """``(value_kind, value_json, value_number, value_blob)`` for ``value``."""
    # Checked in order of frequency; bool before int because bool is an int.
    kind = type(value)
    if kind is float:
        return ("float", repr(value) if math.isfinite(value) else _dumps(value), value, None)
    if kind is int:
        return ("int", str(value), float(value) if abs(value) < 2**1023 else None, None)
    if kind is str:
        return ("str", _dumps(value), None, None)
    if kind is bool:
        return ("bool", "true" if value else "false", 1.0 if value else 0.0, None)
    if value is None:
        return ("null", "null", None, None)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return ("bytes", None, None, bytes(value))
    if isinstance(value, dict):
        return ("dict", _dumps(value), None, None)
    if isinstance(value, (list, tuple)):
        return ("list", _dumps(value), None, None)
    if hasattr(value, "tolist"):
        plain = value.tolist()
        if isinstance(plain, list):
            return ("array", _dumps(plain), None, None)
        # A zero-dimensional array or a numpy scalar: store the plain scalar.
        return encode_value(plain)
    if isinstance(value, bool | int | float | str):  # subclasses, e.g. IntEnum
        for base in (bool, int, float, str):
            if isinstance(value, base):
                return encode_value(base(value))
    raise UnsupportedValueError(f"cannot store a value of type {kind.__name__}")


def decode_value(kind: str, value_json, value_blob=None):
    """The Python value of a stored ``(value_kind, value_json, value_blob)``."""
    if kind == "bytes":
        return bytes(value_blob) if value_blob is not None else b""
    if kind == "null":
        return None
    if kind == "int":
        return int(value_json)
    if kind == "float":
        return float(json.loads(value_json))
    if kind == "bool":
        return value_json == "true"
    if kind in KINDS:
        return json.loads(value_json)
    raise ValueError(f"unknown stored value kind {kind!r}")
