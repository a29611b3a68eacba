"""The command line: migrate, and serve under gunicorn (a real server process)."""

import os
import signal
import subprocess
import sys
import time

import requests
from sim2l_cache_client import CacheClient
from sim2l_cache_service.cli import main
from sim2l_service_kit.testing.benchmarking import free_port
from sim2l_sessions import SessionManager
from sim2l_sessions.database import database_from_url
from sim2l_sessions.migrations import pending_migrations
from tests.conftest import ENTRY


def test_migrate_applies_every_migration(database_url):
    assert main(["migrate", "--db-url", database_url]) == 0
    database = database_from_url(database_url)
    assert pending_migrations(database, "sim2l_cache_service.migrations") == []
    database.close()


def test_postgresql_backend_needs_a_url(capsys):
    assert main(["serve", "--backend", "postgresql"]) == 1
    assert "--db-url" in capsys.readouterr().err


def test_backend_and_url_must_agree(tmp_path, capsys):
    arguments = ["migrate", "--backend", "postgresql", "--db-url", f"sqlite:///{tmp_path}/c.db"]
    assert main(arguments) == 1
    assert "does not match" in capsys.readouterr().err


def _wait_ready(url: str, process) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()
        try:
            if requests.get(url + "/ready", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError("the service did not become ready")


def test_serve_under_gunicorn_and_flush_counts_at_exit(database_url, sim2l_home):
    """The seed's flags alone start gunicorn; counts unflushed at shutdown are written then."""
    port = free_port()
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    environment = {**os.environ, "SIM2L_CACHE_STATS_FLUSH_SECONDS": "3600"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim2l_cache_service",
            "--backend",
            backend,
            "--db-url",
            database_url,
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        token = SessionManager().create_session("ursula", "user").session_id
        with CacheClient(url, session_id=token) as cache:
            cache.set(**ENTRY)
            assert cache.get(ENTRY["cache_key"])["execution_id"] == "exec-001"
            assert cache.get("missing") is None
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        process.stderr.close()
    database = database_from_url(database_url)
    rows = dict(
        (row[0], (row[1], row[2]))
        for row in database.execute_sql("SELECT simulation_id, hits, misses FROM cache_stats")
    )
    database.close()
    assert rows == {42: (1, 0), -1: (0, 1)}
