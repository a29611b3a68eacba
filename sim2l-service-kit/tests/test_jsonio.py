"""Request bodies: the nesting limit, at its boundary."""

import pytest
from flask import Flask
from flask import request
from sim2l_service_kit import APIError
from sim2l_service_kit import request_json
from sim2l_service_kit.jsonio import _depth


def nested(levels: int, leaf=1):
    """An object ``levels`` deep counting the leaf: nested(1) is the leaf itself."""
    value = leaf
    for index in range(levels - 1):
        value = {"k": value} if index % 2 else [value]
    return value


def reference_depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max((reference_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((reference_depth(v) for v in value), default=0)
    return 1


@pytest.mark.parametrize(
    "value",
    [1, {}, [], {"a": 1}, [1, [2, [3]]], {"a": [], "b": {"c": None}}, nested(10), nested(31)],
)
def test_depth_counts_every_level(value):
    assert _depth(value, 64) == reference_depth(value)


def test_depth_stops_counting_past_the_limit():
    assert _depth(nested(1000), 32) == 33


@pytest.mark.parametrize(("levels", "accepted"), [(32, True), (33, False)])
def test_request_json_refuses_bodies_past_the_limit(levels, accepted):
    app = Flask("jsonio")
    body = {"payload": nested(levels - 1)}  # the outer object is one more level
    with app.test_request_context("/", method="POST", json=body):
        if accepted:
            assert request_json(request) == body
        else:
            with pytest.raises(APIError, match="deeper than 32"):
                request_json(request)
