"""Acknowledged means durable: a PostgreSQL crash under load loses no write the service confirmed.

The database is a throwaway cluster this test starts on a free port
(``ThrowawayCluster``), never the shared server: ``pg_ctl stop -m immediate``
kills every backend without a checkpoint, as a power cut or an OOM kill of
the postmaster would. Writers from several threads store cache entries
through a 2-worker gunicorn service with its default settings; each write
whose 2xx came back is recorded. After the crash and a restart (WAL
recovery), every recorded entry must be in the database.

The service's SIGKILL counterpart is in ``test_faults.py``
(``test_sigkill_mid_burst_loses_no_acknowledged_write``).
"""

import time

import psycopg2
import pytest
from services import KillableService
from services import migrate_service
from sim2l_sessions.manager import SessionManager
from test_faults import burst_until_killed

ACKNOWLEDGED_BEFORE_CRASH = 2000  # writes confirmed before the crash, at least...
LOAD_SECONDS = 40  # ...or as many as this many seconds of load gave


def stored_keys(url: str) -> set[str]:
    """Every cache key in the database, read directly."""
    connection = psycopg2.connect(url, connect_timeout=10)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT cache_key FROM cache_entry")
            return {key for (key,) in cursor.fetchall()}
    finally:
        connection.close()


def crash_under_load(cluster, database_url: str, env: dict | None = None) -> tuple[int, list[str]]:
    """Crash PostgreSQL under a write burst; (acknowledged writes, the acknowledged ones lost)."""
    token = SessionManager().create_session("writer", "admin").session_id
    acknowledged: list[int] = []
    with KillableService("cache", database_url, env=env) as service:
        stop, threads = burst_until_killed(service.url, token, acknowledged, writers=6)
        try:
            deadline = time.monotonic() + LOAD_SECONDS
            while len(acknowledged) < ACKNOWLEDGED_BEFORE_CRASH and time.monotonic() < deadline:
                time.sleep(0.05)
            cluster.crash()  # mid-burst: writers are still sending
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=15)
    cluster.start()  # crash recovery
    present = stored_keys(database_url)
    lost = [f"burst/{index}" for index in acknowledged if f"burst/{index}" not in present]
    print(f"PostgreSQL crash: {len(lost)} of {len(acknowledged)} acknowledged writes lost")
    return len(acknowledged), lost


@pytest.mark.slow
def test_immediate_postgresql_stop_loses_no_acknowledged_write(cluster, sim2l_home):
    database_url = cluster.create_database("durability")
    migrate_service("cache", database_url)
    acknowledged, lost = crash_under_load(cluster, database_url)
    assert acknowledged >= 200
    assert lost == []
