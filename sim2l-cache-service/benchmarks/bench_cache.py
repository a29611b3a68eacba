"""Cache service throughput against the bare-Flask ceiling, in one run.

Under gunicorn (sync workers, -w2), loaded by wrk with 16 connections:

- the ceiling: ``sim2l_service_kit.testing.benchmarking:bare_flask_app()`` at ``/bare``;
- ``GET /cache/{key}`` hits on SQLite and on PostgreSQL (p50/p99 too);
- ``POST /cache`` upserts of fresh keys on SQLite and on PostgreSQL;
- a deep page of ``GET /cache/entries`` against its first page (10,000
  entries, 100 a page: page 90 against page 1), one request at a time, the
  ratio deep/first (keyset pages: about 1). This one needs no wrk.

Run: ``cd /work/main && .venv/bin/python tools/bench_report.py sim2l-cache-service``;
the deep-page figures alone: ``cd /work/main/sim2l-cache-service &&
../.venv/bin/python benchmarks/bench_cache.py --deep-pages``.
Targets (issue 4): GET >= 75% of the ceiling on SQLite, >= 55% on PostgreSQL,
p99 < 10 ms; POST >= 50% of the ceiling on SQLite. Measures; asserts nothing.
"""

import os
import secrets
import statistics
import sys
import tempfile
import time

import requests
from sim2l_cache_service.store import CacheStore
from sim2l_service_kit.testing.benchmarking import GunicornServer
from sim2l_service_kit.testing.benchmarking import report
from sim2l_service_kit.testing.benchmarking import run_wrk
from sim2l_service_kit.testing.benchmarking import scratch_postgres_database
from sim2l_service_kit.testing.benchmarking import wrk_available
from sim2l_sessions.database import database_from_url
from sim2l_sessions.manager import SessionManager
from sim2l_sessions.migrations import migrate

APP = "sim2l_cache_service.app:create_app()"
CEILING = "sim2l_service_kit.testing.benchmarking:bare_flask_app()"
PACKAGE = "sim2l_cache_service.migrations"
DURATION = 3  # seconds per wrk run; ROUNDS runs per figure, each beside a ceiling run
ROUNDS = 3
ENTRIES = 1000
KEY = "thermal_sim/350K/result-7"
# The deep-page figure: page DEEP_PAGE of PAGE_LIMIT entries among LISTED.
LISTED = 10_000
PAGE_LIMIT = 100
DEEP_PAGE = 90
PAGE_REPEATS = 40

POST_SCRIPT = """
local token = os.getenv("BENCH_TOKEN")
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
request = function()
  local key = string.format("bench/post/%d/%d", math.random(1, 2147483647),
                            math.random(1, 2147483647))
  local body = '{"cache_key":"' .. key .. '","simulation_id":7,"simulation_name":"thermal_sim",'
    .. '"simulation_version":"1.0.0","execution_id":"exec-bench",'
    .. '"squid_id":"thermal_sim/1.0.0/xyz",'
    .. '"input_hash":"hash123","run_db_path":"/path/to/run.db","ttl_hours":24}'
  return wrk.format("POST", "/cache", {["Content-Type"] = "application/json",
                                      ["X-Session-ID"] = token}, body)
end
"""


def fill(url: str, entries: int = ENTRIES) -> None:
    """Migrate the database and store ``entries`` entries directly."""
    database = database_from_url(url)
    migrate(database, PACKAGE)
    store = CacheStore(database, url)
    with database.atomic():
        for index in range(entries):
            values = {
                "cache_key": f"thermal_sim/350K/result-{index}",
                "simulation_id": 7,
                "simulation_name": "thermal_sim",
                "simulation_version": "1.0.0",
                "execution_id": f"exec-{index}",
                "squid_id": "thermal_sim/1.0.0/xyz",
                "input_hash": f"hash{index}",
                "run_db_path": f"/path/to/run-{index}.db",
            }
            store.store(values, {"temperature": 350}, 24 * 3600.0, time.time())
    if not store.sqlite:
        # A table filled a moment ago has no planner statistics yet (autovacuum
        # gathers them within a minute); without them PostgreSQL reads the
        # first page of the listing through a sort of every entry.
        database.execute_sql("ANALYZE cache_entry")
    database.close()


def interleaved(bare_url: str, url: str, headers=None, script=None) -> tuple[dict, dict]:
    """Alternate short wrk runs on the ceiling and on ``url``; return both, averaged.

    The machine is shared: its load drifts by tens of percent within a
    minute, so each figure is compared with ceiling runs taken between its
    own runs rather than with one ceiling run at the start.
    """
    targets, ceilings = [], []
    for _ in range(ROUNDS):
        ceilings.append(run_wrk(bare_url, duration=DURATION))
        targets.append(run_wrk(url, duration=DURATION, headers=headers, script=script))
    return _combine(targets), _combine(ceilings)


def _combine(runs: list[dict]) -> dict:
    middle = len(runs) // 2
    return {
        "requests_per_second": sum(r["requests_per_second"] for r in runs) / len(runs),
        "p50_ms": sorted(r["p50_ms"] for r in runs)[middle],
        "p99_ms": sorted(r["p99_ms"] for r in runs)[middle],
        "non_2xx": sum(r["non_2xx"] for r in runs),
        "socket_errors": sum(r["socket_errors"] for r in runs),
    }


def measure(backend: str, url: str, env: dict, token: str, bare_url: str, post_script: str) -> None:
    """GET hits and POST upserts of one backend, each beside its own ceiling runs."""
    fill(url)
    headers = {"X-Session-ID": token}
    with GunicornServer(APP, env={**env, "SIM2L_CACHE_DATABASE_URL": url}) as server:
        run_wrk(server.url + "/cache/" + KEY, duration=1, headers=headers)  # warm up
        get, get_ceiling = interleaved(bare_url, server.url + "/cache/" + KEY, headers=headers)
        post, post_ceiling = interleaved(bare_url, server.url + "/cache", script=post_script)
    print(f"{backend}: GET {get} (ceiling {get_ceiling})")
    print(f"{backend}: POST {post} (ceiling {post_ceiling})")
    ceiling_name = "bare Flask, same gunicorn, interleaved"
    report(
        f"cache GET hit /s, {backend}, 16 conns",
        get["requests_per_second"],
        "req/s",
        baseline=get_ceiling["requests_per_second"],
        baseline_name=ceiling_name,
    )
    report(
        f"cache GET p50, {backend}",
        get["p50_ms"],
        "ms",
        baseline=get_ceiling["p50_ms"],
        baseline_name="bare Flask p50",
    )
    report(
        f"cache GET p99, {backend}",
        get["p99_ms"],
        "ms",
        baseline=get_ceiling["p99_ms"],
        baseline_name="bare Flask p99",
    )
    report(
        f"cache POST /s, {backend}, 16 conns",
        post["requests_per_second"],
        "req/s",
        baseline=post_ceiling["requests_per_second"],
        baseline_name=ceiling_name,
    )
    report(
        f"cache POST p99, {backend}",
        post["p99_ms"],
        "ms",
        baseline=post_ceiling["p99_ms"],
        baseline_name="bare Flask p99",
    )
    if get["non_2xx"] or post["non_2xx"] or get["socket_errors"] or post["socket_errors"]:
        print(
            f"WARNING {backend}: non-2xx GET {get['non_2xx']} POST {post['non_2xx']}, "
            f"socket errors GET {get['socket_errors']} POST {post['socket_errors']}"
        )


def page_times(http, url: str, first: dict, deep: dict) -> tuple[float, float]:
    """Median milliseconds of the ``first`` and the ``deep`` page, asked alternately."""
    timings = {"first": [], "deep": []}
    for round_number in range(PAGE_REPEATS + 5):
        for name, params in (("first", first), ("deep", deep)):
            started = time.perf_counter()
            http.get(url, params=params, timeout=30).raise_for_status()
            if round_number >= 5:  # the first rounds warm connections and caches
                timings[name].append((time.perf_counter() - started) * 1000)
    return statistics.median(timings["first"]), statistics.median(timings["deep"])


def deep_pages(backend: str, url: str, env: dict, token: str) -> None:
    """Page DEEP_PAGE of GET /cache/entries against page 1, among LISTED entries."""
    fill(url, LISTED)
    with GunicornServer(APP, env={**env, "SIM2L_CACHE_DATABASE_URL": url}) as server:
        http = requests.Session()
        http.headers["X-Session-ID"] = token
        listing = server.url + "/cache/entries"
        cursor = None
        for _ in range(DEEP_PAGE - 1):  # the cursor that asks for page DEEP_PAGE
            params = {"limit": PAGE_LIMIT, **({"cursor": cursor} if cursor else {})}
            cursor = http.get(listing, params=params, timeout=30).json()["next_cursor"]
        deep = {"limit": PAGE_LIMIT, "cursor": cursor}
        items = http.get(listing, params=deep, timeout=30).json()["items"]
        assert len(items) == PAGE_LIMIT, len(items)
        first, deep_ms = page_times(http, listing, {"limit": PAGE_LIMIT}, deep)
        http.close()
    print(f"{backend}: entries page 1 {first:.2f} ms, page {DEEP_PAGE} {deep_ms:.2f} ms")
    report(
        f"cache entries page {DEEP_PAGE} vs page 1 ({LISTED:,} entries, {PAGE_LIMIT} a page), "
        f"{backend}",
        deep_ms,
        "ms",
        baseline=first,
        baseline_name="page 1",
    )


def bench_environment(home: str) -> tuple[dict, str]:
    """``(env, token)``: the servers' environment in ``home`` (also set in this process),
    and a user session whose token wrk's POST script reads as ``BENCH_TOKEN``."""
    env = {
        "SIM2L_HOME": home,
        "SIM2L_SECRET_KEY": "bench-secret-" + secrets.token_hex(16),
        "SIM2L_CACHE_ANONYMOUS_SESSIONS": "true",
    }
    os.environ.update(env)
    token = SessionManager().create_session("bench", "user").session_id
    env["BENCH_TOKEN"] = os.environ["BENCH_TOKEN"] = token
    return env, token


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="sim2l-bench-cache-") as home:
        env, token = bench_environment(home)
        deep_pages("sqlite", f"sqlite:///{home}/listing.db", env, token)
        with scratch_postgres_database("sim2l_bench_cache_pages") as url:
            if url is not None:
                deep_pages("postgresql", url, env, token)
        if "--deep-pages" in sys.argv[1:]:
            return 0
        if not wrk_available():
            print("wrk is not installed; skipping the cache throughput figures")
            return 0
        script = os.path.join(home, "post.lua")
        with open(script, "w") as handle:
            handle.write(POST_SCRIPT)

        with GunicornServer(CEILING) as bare:
            bare_url = bare.url + "/bare"
            run_wrk(bare_url, duration=1)  # warm up
            measure("sqlite", f"sqlite:///{home}/cache.db", env, token, bare_url, script)
            if os.environ.get("BENCH_CACHE_BACKENDS", "sqlite,postgresql") == "sqlite":
                return 0
            with scratch_postgres_database("sim2l_bench_cache") as url:
                if url is not None:
                    measure("postgresql", url, env, token, bare_url, script)
        return 0


if __name__ == "__main__":
    sys.exit(main())
