"""Every bad input gets a 4xx JSON error, and the stored data is unchanged afterwards."""

import json

import orjson
import pytest
import requests
from entries import ENTRY
from entries import entry

BIG = 2 * 1024 * 1024  # past the default 1 MiB body limit


def _without(name):
    body = dict(ENTRY)
    del body[name]
    return body


def _nested(depth):
    value = {}
    for _ in range(depth):
        value = {"a": value}
    return value


CASES = [
    # POST /cache: missing fields
    *[(f"missing {name}", "POST", "/cache", _without(name), 400) for name in ENTRY],
    # wrong types
    ("id as string", "POST", "/cache", entry(simulation_id="42"), 400),
    ("id as boolean", "POST", "/cache", entry(simulation_id=True), 400),
    ("id as float", "POST", "/cache", entry(simulation_id=4.2), 400),
    ("id as null", "POST", "/cache", entry(simulation_id=None), 400),
    ("name as number", "POST", "/cache", entry(simulation_name=5), 400),
    ("key as number", "POST", "/cache", entry(cache_key=123), 400),
    ("key as list", "POST", "/cache", entry(cache_key=["a"]), 400),
    ("path as null", "POST", "/cache", entry(run_db_path=None), 400),
    ("metadata as list", "POST", "/cache", entry(metadata=[1, 2]), 400),
    ("metadata as string", "POST", "/cache", entry(metadata="x"), 400),
    ("result_id as string", "POST", "/cache", entry(result_id="7"), 400),
    ("ttl_hours as string", "POST", "/cache", entry(ttl_hours="24"), 400),
    ("ttl_hours as boolean", "POST", "/cache", entry(ttl_hours=True), 400),
    # negative, zero, out of range
    ("negative ttl_hours", "POST", "/cache", entry(ttl_hours=-1), 400),
    ("zero ttl_hours", "POST", "/cache", entry(ttl_hours=0), 400),
    ("negative ttl_seconds", "POST", "/cache", entry(ttl_seconds=-5), 400),
    ("zero ttl_seconds", "POST", "/cache", entry(ttl_seconds=0), 400),
    ("both ttls", "POST", "/cache", entry(ttl_hours=1, ttl_seconds=60), 400),
    ("ttl beyond ten years", "POST", "/cache", entry(ttl_hours=1e9), 400),
    ("negative simulation_id", "POST", "/cache", entry(simulation_id=-1), 400),
    (
        "simulation_id past 64 bits",
        "POST",
        "/cache",
        json.dumps(entry(simulation_id=2**64)).encode(),
        400,
    ),
    ("simulation_id past 63 bits", "POST", "/cache", entry(simulation_id=2**63), 400),
    ("negative result_id", "POST", "/cache", entry(result_id=-3), 400),
    # unknown fields
    ("unknown field", "POST", "/cache", entry(colour="blue"), 400),
    ("seed field misspelt", "POST", "/cache", entry(ttl_hour=24), 400),
    # strings: empty, oversized, control characters
    ("empty key", "POST", "/cache", entry(cache_key=""), 400),
    ("key over 512 characters", "POST", "/cache", entry(cache_key="k" * 513), 400),
    ("key with newline", "POST", "/cache", entry(cache_key="a\nb"), 400),
    ("key with NUL", "POST", "/cache", entry(cache_key="a\x00b"), 400),
    ("name with NUL", "POST", "/cache", entry(simulation_name="a\x00b"), 400),
    ("empty name", "POST", "/cache", entry(simulation_name=""), 400),
    ("name over 200 characters", "POST", "/cache", entry(simulation_name="n" * 201), 400),
    ("version over 100 characters", "POST", "/cache", entry(simulation_version="v" * 101), 400),
    ("path over 4096 characters", "POST", "/cache", entry(run_db_path="/" * 4097), 400),
    # sizes
    ("metadata over 64 KiB", "POST", "/cache", entry(metadata={"x": "m" * 70000}), 413),
    ("body over 1 MiB", "POST", "/cache", entry(metadata={"x": "m" * BIG}), 413),
    ("metadata nested 40 deep", "POST", "/cache", entry(metadata=_nested(40)), 400),
    # bodies that are not JSON objects
    ("malformed JSON", "POST", "/cache", b'{"cache_key": ', 400),
    ("JSON array", "POST", "/cache", b"[1, 2]", 400),
    ("JSON string", "POST", "/cache", b'"thermal"', 400),
    ("empty body", "POST", "/cache", b"", 400),
    ("not UTF-8", "POST", "/cache", b'{"cache_key": "\xff\xfe"}', 400),
    ("lone surrogate", "POST", "/cache", b'{"cache_key": "\\ud800"}', 400),
    ("NaN literal", "POST", "/cache", b'{"ttl_hours": NaN}', 400),
    # POST /cache/invalidate
    ("invalidate with no selector", "POST", "/cache/invalidate", {}, 400),
    ("invalidate with only a reason", "POST", "/cache/invalidate", {"reason": "why"}, 400),
    ("invalidate id as string", "POST", "/cache/invalidate", {"simulation_id": "42"}, 400),
    ("invalidate negative id", "POST", "/cache/invalidate", {"simulation_id": -1}, 400),
    ("invalidate empty pattern", "POST", "/cache/invalidate", {"key_pattern": ""}, 400),
    ("invalidate null selectors", "POST", "/cache/invalidate", {"simulation_name": None}, 400),
    ("invalidate unknown field", "POST", "/cache/invalidate", {"simulation": 42}, 400),
    (
        "invalidate reason too long",
        "POST",
        "/cache/invalidate",
        {"simulation_id": 42, "reason": "r" * 1001},
        400,
    ),
    ("invalidate malformed", "POST", "/cache/invalidate", b"{", 400),
    # POST /cache/purge
    ("purge with options", "POST", "/cache/purge", {"older_than": 3}, 400),
    ("purge with an array", "POST", "/cache/purge", b"[]", 400),
    # reads
    ("GET key over 512 characters", "GET", "/cache/" + "k" * 600, None, 400),
    ("GET key with NUL", "GET", "/cache/a%00b", None, 400),
    # (werkzeug's path converter matches no newline: no route, a 404)
    ("GET key with newline", "GET", "/cache/a%0Ab", None, 404),
    ("GET by query, key with newline", "GET", "/cache?key=a%0Ab", None, 400),
    ("GET by query, key with NUL", "GET", "/cache?key=a%00b", None, 400),
    ("DELETE key with NUL", "DELETE", "/cache/a%00b", None, 400),
    ("DELETE key over 512 characters", "DELETE", "/cache/" + "k" * 600, None, 400),
    ("GET by query without key", "GET", "/cache", None, 400),
    ("GET by query, empty key", "GET", "/cache?key=", None, 400),
    ("GET by query, extra parameter", "GET", "/cache?key=a&x=1", None, 400),
    ("DELETE by query without key", "DELETE", "/cache", None, 400),
    ("list limit 0", "GET", "/cache/entries?limit=0", None, 400),
    ("list limit not a number", "GET", "/cache/entries?limit=ten", None, 400),
    ("list cursor not a cursor", "GET", "/cache/entries?cursor=-1", None, 400),
    ("list empty cursor", "GET", "/cache/entries?cursor=", None, 400),
    ("list limit past the largest page", "GET", "/cache/entries?limit=501", None, 400),
    ("invalidations cursor not a cursor", "GET", "/cache/invalidations?cursor=42", None, 400),
    ("list unknown filter", "GET", "/cache/entries?colour=blue", None, 400),
    ("list id not a number", "GET", "/cache/entries?simulation_id=x", None, 400),
    ("stats id not a number", "GET", "/cache/stats?simulation_id=abc", None, 400),
    ("stats negative id", "GET", "/cache/stats?simulation_id=-1", None, 400),
    ("stats unknown parameter", "GET", "/cache/stats?window=1h", None, 400),
    ("invalidations limit 0", "GET", "/cache/invalidations?limit=0", None, 400),
    ("unknown route", "GET", "/caches", None, 404),
    ("wrong method", "PUT", "/cache", None, 405),
]


def _snapshot(cache):
    return (
        cache.list_entries()["items"],
        cache.list_invalidations()["items"],
        cache.get_stats()["stored_entries"],
    )


@pytest.mark.parametrize(
    ("name", "method", "path", "body", "status"), CASES, ids=[case[0] for case in CASES]
)
def test_bad_input_is_a_4xx_json_error(url, tokens, cache, name, method, path, body, status):
    cache.set(**entry(cache_key="kept", metadata={"v": 1}))
    before = _snapshot(cache)
    headers = {"X-Session-ID": tokens["admin"], "Content-Type": "application/json"}
    data = body if isinstance(body, bytes) or body is None else orjson.dumps(body)
    answer = requests.request(method, url + path, data=data, headers=headers, timeout=10)
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    error = answer.json()["error"]
    assert error["code"] and error["message"]
    assert _snapshot(cache) == before


@pytest.fixture
def short_keys_url(make_app, app_config, live_server):
    """A service configured for keys of at most 100 characters."""
    return live_server(make_app({**app_config, "max_key_length": 100}))


def test_the_configured_key_length_applies_to_stores_and_reads_alike(short_keys_url, tokens):
    headers = {"X-Session-ID": tokens["admin"]}
    long_key, short_key = "k" * 200, "k" * 100
    stored = requests.post(
        short_keys_url + "/cache", json=entry(cache_key=long_key), headers=headers, timeout=10
    )
    assert stored.status_code == 400
    assert stored.json()["error"]["details"] == {"cache_key": ["longer than 100 characters"]}
    read = requests.get(
        short_keys_url + "/cache", params={"key": long_key}, headers=headers, timeout=10
    )
    assert read.status_code == 400
    listed = requests.get(short_keys_url + "/cache/entries", headers=headers, timeout=10).json()
    assert listed["items"] == []  # the refused store left nothing behind

    assert (
        requests.post(
            short_keys_url + "/cache", json=entry(cache_key=short_key), headers=headers, timeout=10
        ).status_code
        == 200
    )
    read = requests.get(
        short_keys_url + "/cache", params={"key": short_key}, headers=headers, timeout=10
    )
    assert read.status_code == 200 and read.json()["cache_key"] == short_key


def test_a_key_length_beyond_the_key_column_is_a_configuration_error():
    from sim2l_cache_service.config import cache_config
    from sim2l_service_kit import ConfigError

    with pytest.raises(ConfigError, match="max_key_length"):
        cache_config({"max_key_length": 600})
