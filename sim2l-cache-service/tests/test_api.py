"""Every cache endpoint through the real CacheClient against a real server, on both backends."""

import pytest
import requests
from entries import ENTRY
from entries import entry
from sim2l_cache_client import ForbiddenError
from sim2l_cache_client import InvalidRequestError
from sim2l_cache_client import UnauthenticatedError
from sim2l_cache_service.app import create_app
from sim2l_service_kit.testing import RFC3339_UTC
from sim2l_sessions.database import database_from_url
from sim2l_sessions.migrations import UnmigratedDatabaseError

TRICKY_KEYS = [
    "thermal_sim/350K/result",
    "stats",
    "entries",
    "entries/thermal",
    "invalidate",
    "invalidations",
    "purge",
    "a//b",
    "/leading",
    "trailing/",
    "./dot",
    "a/../b",
    "spaces and ünïcödé/%41?x=1#frag&y",
    "100%_done",
    "k" * 512,
]


def test_set_then_get_returns_every_field(cache):
    stored = cache.set(**entry(ttl_hours=24, metadata={"temperature": 350}, result_id=7))
    got = cache.get("thermal_sim/350K/result")
    assert got == stored
    for name, value in ENTRY.items():
        assert got[name] == value
    assert got["metadata"] == {"temperature": 350}
    assert got["result_id"] == 7
    assert got["created_at"] < got["expires_at"]
    assert RFC3339_UTC.match(got["created_at"]) and RFC3339_UTC.match(got["expires_at"])


def test_a_miss_is_none(cache):
    assert cache.get("never/stored") is None


@pytest.mark.parametrize("key", TRICKY_KEYS)
def test_any_key_round_trips(cache, key):
    cache.set(**entry(cache_key=key))
    assert cache.get(key)["cache_key"] == key
    assert cache.delete(key) is True
    assert cache.get(key) is None


def test_stats_route_is_not_shadowed_by_a_key_named_stats(cache, url, tokens):
    cache.set(**entry(cache_key="stats"))
    answer = requests.get(url + "/cache/stats", headers={"X-Session-ID": tokens["user"]}, timeout=5)
    assert "hit_rate" in answer.json()
    by_query = requests.get(
        url + "/cache", params={"key": "stats"}, headers={"X-Session-ID": tokens["user"]}, timeout=5
    )
    assert by_query.json()["cache_key"] == "stats"


def test_set_replaces_the_entry_under_the_same_key(cache):
    cache.set(**entry(execution_id="exec-001"))
    cache.set(**entry(execution_id="exec-002", metadata={"run": 2}))
    got = cache.get(ENTRY["cache_key"])
    assert got["execution_id"] == "exec-002"
    assert got["metadata"] == {"run": 2}
    assert len(cache.list_entries()["items"]) == 1


def test_ttl_seconds_expire(cache, clock):
    cache.set(**entry(ttl_seconds=0.2))
    assert cache.get(ENTRY["cache_key"]) is not None
    clock.advance(0.5)
    assert cache.get(ENTRY["cache_key"]) is None
    assert cache.get_stats()["expired_entries"] == 1


def _three_simulations(cache):
    cache.set(
        **entry(cache_key="a/1", simulation_id=1, simulation_name="a", simulation_version="1")
    )
    cache.set(
        **entry(cache_key="a/2", simulation_id=1, simulation_name="a", simulation_version="1")
    )
    cache.set(
        **entry(cache_key="a/v2", simulation_id=2, simulation_name="a", simulation_version="2")
    )
    cache.set(
        **entry(cache_key="b/1", simulation_id=3, simulation_name="b", simulation_version="1")
    )


@pytest.mark.parametrize(
    ("selector", "invalidated", "still_live"),
    [
        ({"simulation_id": 1}, {"a/1", "a/2"}, {"a/v2", "b/1"}),
        ({"simulation_name": "a"}, {"a/1", "a/2", "a/v2"}, {"b/1"}),
        ({"simulation_name": "a", "simulation_version": "2"}, {"a/v2"}, {"a/1", "a/2", "b/1"}),
        ({"simulation_version": "1"}, {"a/1", "a/2", "b/1"}, {"a/v2"}),
        ({"key_pattern": "a/*"}, {"a/1", "a/2", "a/v2"}, {"b/1"}),
        ({"key_pattern": "a/?"}, {"a/1", "a/2"}, {"a/v2", "b/1"}),
        ({"key_pattern": "A/*"}, set(), {"a/1", "a/2", "a/v2", "b/1"}),
        ({"key_pattern": "a/*", "simulation_id": 2}, {"a/v2"}, {"a/1", "a/2", "b/1"}),
    ],
)
def test_invalidate_by_each_selector(clients, selector, invalidated, still_live):
    cache = clients["developer"]
    _three_simulations(cache)
    answer = cache.invalidate(**selector, reason="new version")
    assert answer["invalidated"] == len(invalidated)
    for key in invalidated:
        assert cache.get(key) is None
    for key in still_live:
        assert cache.get(key) is not None


def test_key_patterns_treat_like_and_glob_characters_literally(cache):
    for key in ["p/100%_done", "p/100xydone", "p/[x]", "p/x", "p/a\\b", "p/ab"]:
        cache.set(**entry(cache_key=key))
    assert cache.invalidate(key_pattern="p/100%_*")["invalidated"] == 1
    assert cache.get("p/100xydone") is not None
    assert cache.invalidate(key_pattern="p/[x]")["invalidated"] == 1
    assert cache.get("p/x") is not None
    assert cache.invalidate(key_pattern="p/a\\b")["invalidated"] == 1
    assert cache.get("p/ab") is not None


def test_invalidation_is_recorded_with_reason_and_who(clients):
    cache = clients["developer"]
    _three_simulations(cache)
    cache.invalidate(simulation_id=1, reason="new version")
    cache.invalidate(key_pattern="b/*")
    records = cache.list_invalidations()["items"]
    assert [r["reason"] for r in records] == ["new version", None]
    assert records[0]["selector"] == {"simulation_id": 1}
    assert records[0]["invalidated_entries"] == 2
    assert records[0]["invalidated_by"] == "dev"
    assert records[0]["role"] == "developer"
    assert [r["selector"] for r in cache.list_invalidations(simulation_id=1)["items"]] == [
        {"simulation_id": 1}
    ]


def test_an_invalidated_key_set_again_is_live(cache):
    cache.set(**ENTRY)
    cache.invalidate(simulation_id=42)
    assert cache.get(ENTRY["cache_key"]) is None
    cache.set(**ENTRY)
    assert cache.get(ENTRY["cache_key"]) is not None


def test_stats_overall_and_per_simulation(cache):
    _three_simulations(cache)
    cache.get("a/1")
    cache.get("a/1")
    cache.get("b/1")
    cache.get("unknown")
    cache.invalidate(simulation_id=1, reason="new version")
    cache.get("a/2")  # invalidated: a miss charged to simulation 1
    one = cache.get_stats(simulation_id=1)
    assert (one["hits"], one["misses"], one["lookups"]) == (2, 1, 3)
    assert one["hit_rate"] == pytest.approx(2 / 3)
    assert (one["entries"], one["invalidated_entries"], one["invalidations"]) == (0, 2, 1)
    overall = cache.get_stats()
    assert (overall["hits"], overall["misses"]) == (3, 2)
    assert overall["hit_rate"] == pytest.approx(0.6)
    assert overall["entries"] == 2
    assert overall["stored_entries"] == 4
    assert overall["invalidations"] == 1
    empty = cache.get_stats(simulation_id=999)
    assert (empty["hits"], empty["misses"], empty["hit_rate"], empty["entries"]) == (0, 0, 0.0, 0)


@pytest.mark.parametrize("flush_seconds", [0.0])
def test_counts_reach_the_stats_table(make_app, app_config, live_server, tokens, flush_seconds):
    from sim2l_cache_client import CacheClient

    app_config["stats_flush_seconds"] = flush_seconds
    url = live_server(make_app(app_config))
    cache = CacheClient(url, session_id=tokens["admin"])
    cache.set(**ENTRY)
    cache.get(ENTRY["cache_key"])
    cache.get(ENTRY["cache_key"])
    cache.get("missing")
    database = database_from_url(app_config["database_url"])
    rows = dict(
        (row[0], (row[1], row[2]))
        for row in database.execute_sql("SELECT simulation_id, hits, misses FROM cache_stats")
    )
    database.close()
    assert rows == {42: (2, 0), -1: (0, 1)}
    assert cache.get_stats()["hits"] == 2


def test_list_entries_pages_and_filters(cache):
    for index in range(7):
        cache.set(
            **entry(
                cache_key=f"k/{index}", simulation_id=index % 2, simulation_name=f"sim{index % 2}"
            )
        )
    keys, cursor = [], None
    for _ in range(3):
        page = cache.list_entries(limit=3, cursor=cursor)
        keys += [e["cache_key"] for e in page["items"]]
        cursor = page["next_cursor"]
    assert keys == [f"k/{i}" for i in range(7)]
    assert cursor is None
    assert [e["cache_key"] for e in cache.list_entries(simulation_id=1)["items"]] == [
        "k/1",
        "k/3",
        "k/5",
    ]
    assert len(cache.list_entries(simulation_name="sim0")["items"]) == 4
    assert len(cache.list_entries(simulation_version="9.9")["items"]) == 0
    assert len(list(cache.iter_entries(page_size=2))) == 7


def test_a_limit_above_the_largest_page_is_refused_naming_it(cache, http, tokens):
    for index in range(3):
        cache.set(**entry(cache_key=f"k/{index}"))
    assert len(cache.list_entries(limit=500)["items"]) == 3
    for path in ("/cache/entries?limit=501", "/cache/invalidations?limit=5000"):
        answer = http("GET", path, token=tokens["admin"])
        assert answer.status_code == 400, path
        error = answer.json()["error"]
        assert error["code"] == "validation_error"
        assert list(error["details"]) == ["limit"] and "500" in error["details"]["limit"][0]


def test_list_hides_expired_and_invalidated_entries(cache, clock):
    cache.set(**entry(cache_key="live"))
    cache.set(**entry(cache_key="gone", simulation_id=5))
    cache.set(**entry(cache_key="short", ttl_seconds=0.2))
    cache.invalidate(simulation_id=5)
    clock.advance(0.5)
    assert [e["cache_key"] for e in cache.list_entries()["items"]] == ["live"]


def test_delete_one_entry(clients):
    clients["user"].set(**ENTRY)
    assert clients["developer"].delete(ENTRY["cache_key"]) is True
    assert clients["developer"].delete(ENTRY["cache_key"]) is False
    assert clients["user"].get(ENTRY["cache_key"]) is None


def test_purge_removes_expired_and_invalidated(cache, clock):
    cache.set(**entry(cache_key="live"))
    cache.set(**entry(cache_key="gone", simulation_id=5))
    cache.set(**entry(cache_key="short", ttl_seconds=0.2))
    cache.invalidate(simulation_id=5)
    clock.advance(0.5)
    assert cache.purge_expired() == 2
    assert cache.get_stats()["stored_entries"] == 1
    assert cache.get("live") is not None
    assert cache.purge_expired() == 0


def test_health_ready_metrics_openapi(cache, url):
    assert cache.health()["status"] == "ok"
    assert requests.get(url + "/ready", timeout=5).json()["status"] == "ready"
    cache.set(**entry(cache_key="secret/project/key"))
    cache.get("secret/project/key")
    metrics = requests.get(url + "/metrics", timeout=5).text
    assert "sim2l_cache_entries" in metrics
    assert "secret/project" not in metrics
    document = requests.get(url + "/openapi.json", timeout=5).json()
    assert {
        "/cache",
        "/cache/{cache_key}",
        "/cache/invalidate",
        "/cache/stats",
        "/cache/entries",
        "/cache/invalidations",
        "/cache/purge",
    } <= set(document["paths"])


def test_an_anonymous_session_from_the_sessions_blueprint_reads_and_writes(url):
    from sim2l_cache_client import CacheClient

    token = requests.post(url + "/sessions", json={"anonymous": True}, timeout=5).json()[
        "session_id"
    ]
    cache = CacheClient(url, session_id=token)
    cache.set(**ENTRY)
    assert cache.get(ENTRY["cache_key"])["run_db_path"] == "/path/to/run.db"
    with pytest.raises(ForbiddenError):
        cache.invalidate(simulation_id=42)


def test_read_only_session_cannot_write(url, manager):
    from sim2l_cache_client import CacheClient

    reader = CacheClient(
        url, session_id=manager.create_anonymous_session(privileges=["read_cache"]).session_id
    )
    assert reader.get("anything") is None
    with pytest.raises(ForbiddenError):
        reader.set(**ENTRY)


def test_no_session_no_data(url):
    from sim2l_cache_client import CacheClient

    with pytest.raises(UnauthenticatedError):
        CacheClient(url).get("thermal_sim/350K/result")


def test_invalidate_needs_a_selector(cache):
    with pytest.raises(InvalidRequestError) as raised:
        cache.invalidate(reason="everything?")
    assert raised.value.status == 400


def test_a_revoked_session_is_refused(url, manager):
    from sim2l_cache_client import CacheClient

    session = manager.create_session("ursula", "user")
    cache = CacheClient(url, session_id=session.session_id)
    assert cache.get("x") is None
    manager.invalidate_session(session.session_id)
    with pytest.raises(UnauthenticatedError):
        cache.get("x")


def test_the_service_refuses_an_unmigrated_database(database_url):
    with pytest.raises(UnmigratedDatabaseError, match="sim2l-cache-service migrate"):
        create_app({"database_url": database_url})


def test_concurrent_sets_of_one_key_leave_one_whole_entry(cache, url, tokens):
    import threading

    from sim2l_cache_client import CacheClient

    def writer(number):
        with CacheClient(url, session_id=tokens["user"]) as client:
            for round_ in range(5):
                client.set(
                    **entry(
                        execution_id=f"exec-{number}-{round_}", input_hash=f"hash-{number}-{round_}"
                    )
                )

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    got = cache.get(ENTRY["cache_key"])
    assert got["execution_id"].replace("exec", "hash") == got["input_hash"]
    assert len(cache.list_entries()["items"]) == 1


def test_counts_stay_exact_under_concurrent_reads_and_flushes(
    make_app, app_config, live_server, tokens
):
    import threading

    from sim2l_cache_client import CacheClient

    app_config["stats_flush_seconds"] = 0.005  # flush often, from many request threads
    url = live_server(make_app(app_config))
    CacheClient(url, session_id=tokens["admin"]).set(**ENTRY)

    def reader():
        with CacheClient(url, session_id=tokens["user"]) as client:
            for index in range(60):
                client.get(ENTRY["cache_key"] if index % 3 else "missing")

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = CacheClient(url, session_id=tokens["user"]).get_stats()
    assert (stats["hits"], stats["misses"]) == (160, 80)
