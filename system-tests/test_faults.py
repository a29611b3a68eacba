"""Faults: a service SIGKILLed mid-burst, the database going away, dead or hung services.

Every write a client saw acknowledged must be there after a crash and
restart; nothing half-written; a database outage is a 503 while it lasts and
heals without restarting the service.
"""

import sqlite3
import threading
import time

import pytest
import requests
from services import KillableService
from services import migrate_service
from sim2l_cache_client import CacheClient
from sim2l_sessions.client_errors import ServiceConnectionError
from sim2l_sessions.client_errors import ServiceError
from sim2l_sessions.manager import SessionManager


def entry(index: int) -> dict:
    return {
        "cache_key": f"burst/{index}",
        "simulation_id": 7,
        "simulation_name": "burst_sim",
        "simulation_version": "1.0.0",
        "execution_id": f"exec-{index}",
        "squid_id": f"burst_sim/1.0.0/{index}",
        "input_hash": f"hash-{index}",
        "run_db_path": f"/runs/exec-{index}.db",
    }


def burst_until_killed(url: str, token: str, acknowledged: list, writers: int = 4):
    """Writers that POST entries as fast as they can and record each acknowledged key."""
    stop = threading.Event()

    def write(offset: int):
        client = CacheClient(url, session_id=token, timeout=2)
        client.retries = 0
        index = offset
        while not stop.is_set():
            try:
                client.set(ttl_hours=24, **entry(index))
            except ServiceError:
                return  # the service died under us: this write was not acknowledged
            acknowledged.append(index)
            index += writers

    threads = [threading.Thread(target=write, args=(offset,)) for offset in range(writers)]
    for thread in threads:
        thread.start()
    return stop, threads


@pytest.fixture
def cache_database_url(request, database_url):
    migrate_service("cache", database_url)
    return database_url


def test_sigkill_mid_burst_loses_no_acknowledged_write(cache_database_url, sim2l_home):
    token = SessionManager().create_session("writer", "admin").session_id
    acknowledged: list[int] = []
    service = KillableService("cache", cache_database_url).start()
    try:
        stop, threads = burst_until_killed(service.url, token, acknowledged)
        deadline = time.monotonic() + 10
        while len(acknowledged) < 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        service.kill()  # mid-burst: writers are still sending
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    finally:
        service.stop()
    assert len(acknowledged) >= 50

    if cache_database_url.startswith("sqlite"):
        path = cache_database_url[len("sqlite:///") :]
        connection = sqlite3.connect(path)
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        connection.close()

    with KillableService("cache", cache_database_url) as restarted:
        client = CacheClient(restarted.url, session_id=token)
        missing = [index for index in acknowledged if client.get(f"burst/{index}") is None]
        assert missing == []
        sample = client.get(f"burst/{acknowledged[-1]}")
        assert sample["execution_id"] == f"exec-{acknowledged[-1]}"  # whole rows, not halves


def _answers(url: str, headers: dict) -> int:
    return requests.get(url + "/cache/burst/1", headers=headers, timeout=10).status_code


@pytest.mark.parametrize("how", ["stop", "crash", "restart while idle"])
def test_database_outage_is_503_and_heals_without_restarting_the_service(cluster, sim2l_home, how):
    """The real thing on a private cluster: the server goes away and comes back.

    While it is down the service answers 503 ``database_unavailable`` (never a
    traceback), ``/ready`` says so and ``/health`` still answers. After it is
    back, every request succeeds at once: the pooled connections that died
    with the old server are dropped and replaced, not handed out again. With
    "restart while idle" no request comes during the outage, so every worker's
    pool still holds its dead connections when the first request arrives.
    """
    database_url = cluster.create_database("outage")
    migrate_service("cache", database_url)
    token = SessionManager().create_session("reader", "admin").session_id
    headers = {"X-Session-ID": token}
    with KillableService("cache", database_url, workers=2) as service:
        client = CacheClient(service.url, session_id=token)
        client.set(ttl_hours=1, **entry(1))
        # Several requests, so both workers hold pooled connections that will die.
        assert [_answers(service.url, headers) for _ in range(10)] == [200] * 10

        if how == "crash":
            cluster.crash()  # pg_ctl stop -m immediate: as an OOM kill or a power cut
        else:
            cluster.stop()  # a clean shutdown: every backend ends, new connections refused
        try:
            if how != "restart while idle":
                outage = requests.get(service.url + "/cache/burst/1", headers=headers, timeout=10)
                assert outage.status_code == 503
                assert outage.json()["error"]["code"] == "database_unavailable"
                assert "Traceback" not in outage.text and "psycopg2" not in outage.text
                assert requests.get(service.url + "/ready", timeout=10).status_code == 503
                assert requests.get(service.url + "/health", timeout=10).status_code == 200
        finally:
            cluster.start()  # same port, same data (after a crash: WAL recovery)

        # The first answer after the restart is already a 200, and so is every
        # one after it, on both workers.
        statuses = [_answers(service.url, headers) for _ in range(20)]
        assert statuses == [200] * 20
        client.set(ttl_hours=1, **entry(2))
        assert client.get("burst/2")["execution_id"] == "exec-2"
        assert requests.get(service.url + "/ready", timeout=10).status_code == 200


def test_clients_fail_clearly_against_a_dead_service(sim2l_home):
    token = SessionManager().create_session("x", "user").session_id
    service = KillableService("cache", f"sqlite:///{sim2l_home / 'dead.db'}")
    migrate_service("cache", service.database_url)
    service.start()
    url = service.url
    service.kill()
    service.stop()
    started = time.monotonic()
    with pytest.raises(ServiceConnectionError):
        CacheClient(url, session_id=token, timeout=2).get("anything")
    assert time.monotonic() - started < 30  # a clear error, never a hang
