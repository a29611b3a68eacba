"""Typed value encoding round trips."""

import math

import pytest
from sim2l.rundb.values import UnsupportedValueError
from sim2l.rundb.values import decode_value
from sim2l.rundb.values import encode_value


class FakeArray:
    """A numpy-like array: tolist() gives nested lists."""

    def __init__(self, data):
        self.data = data

    def tolist(self):
        return self.data


ROUND_TRIPS = [
    (0, "int"),
    (-7, "int"),
    (2**70, "int"),
    (1.5e8, "float"),
    (-0.1, "float"),
    (True, "bool"),
    (False, "bool"),
    ("kelvin", "str"),
    ("", "str"),
    ("ünïcode ✓", "str"),
    (b"\x00\xffbinary", "bytes"),
    (b"", "bytes"),
    (None, "null"),
    ([1, 2.5, "x", None, [True]], "list"),
    ({"a": 1, "b": {"c": [1, 2]}}, "dict"),
    ({}, "dict"),
    ([], "list"),
]


@pytest.mark.parametrize(("value", "kind"), ROUND_TRIPS)
def test_round_trip_keeps_value_and_type(value, kind):
    stored_kind, value_json, number, blob = encode_value(value)
    assert stored_kind == kind
    back = decode_value(stored_kind, value_json, blob)
    assert back == value
    assert type(back) is type(value)
    if kind in ("int", "float", "bool"):
        assert number == float(value)
    else:
        assert number is None


def test_tuple_comes_back_as_list():
    kind, value_json, _, blob = encode_value((1, 2))
    assert decode_value(kind, value_json, blob) == [1, 2]


def test_array_like_comes_back_as_list():
    kind, value_json, _, blob = encode_value(FakeArray([[1.0, 2.0], [3.0, 4.0]]))
    assert kind == "array"
    assert decode_value(kind, value_json, blob) == [[1.0, 2.0], [3.0, 4.0]]


def test_array_like_nested_in_a_dict():
    kind, value_json, _, blob = encode_value({"field": FakeArray([1, 2])})
    assert decode_value(kind, value_json, blob) == {"field": [1, 2]}


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_floats(value):
    kind, value_json, number, blob = encode_value(value)
    back = decode_value(kind, value_json, blob)
    assert kind == "float"
    assert (math.isnan(back) and math.isnan(value)) or back == value


@pytest.mark.parametrize("value", [object(), {"x": object()}, [b"nested bytes"], {1, 2}.__iter__()])
def test_unsupported_values_are_refused(value):
    with pytest.raises(UnsupportedValueError):
        encode_value(value)
