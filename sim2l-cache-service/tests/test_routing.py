"""Literal routes own their URLs: /cache/stats is never the entry named "stats"."""

import pytest
import requests
from entries import entry
from sim2l_cache_service.views import LITERAL_CACHE_ROUTES


@pytest.mark.parametrize("name", LITERAL_CACHE_ROUTES)
def test_a_literal_route_is_not_a_cache_key_for_any_method(url, tokens, name):
    headers = {"X-Session-ID": tokens["admin"]}
    stored = requests.post(url + "/cache", json=entry(cache_key=name), headers=headers, timeout=10)
    assert stored.status_code in (200, 201), stored.text
    options = requests.options(f"{url}/cache/{name}", headers=headers, timeout=10)
    documented = requests.get(url + "/openapi.json", timeout=10).json()["paths"][f"/cache/{name}"]
    allowed = {method.strip().lower() for method in options.headers["Allow"].split(",")}
    assert allowed - {"head", "options"} == set(documented), (name, options.headers["Allow"])
    deleted = requests.delete(f"{url}/cache/{name}", headers=headers, timeout=10)
    assert deleted.status_code == 405 and deleted.json()["error"]["code"] == "method_not_allowed"
    # The entry of that name is still there, and reachable through ?key=.
    found = requests.get(url + "/cache", params={"key": name}, headers=headers, timeout=10)
    assert found.status_code == 200 and found.json()["cache_key"] == name
