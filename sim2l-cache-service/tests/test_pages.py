"""The listings page the kit's one way: limit, an opaque keyset cursor, next_cursor.

On both backends: walking every page gives each item once, in the order of
one big page; a deep page is what a fresh keyset query answers; a cursor that
is not one, or that belongs to the other list, is a 400 naming ``cursor``;
entries stored or removed between pages neither repeat nor skip the others;
a page's bytes are bounded whatever the entries hold.
"""

import base64
import json
import time

import orjson
import pytest
import requests
from entries import entry
from sim2l_cache_service.schemas import MAX_PAGE_SIZE
from sim2l_cache_service.views import ENTRIES_ORDER
from sim2l_cache_service.views import INVALIDATIONS_ORDER
from sim2l_cache_service.views import entries_page
from sim2l_service_kit.pagination import decode_cursor
from sim2l_service_kit.pagination import encode_cursor
from sim2l_service_kit.pagination import page_answer
from sim2l_service_kit.state import state_of


def _store_many(cache, count: int, prefix: str = "k") -> list[str]:
    keys = [f"{prefix}/{index:03d}" for index in range(count)]
    for index, key in enumerate(keys):
        cache.set(
            **entry(cache_key=key, simulation_id=index % 3, simulation_name=f"sim{index % 3}")
        )
    return keys


def _walk(fetch, limit: int) -> tuple[list[dict], int]:
    items, cursor, pages = [], None, 0
    while True:
        page = fetch(limit=limit, cursor=cursor)
        assert page["limit"] == limit and len(page["items"]) <= limit
        items += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return items, pages


@pytest.mark.parametrize("limit", [1, 4, 7, 23])
def test_walking_every_page_gives_each_entry_once_in_the_order_of_one_page(cache, limit):
    keys = _store_many(cache, 23)
    whole = cache.list_entries(limit=MAX_PAGE_SIZE)
    assert whole["next_cursor"] is None
    assert [item["cache_key"] for item in whole["items"]] == keys
    walked, pages = _walk(cache.list_entries, limit)
    assert walked == whole["items"]
    assert pages == -(-23 // limit)  # the last full page knows it is the last
    filtered, _ = _walk(lambda **page: cache.list_entries(simulation_name="sim1", **page), 2)
    assert [item["cache_key"] for item in filtered] == keys[1::3]
    assert list(cache.iter_entries(simulation_id=2, page_size=3)) == [
        item for item in whole["items"] if item["simulation_id"] == 2
    ]


def test_a_deep_page_is_what_a_fresh_keyset_query_answers(app, cache):
    _store_many(cache, 40)
    cursor = None
    for _ in range(6):
        page = cache.list_entries(limit=5, cursor=cursor)
        cursor = page["next_cursor"]
    after = decode_cursor(cursor).key[0]
    deep = cache.list_entries(limit=5, cursor=cursor)
    assert cache.list_entries(limit=5, cursor=cursor) == deep  # a cursor can be used again
    store = state_of(app).store
    rows = store.page({}, after, 6, time.time())
    assert deep["items"] == [orjson.loads(body) for _, body in rows[:5]]
    assert decode_cursor(deep["next_cursor"]).key == (rows[4][0],)
    everything = cache.list_entries(limit=MAX_PAGE_SIZE)["items"]
    assert deep["items"] == everything[30:35]


def test_entries_stored_or_removed_between_pages_neither_repeat_nor_skip_the_others(cache):
    keys = _store_many(cache, 12)
    first = cache.list_entries(limit=4)
    seen = [item["cache_key"] for item in first["items"]]
    assert seen == keys[:4]
    # Between pages: one seen and one unseen entry go, one unseen is
    # invalidated, one seen is replaced (an upsert keeps its place), two are new.
    cache.delete(keys[1])
    cache.delete(keys[5])
    cache.invalidate(key_pattern=keys[6])
    cache.set(**entry(cache_key=keys[2], execution_id="again"))
    cache.set(**entry(cache_key="new/1"))
    cache.set(**entry(cache_key="new/2"))
    rest, _ = _walk(
        lambda limit, cursor: cache.list_entries(
            limit=limit, cursor=cursor or first["next_cursor"]
        ),
        4,
    )
    later = [item["cache_key"] for item in rest]
    survivors = [key for key in keys[4:] if key not in (keys[5], keys[6])]
    assert later == [*survivors, "new/1", "new/2"]
    assert len(set(seen + later)) == len(seen + later)


def test_invalidations_page_oldest_first(clients):
    cache = clients["admin"]
    for number in range(7):
        cache.invalidate(simulation_id=number % 2, reason=f"r{number}")
    whole = cache.list_invalidations(limit=MAX_PAGE_SIZE)["items"]
    assert [record["reason"] for record in whole] == [f"r{number}" for number in range(7)]
    walked, pages = _walk(cache.list_invalidations, 3)
    assert walked == whole and pages == 3
    assert [r["reason"] for r in cache.iter_invalidations(simulation_id=1, page_size=2)] == [
        "r1",
        "r3",
        "r5",
    ]


def _encoded(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


BAD_CURSORS = {
    "not base64": "!!!",
    "not JSON": "bm90IGpzb24",
    "a number": "42",
    "too long": "x" * 3000,
    "another list": encode_cursor(INVALIDATIONS_ORDER, (1,)),
    "another service's": encode_cursor("catalog_search", (0, 1)),
    "a key of two parts": encode_cursor(ENTRIES_ORDER, (1, 2)),
    "a text key": encode_cursor(ENTRIES_ORDER, ("1",)),
    "a fractional key": encode_cursor(ENTRIES_ORDER, (1.5,)),
    "a null key": encode_cursor(ENTRIES_ORDER, (None,)),
    "a negative key": encode_cursor(ENTRIES_ORDER, (-1,)),
    "a key past 64 bits": encode_cursor(ENTRIES_ORDER, (2**64,)),
    "a boolean key": _encoded([ENTRIES_ORDER, True]),
    "a list key": _encoded([ENTRIES_ORDER, [1]]),
}


@pytest.mark.parametrize("name", sorted(BAD_CURSORS))
def test_a_cursor_this_list_did_not_give_out_is_a_400_naming_cursor(cache, http, tokens, name):
    cache.set(**entry())
    for path, order in (("/cache/entries", ENTRIES_ORDER), ("/cache/invalidations", None)):
        cursor = BAD_CURSORS[name]
        if order is None and name == "another list":
            cursor = encode_cursor(ENTRIES_ORDER, (1,))
        answer = http("GET", path, token=tokens["admin"], params={"cursor": cursor})
        assert answer.status_code == 400, (path, answer.text)
        error = answer.json()["error"]
        assert error["code"] == "validation_error"
        assert list(error["details"]) == ["cursor"], error


def test_a_page_of_large_entries_ends_early_and_the_walk_still_gets_them_all(
    make_app, app_config, live_server, tokens
):
    from sim2l_cache_client import CacheClient

    app_config["max_page_bytes"] = 3000
    cache = CacheClient(live_server(make_app(app_config)), session_id=tokens["admin"])
    big = {"blob": "x" * 1000}
    for index in range(9):
        cache.set(**entry(cache_key=f"big/{index}", metadata=big if index % 3 == 0 else None))
    page = cache.list_entries(limit=9)
    assert page["limit"] == 9 and page["next_cursor"] is not None
    assert 1 <= len(page["items"]) < 9
    assert len(orjson.dumps(page["items"])) <= 3000
    walked, pages = _walk(cache.list_entries, 9)
    assert [item["cache_key"] for item in walked] == [f"big/{index}" for index in range(9)]
    assert pages > 1
    # One entry larger than the budget still makes a page on its own.
    cache.set(**entry(cache_key="huge", metadata={"blob": "y" * 5000}))
    assert [item["cache_key"] for item in cache.list_entries(limit=1)["items"]] == ["big/0"]
    assert [e["cache_key"] for e in cache.iter_entries(page_size=500)][-1] == "huge"


def test_the_fast_page_is_the_kits_page_answer():
    rows = [(index, orjson.dumps({"n": index, "text": "ü"}).decode()) for index in (3, 5, 9)]

    def key_of(row):
        return (row[0],)

    for count in (0, 1, 2, 3, 4):
        for limit in range(max(count - 1, 1), count + 2):
            fast = orjson.loads(entries_page(rows[:count], limit, 10**6))
            kit = page_answer(rows[:count], limit, ENTRIES_ORDER, key_of)
            assert fast == {**kit, "items": [orjson.loads(body) for _, body in kit["items"]]}
    # Cut by bytes: the kit's answer for the rows shown, with the limit asked for.
    fast = orjson.loads(entries_page(rows, 3, len(rows[0][1]) + 1))
    kit = page_answer(rows[:2], 1, ENTRIES_ORDER, key_of)
    assert fast == {**kit, "items": [{"n": 3, "text": "ü"}], "limit": 3}


def test_the_document_states_the_largest_page_and_the_page_shape(url):
    document = requests.get(url + "/openapi.json", timeout=10).json()
    for path, field in (("/cache/entries", "cache_key"), ("/cache/invalidations", "selector")):
        operation = document["paths"][path]["get"]
        parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
        assert parameters["limit"]["schema"]["maximum"] == MAX_PAGE_SIZE
        assert parameters["limit"]["schema"]["minimum"] == 1
        assert f"at most {MAX_PAGE_SIZE}" in parameters["limit"]["description"]
        assert "string" in parameters["cursor"]["schema"]["type"]
        page = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert set(page["required"]) == {"items", "limit", "next_cursor"}
        assert set(page["properties"]) == {"items", "limit", "next_cursor"}
        assert page["properties"]["next_cursor"]["type"] == ["string", "null"]
        assert field in page["properties"]["items"]["items"]["properties"]
