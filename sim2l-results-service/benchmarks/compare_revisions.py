"""This revision's results service against another's, on one database, requests interleaved.

    ../.venv/bin/python benchmarks/compare_revisions.py OLD_PYTHONPATH [sqlite|postgresql]

``OLD_PYTHONPATH`` holds the other revision's source folders (for instance
``git archive REV | tar -x -C /tmp/rev`` and then
``/tmp/rev/sim2l-sessions/src:/tmp/rev/sim2l-service-kit/src:/tmp/rev/sim2l-results-service/src``).
One database is loaded with ``SIM2L_BENCH_RESULTS_RUNS`` runs (10,000 by default
here) as ``bench_results.py`` loads it; two gunicorn servers serve it, this
revision's and the other's, and every request of ``bench_results.py``'s query
set goes to both, alternating which goes first. On a shared, noisy machine a
change shows here that drift between two separate benchmark runs would hide.
Prints p50 and p95 of each query for both and the p50 ratio (new/old).
"""

import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SIM2L_BENCH_RESULTS_RUNS", "10000")

import bench_results as bench  # noqa: E402 - reads the run count at import
import requests  # noqa: E402
from sim2l_service_kit.testing.benchmarking import GunicornServer  # noqa: E402
from sim2l_service_kit.testing.benchmarking import scratch_postgres_database  # noqa: E402
from sim2l_sessions.database import database_from_url  # noqa: E402
from sim2l_sessions.manager import SessionManager  # noqa: E402
from sim2l_sessions.migrations import migrate  # noqa: E402

REVISIONS = ("old", "new")


def _load(url: str, backend: str) -> None:
    database = database_from_url(url)
    migrate(database, bench.MIGRATIONS)
    database.close()
    (bench.bulk_load_sqlite if backend == "sqlite" else bench.bulk_load_postgres)(url)


def _interleaved(sessions: dict, route: str, bodies: list[dict]) -> dict[str, list[float]]:
    """Each body to both revisions, alternating which goes first; milliseconds per revision."""
    times = {revision: [] for revision in REVISIONS}
    for index, body in enumerate(bodies):
        for revision in REVISIONS if index % 2 else reversed(REVISIONS):
            session, url = sessions[revision]
            started = time.perf_counter()
            session.post(url + route, json=body).raise_for_status()
            times[revision].append((time.perf_counter() - started) * 1000)
    return times


def compare(url: str, backend: str, old_pythonpath: str, home: Path, token: str) -> None:
    """Load ``url``, serve it with both revisions and print the interleaved figures."""
    _load(url, backend)
    env = {
        "SIM2L_HOME": str(home),
        "SIM2L_RESULTS_DATABASE_URL": url,
        "SIM2L_RESULTS_STORAGE_DIR": str(home / "files"),
        "SIM2L_SECRET_KEY": os.environ["SIM2L_SECRET_KEY"],
    }
    with (
        GunicornServer(bench.APP, env=env) as new,
        GunicornServer(bench.APP, env={**env, "PYTHONPATH": old_pythonpath}) as old,
    ):
        sessions = {}
        for revision, server in (("old", old), ("new", new)):
            session = requests.Session()
            session.headers["X-Session-ID"] = token
            sessions[revision] = (session, server.url)
        session, server_url = sessions["new"]
        sample = {"simulation_name": bench.SIMULATION, "limit": 200}
        found = session.post(server_url + "/results/search", json=sample).json()["items"]
        temperatures = [item["input_params"]["temperature"] for item in found]
        print(f"{backend}, {bench.RUNS:,} runs")
        columns = ("old p50", "new p50", "new/old", "old p95", "new p95")
        print(f"{'query':42} " + " ".join(f"{column:>8}" for column in columns))
        for name, bodies in bench._query_set(random.Random(3), temperatures).items():
            route = bench.route_of(name)
            _interleaved(sessions, route, bodies[:10])  # warm up both
            times = _interleaved(sessions, route, bodies * 2)
            old_p50, new_p50 = (statistics.median(times[revision]) for revision in REVISIONS)
            old_p95, new_p95 = (bench.percentile(times[revision], 0.95) for revision in REVISIONS)
            print(
                f"{name:42} {old_p50:8.2f} {new_p50:8.2f} {new_p50 / old_p50:8.2f}"
                f" {old_p95:8.2f} {new_p95:8.2f}",
                flush=True,
            )


def main() -> None:
    old_pythonpath = sys.argv[1]
    backend = sys.argv[2] if len(sys.argv) > 2 else "postgresql"
    with tempfile.TemporaryDirectory(prefix="sim2l-results-compare-") as name:
        home = Path(name)
        os.environ["SIM2L_HOME"] = str(home)
        os.environ.setdefault("SIM2L_SECRET_KEY", secrets.token_hex(32))
        token = SessionManager().create_session("bench", "user", ttl_hours=2).session_id
        if backend == "sqlite":
            compare(f"sqlite:///{home / 'results.db'}", backend, old_pythonpath, home, token)
            return
        with scratch_postgres_database("sim2l_compare_results") as url:
            if url is None:
                sys.exit("no PostgreSQL server (SIM2L_TEST_DATABASE_URL)")
            compare(url, backend, old_pythonpath, home, token)


if __name__ == "__main__":
    main()
