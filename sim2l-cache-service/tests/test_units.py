"""Pieces with no server: key globs, the hit counter, the OpenAPI document."""

import pytest
from sim2l_cache_service.counters import HitCounter
from sim2l_cache_service.store import CacheStore
from sim2l_cache_service.store import glob_to_like
from sim2l_cache_service.store import glob_to_sqlite
from sim2l_service_kit.state import state_of
from sim2l_sessions.database import database_from_url


@pytest.mark.parametrize(
    ("glob", "like", "sqlite"),
    [
        ("thermal_sim/*", "thermal\\_sim/%", "thermal_sim/*"),
        ("a?c", "a_c", "a?c"),
        ("100%", "100\\%", "100%"),
        ("a\\b", "a\\\\b", "a\\b"),
        ("[x]", "[x]", "[[]x]"),
    ],
)
def test_key_globs_translate_with_escaping(glob, like, sqlite):
    assert glob_to_like(glob) == like
    assert glob_to_sqlite(glob) == sqlite


def test_hit_counter_keeps_deltas_until_taken_and_takes_back_failures():
    counter = HitCounter(flush_seconds=3600)
    assert counter.record(1, True) is False  # the flush thread writes it
    counter.record(1, False)
    counter.record(2, True)
    assert counter.pending(1) == (1, 1)
    assert counter.pending() == (2, 1)
    deltas = counter.take()
    assert deltas == {1: [1, 1], 2: [1, 0]}
    assert counter.pending() == (0, 0)
    counter.record(1, True)
    counter.give_back(deltas)
    assert counter.pending(1) == (2, 1)


def test_hit_counter_with_zero_interval_is_always_due():
    assert HitCounter(flush_seconds=0).record(1, True) is True


def test_a_failed_flush_keeps_the_counts(tmp_path):
    url = f"sqlite:///{tmp_path}/unmigrated.db"  # no cache_stats table: the write fails
    store = CacheStore(database_from_url(url), url)
    counter = HitCounter(flush_seconds=0)
    counter.record(7, True)
    counter.flush(store)
    assert counter.pending(7) == (1, 0)
    store.database.close()


def test_every_blueprint_route_is_documented(app):
    paths = app.test_client().get("/openapi.json").get_json()["paths"]
    documented = {
        (method.upper(), path)
        for path, item in paths.items()
        if path.startswith("/cache")
        for method in item
        if method != "parameters"
    }
    routes = {
        (method, rule.rule.replace("<path:cache_key>", "{cache_key}"))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("cache.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == documented


def test_postgresql_writes_wait_for_the_wal_flush_by_default(app, database_url):
    from sim2l_cache_service.config import cache_config
    from sim2l_cache_service.config import connection_url

    if database_url.startswith("sqlite"):
        assert connection_url(cache_config({"database_url": database_url})) == database_url
        return
    database = app.extensions["sim2l_database"]
    database.connect(reuse_if_open=True)
    try:
        assert database.execute_sql("SHOW synchronous_commit").fetchone() == ("on",)
    finally:
        database.close()


def test_opt_in_fast_stores_skip_the_wal_flush_and_invalidations_do_not(
    make_app, app_config, database_url
):
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's synchronous_commit")
    app = make_app({**app_config, "postgresql_synchronous_commit": "off"})
    database = app.extensions["sim2l_database"]
    database.connect(reuse_if_open=True)
    try:
        assert database.execute_sql("SHOW synchronous_commit").fetchone() == ("off",)
        with database.atomic():
            state_of(app).store._durable_commit()
            assert database.execute_sql("SHOW synchronous_commit").fetchone() == ("on",)
    finally:
        database.close()


def test_synchronous_commit_setting_is_checked():
    from sim2l_cache_service.config import cache_config
    from sim2l_service_kit import ConfigError

    with pytest.raises(ConfigError, match="postgresql_synchronous_commit"):
        cache_config({"postgresql_synchronous_commit": "maybe"})
    url = "postgresql://u@h/db?options=-c%20work_mem%3D4MB"
    config = cache_config({"database_url": url})
    from sim2l_cache_service.config import connection_url

    assert connection_url(config) == url


def test_sqlite_checkpoints_run_in_a_background_thread(app, database_url):
    import threading

    store = state_of(app).store
    if not store.sqlite:
        return
    database = app.extensions["sim2l_database"]
    database.connect(reuse_if_open=True)
    assert database.execute_sql("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    database.close()
    store.ensure_checkpointer()
    assert any(thread.name == "sim2l-wal-checkpoint" for thread in threading.enumerate())


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("prepared", [True, False])
def test_postgresql_hot_statements_are_prepared_once_per_connection(
    make_app, app_config, tokens, prepared
):
    from entries import entry

    app = make_app({**app_config, "postgresql_prepared_statements": prepared})
    client = app.test_client()
    headers = {"X-Session-ID": tokens["admin"]}
    # One request at a time: the pool hands out its one connection each time,
    # so every request below runs on the connection inspected after.
    for version in ("1.0.0", "2.0.0"):
        stored = client.post(
            "/cache",
            json=entry(simulation_version=version),
            headers=headers,
        )
        assert stored.status_code in (200, 201)
        read = client.get("/cache/thermal_sim/350K/result", headers=headers)
        assert read.status_code == 200
        assert read.get_json()["simulation_version"] == version
    database = app.extensions["sim2l_database"]
    names = {
        name
        for (name,) in database.execute_sql("SELECT name FROM pg_prepared_statements").fetchall()
    }
    expected = {"sim2l_cache_lookup", "sim2l_cache_upsert"} if prepared else set()
    assert names == expected


def test_migration_rewrites_stored_answers_to_the_one_timestamp_format(database_url):
    import importlib

    import orjson
    from sim2l_service_kit.testing import RFC3339_UTC
    from sim2l_sessions.migrations import migrate

    database = database_from_url(database_url)
    migrate(database, "sim2l_cache_service.migrations")
    old_body = orjson.dumps(
        {"cache_key": "k", "created_at": "2026-12-01T04:00:00+00:00", "expires_at": "x"}
    ).decode()
    database.execute_sql(
        "INSERT INTO cache_entry (cache_key, simulation_id, simulation_name, simulation_version, "  # noqa: S608 (only the marker)
        "execution_id, squid_id, input_hash, run_db_path, body, created_at, expires_at) "
        f"VALUES ('k', 1, 's', '1', 'e', 'q', 'h', 'p', {database.param}, 1796097600.0, "
        "1796184000.0)",
        (old_body,),
    )
    importlib.import_module("sim2l_cache_service.migrations.0002_rfc3339_entry_times").up(
        database, None
    )
    (body,) = database.execute_sql("SELECT body FROM cache_entry").fetchone()
    answer = orjson.loads(body)
    assert answer["created_at"] == "2026-12-01T04:00:00.000000Z"
    assert answer["expires_at"] == "2026-12-02T04:00:00.000000Z"
    assert RFC3339_UTC.match(answer["created_at"]) and answer["cache_key"] == "k"
    database.close()
