"""Path parameters that never shadow a literal route beside them."""

import pytest
from flask import Flask
from sim2l_service_kit.routing import path_converter_excluding
from sim2l_service_kit.routing import string_converter_excluding


@pytest.mark.parametrize(
    ("converter", "rule"),
    [
        (path_converter_excluding, "/items/<key:name>"),
        (string_converter_excluding, "/items/<key:name>"),
    ],
)
def test_a_literal_sibling_owns_its_url_for_every_method(converter, rule):
    app = Flask(__name__)
    app.url_map.converters["key"] = converter("stats", "search")
    app.add_url_rule(rule, "item", lambda name: name, methods=["GET", "DELETE"])
    app.add_url_rule("/items/stats", "stats", lambda: "stats", methods=["GET"])
    app.add_url_rule("/items/search", "search", lambda: "search", methods=["POST"])
    routes = app.url_map.bind("")
    assert set(routes.allowed_methods("/items/stats")) == {"GET", "HEAD", "OPTIONS"}
    assert set(routes.allowed_methods("/items/search")) == {"POST", "OPTIONS"}
    assert set(routes.allowed_methods("/items/statsx")) == {"GET", "HEAD", "DELETE", "OPTIONS"}
    assert set(routes.allowed_methods("/items/xstats")) == {"GET", "HEAD", "DELETE", "OPTIONS"}
