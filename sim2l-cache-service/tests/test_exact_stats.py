"""Cache statistics under gunicorn with two workers: exact, prompt and never decreasing.

Each worker counts in memory and a thread of it writes the counts; whichever
worker answers ``GET /cache/stats``, the figures must reach exactly what was
answered within about a second of the last read (also with the service idle
afterwards) and must never go down from one answer to the next. The threaded
test server would hide the defect: one process is the whole service there.
"""

import time

import requests
from sim2l_cache_client import CacheClient
from sim2l_service_kit.testing.benchmarking import GunicornServer
from sim2l_sessions.database import database_from_url
from sim2l_sessions.migrations import migrate
from tests.conftest import entry

APP = "sim2l_cache_service.app:create_app()"
VISIBLE_WITHIN = 2.0  # seconds: the flush interval (0.5 s) and a write, on a busy machine


def test_counts_are_exact_prompt_and_never_decrease_across_workers(database_url, manager):
    database = database_from_url(database_url)
    migrate(database, "sim2l_cache_service.migrations")
    database.close()
    token = manager.create_session("ada", "admin").session_id
    headers = {"X-Session-ID": token}
    env = {"SIM2L_CACHE_DATABASE_URL": database_url}
    with GunicornServer(APP, env=env, workers=2) as server:
        client = CacheClient(server.url, session_id=token)
        client.set(**entry(cache_key="stats/hit", simulation_id=9))
        client.set(**entry(cache_key="stats/gone", simulation_id=9))
        client.invalidate(key_pattern="stats/gone", reason="test")
        for _ in range(4):
            # A new connection per read: the two workers take turns.
            hit = requests.get(server.url + "/cache/stats/hit", headers=headers, timeout=10)
            assert hit.status_code == 200
        miss = requests.get(server.url + "/cache/stats/gone", headers=headers, timeout=10)
        assert miss.status_code == 404
        last_read = time.monotonic()

        # The service is idle from here on: only statistics are asked for.
        readings = []
        reached_at = None
        while time.monotonic() - last_read < VISIBLE_WITHIN + 1 and len(readings) < 400:
            stats = requests.get(
                server.url + "/cache/stats",
                params={"simulation_id": 9},
                headers=headers,
                timeout=10,
            ).json()
            readings.append((stats["hits"], stats["misses"]))
            if reached_at is None and readings[-1] == (4, 1):
                reached_at = time.monotonic()
            if reached_at is not None and len(readings) >= 12:
                break
            time.sleep(0.02)
        client.close()

    assert reached_at is not None, readings
    print(f"exact after {reached_at - last_read:.2f} s; readings {readings[:12]}...")
    assert reached_at - last_read < VISIBLE_WITHIN
    assert readings[-1] == (4, 1)  # counted once: never more than was answered
    for earlier, later in zip(readings, readings[1:]):
        assert later[0] >= earlier[0] and later[1] >= earlier[1], readings
