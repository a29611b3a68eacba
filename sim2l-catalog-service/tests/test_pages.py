"""Search and the versions list page the kit's one way: limit, an opaque keyset cursor.

On both backends: walking every page gives each match once, in the order of
one big page (ranks tie within a page and across pages: the order is total);
a deep page is what a fresh keyset query answers; a cursor that is not one,
or that belongs to the other list, is a 400 naming ``cursor``; versions
registered, changed or deprecated between pages neither repeat nor skip the
others.
"""

import base64
import json

import pytest
import requests
from sim2l_catalog_service.pages import SEARCH_ORDER
from sim2l_catalog_service.pages import VERSIONS_ORDER
from sim2l_catalog_service.schemas import MAX_PAGE
from sim2l_service_kit.pagination import decode_cursor
from sim2l_service_kit.pagination import encode_cursor

# Names ranked against the query "heat": 0 exact, 1 prefix, 2 contains, 3 other.
RANKED = {
    "heat": 0,
    "heatwave": 1,
    "heater": 1,
    "superheat": 2,
    "preheater": 2,
    "boiler": 3,  # "heat" in the description
    "kettle": 3,  # "heat" as a tag
}


@pytest.fixture
def heat(developer):
    """Every name of RANKED in three versions, registered interleaved; and a non-match."""
    for minor in range(3):
        for name in RANKED:
            developer.register_simulation(
                name=name,
                version=f"1.{minor}.0",
                description="uses heat" if name == "boiler" else "a model",
                tags=["heat"] if name == "kettle" else ["other"],
            )
    developer.register_simulation(name="cold", version="1.0.0", description="unrelated")
    return developer


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


@pytest.mark.parametrize("limit", [1, 3, 7, 21])
@pytest.mark.parametrize(
    "search", [{"query": "Heat"}, {"query": "heat", "tags": ["heat"]}, {"tags": ["other"]}, {}]
)
def test_walking_every_page_gives_each_match_once_in_the_order_of_one_page(heat, limit, search):
    whole = heat.search_page(limit=MAX_PAGE, **search)
    assert whole["next_cursor"] is None
    walked, pages = _walk(lambda **page: heat.search_page(**search, **page), limit)
    assert walked == whole["items"]
    assert len({item["id"] for item in walked}) == len(walked)
    assert pages == max(1, -(-len(walked) // limit))
    if search.get("query") == "Heat":
        # Best rank first, newest first within a rank.
        expected = sorted(walked, key=lambda item: (RANKED[item["name"]], -item["id"]))
        assert walked == expected and len(walked) == 3 * len(RANKED)
    if not search:
        assert [item["id"] for item in walked] == sorted((i["id"] for i in walked), reverse=True)
    assert heat.search(**search) == whole["items"]


def test_a_deep_page_is_what_a_fresh_keyset_query_answers(heat, http, tokens):
    everything = heat.search(query="heat")
    cursor = None
    for _ in range(4):
        cursor = heat.search_page(query="heat", limit=3, cursor=cursor)["next_cursor"]
    deep = heat.search_page(query="heat", limit=3, cursor=cursor)
    assert deep["items"] == everything[12:15]
    # The cursor is the position after the last item: its rank and its id.
    last = everything[11]
    assert decode_cursor(cursor).key == (RANKED[last["name"]], last["id"])
    fresh = encode_cursor(SEARCH_ORDER, (RANKED[last["name"]], last["id"]))
    again = http(
        "GET",
        "/simulations",
        token=tokens["user"],
        params={"query": "heat", "limit": 3, "cursor": fresh},
    )
    assert again.status_code == 200 and again.json() == deep
    # Without text every version ranks 0: a cursor past rank 0 has nothing after it.
    assert heat.search_page(cursor=encode_cursor(SEARCH_ORDER, (1, 10**6)))["items"] == []


def test_versions_stored_changed_or_deprecated_between_pages_neither_repeat_nor_skip(heat):
    first = heat.search_page(query="heat", status="active", limit=5)
    seen = [item["id"] for item in first["items"]]
    before = [item["id"] for item in heat.search(query="heat", status="active")]
    gone = {before[2], before[7], before[12]}
    by_id = {item["id"]: item for item in heat.search(query="heat")}
    for identifier in sorted(gone):
        heat.deprecate_simulation(by_id[identifier]["name"], by_id[identifier]["version"])
    # A match stops matching; new versions come (the newest of each rank).
    boiler = next(i for i in by_id.values() if i["name"] == "boiler" and i["id"] not in gone)
    heat.update_simulation("boiler", boiler["version"], description="uses steam")
    gone.add(boiler["id"])
    added = [
        heat.register_simulation(name="heat", version="2.0.0")["id"],
        heat.register_simulation(name="kettle", version="9.0.0", tags=["heat"])["id"],
    ]
    rest, _ = _walk(
        lambda limit, cursor: heat.search_page(
            query="heat", status="active", limit=limit, cursor=cursor or first["next_cursor"]
        ),
        5,
    )
    later = [item["id"] for item in rest]
    survivors = [identifier for identifier in before[5:] if identifier not in gone]
    # The new "heat" ranks before the cursor: not on a later page. The new
    # kettle is the newest of the last rank: first of that rank, after the cursor.
    last_rank = next(i for i, n in enumerate(survivors) if RANKED[by_id[n]["name"]] == 3)
    assert later == [*survivors[:last_rank], added[1], *survivors[last_rank:]]
    assert not set(seen) & set(later)


def test_versions_page_highest_first(developer):
    versions = ["1.0.0", "1.10.0", "1.9.0", "2.0.0-rc.1", "2.0.0", "1.0.0+build.2", "0.1.0"]
    for version in versions:
        developer.register_simulation(name="solver", version=version)
    developer.register_simulation(name="other", version="5.0.0")
    whole = developer.versions_page("solver", limit=MAX_PAGE)["items"]
    assert [v["version"] for v in whole] == [
        "2.0.0",
        "2.0.0-rc.1",
        "1.10.0",
        "1.9.0",
        "1.0.0+build.2",  # the same version_key as 1.0.0, registered later
        "1.0.0",
        "0.1.0",
    ]
    for limit in (1, 2, 3, 7):
        walked, _ = _walk(lambda **page: developer.versions_page("solver", **page), limit)
        assert walked == whole
    assert developer.list_versions("solver") == whole
    developer.register_simulation(name="solver", version="1.5.0")
    page = developer.versions_page("solver", limit=3)
    rest, _ = _walk(
        lambda limit, cursor: developer.versions_page(
            "solver", limit=limit, cursor=cursor or page["next_cursor"]
        ),
        3,
    )
    assert [v["version"] for v in page["items"] + rest] == [
        "2.0.0",
        "2.0.0-rc.1",
        "1.10.0",
        "1.9.0",
        "1.5.0",
        "1.0.0+build.2",
        "1.0.0",
        "0.1.0",
    ]
    # A cursor past the last version: an empty last page, not a 404.
    past = developer.versions_page("solver", cursor=encode_cursor(VERSIONS_ORDER, ("", 1)))
    assert past == {"items": [], "limit": 100, "next_cursor": None}


def test_a_limit_above_the_largest_page_is_refused_naming_it(heat, http, tokens):
    assert len(heat.search_page(limit=MAX_PAGE)["items"]) == 3 * len(RANKED) + 1
    for path in ("/simulations?limit=101", "/simulations/heat/versions?limit=500"):
        answer = http("GET", path, token=tokens["user"])
        assert answer.status_code == 400, path
        error = answer.json()["error"]
        assert error["code"] == "validation_error"
        assert list(error["details"]) == ["limit"] and "100" in error["details"]["limit"][0]


def _encoded(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


SEARCH_CURSORS = {
    "not base64": "!!!",
    "not JSON": "bm90IGpzb24",
    "an offset": "20",
    "the versions list's": encode_cursor(VERSIONS_ORDER, ("0000000001.0000000000.0000000000~", 1)),
    "the cache's": encode_cursor("cache_entries", (1,)),
    "a key of one part": encode_cursor(SEARCH_ORDER, (1,)),
    "a rank past the last": encode_cursor(SEARCH_ORDER, (4, 1)),
    "a negative rank": encode_cursor(SEARCH_ORDER, (-1, 1)),
    "a text rank": encode_cursor(SEARCH_ORDER, ("0", 1)),
    "an id past the column": encode_cursor(SEARCH_ORDER, (0, 2**31)),
    "a fractional id": encode_cursor(SEARCH_ORDER, (0, 1.5)),
    "a null id": encode_cursor(SEARCH_ORDER, (0, None)),
    "a boolean rank": _encoded([SEARCH_ORDER, True, 1]),
}
VERSIONS_CURSORS = {
    "not base64": "!!!",
    "the search's": encode_cursor(SEARCH_ORDER, (0, 1)),
    "a numeric version key": encode_cursor(VERSIONS_ORDER, (1, 1)),
    "a version key too long": encode_cursor(VERSIONS_ORDER, ("9" * 201, 1)),
    "a version key with NUL": encode_cursor(VERSIONS_ORDER, ("1\x00", 1)),
    "a text id": encode_cursor(VERSIONS_ORDER, ("1", "1")),
    "a key of three parts": encode_cursor(VERSIONS_ORDER, ("1", 1, 1)),
}


@pytest.mark.parametrize(
    ("path", "cursor"),
    [("/simulations?query=heat", cursor) for cursor in SEARCH_CURSORS.values()]
    + [("/simulations", SEARCH_CURSORS["a negative rank"])]
    + [("/simulations/heat/versions", cursor) for cursor in VERSIONS_CURSORS.values()],
    ids=[f"search: {name}" for name in SEARCH_CURSORS]
    + ["search without text: a negative rank"]
    + [f"versions: {name}" for name in VERSIONS_CURSORS],
)
def test_a_cursor_this_list_did_not_give_out_is_a_400_naming_cursor(
    heat, http, tokens, path, cursor
):
    answer = http("GET", path, token=tokens["user"], params={"cursor": cursor})
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["details"]) == ["cursor"], error


def test_the_document_states_the_largest_page_and_the_page_shape(url):
    document = requests.get(url + "/openapi.json", timeout=10).json()
    for path in ("/simulations", "/simulations/{name}/versions"):
        operation = document["paths"][path]["get"]
        parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
        assert parameters["limit"]["schema"]["maximum"] == MAX_PAGE
        assert parameters["limit"]["schema"]["default"] == 20
        assert "offset" not in parameters and "string" in parameters["cursor"]["schema"]["type"]
        page = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert set(page["required"]) == {"items", "limit", "next_cursor"}
        assert set(page["properties"]) == {"items", "limit", "next_cursor"}
        assert "version" in page["properties"]["items"]["items"]["properties"]
