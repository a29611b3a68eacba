"""What sim2l adds around a trivial simulation, measured against calling the function itself.

Figures (all in the same run, so ratios are comparable):

- the bare function call (the baseline);
- ``sim.run()`` with no services: validate, hash, record everything in a new
  run file (a miss every time, as there is no cache); then the same with the
  run files in memory (/dev/shm), which leaves sim2l's own cost without the
  disk's;
- with the three services on this machine (SQLite, gunicorn, sync workers,
  started like ``sim2l services up``): a cache miss end to end (execute,
  record, then catalog, results and cache calls), and a cache hit end to end
  (validate, hash, cache GET, open the run file, read the outputs);
  target: a hit under 5 ms;
- the cache GET alone, to show how much of a hit is the HTTP round trip.

Run: ``cd /work/main && .venv/bin/python tools/bench_report.py sim2l-core``
(or this file directly). Measures and prints; asserts nothing.
"""

import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

# A private home and secret before anything sim2l reads the environment.
HOME = Path(tempfile.mkdtemp(prefix="sim2l-bench-runner-"))
for _name in [name for name in os.environ if name.startswith("SIM2L_")]:
    del os.environ[_name]
os.environ["SIM2L_HOME"] = str(HOME)
os.environ["SIM2L_SECRET_KEY"] = secrets.token_urlsafe(32)

import sim2l  # noqa: E402
from sim2l.cli import local_services  # noqa: E402
from sim2l.runner import Input  # noqa: E402
from sim2l.runner import Output  # noqa: E402
from sim2l.runner import Simulation  # noqa: E402
from sim2l.runner.links import make_client  # noqa: E402
from sim2l_service_kit.testing.benchmarking import free_port  # noqa: E402
from sim2l_service_kit.testing.benchmarking import report  # noqa: E402
from sim2l_sessions import get_session_manager  # noqa: E402


def double(x):
    """The trivial simulation."""
    return {"y": 2 * x}


SIMULATION = Simulation(
    double,
    name="bench_double",
    version="1.0.0",
    inputs={"x": Input("number", units="m")},
    outputs={"y": Output("number", units="m")},
)


def timed(call, count: int) -> list[float]:
    """Seconds taken by each of ``count`` calls of ``call(i)``."""
    samples = []
    for index in range(count):
        started = time.perf_counter()
        call(index)
        samples.append(time.perf_counter() - started)
    return samples


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    # Baseline: the bare function, many times for a stable figure.
    loops = 200_000
    started = time.perf_counter()
    for index in range(loops):
        double(index)
    bare_ms = (time.perf_counter() - started) / loops * 1000
    report("bare function call", bare_ms * 1000, "us")

    sim2l.configure(run_db_base_path=HOME / "runs-local")
    local = timed(lambda i: SIMULATION.run(x=float(i)), 200)
    local_ms = statistics.median(local) * 1000
    report(
        "run, no services (records a run file)",
        local_ms,
        "ms p50",
        bare_ms,
        "bare call",
        ratio=local_ms / bare_ms,
    )
    print(f"  no services: p50 {local_ms:.2f} ms, p99 {percentile(local, 0.99) * 1000:.2f} ms")
    if Path("/dev/shm").is_dir():
        # The same runs with the run files in memory: sim2l's own cost without
        # the disk's (creating the WAL files, the three syncs of settling).
        with tempfile.TemporaryDirectory(dir="/dev/shm") as folder:
            sim2l.configure(run_db_base_path=Path(folder))
            in_memory = statistics.median(timed(lambda i: SIMULATION.run(x=float(i)), 200))
        sim2l.configure(run_db_base_path=HOME / "runs-local")
        report(
            "run, no services, run files in memory (/dev/shm)",
            in_memory * 1000,
            "ms p50 (target < 2)",
            local_ms,
            "run files on disk",
        )

    ports = {name: free_port() for name in local_services.SERVICE_NAMES}
    try:
        state = local_services.up(ports=ports, say=lambda message: print("  " + message))
        urls = {name: state[name]["url"] for name in local_services.SERVICE_NAMES}
        session = get_session_manager().create_anonymous_session(privileges=["developer"])
        sim2l.configure(
            run_db_base_path=HOME / "runs",
            cache_service_url=urls["cache"],
            cache_session_id=session.session_id,
            catalog_service_url=urls["catalog"],
            catalog_session_id=session.session_id,
            results_service_url=urls["results"],
            results_session_id=session.session_id,
            catalog_auto_sync=True,
        )
        SIMULATION.run(x=-1.0)  # registers the simulation, opens the connections

        misses = timed(lambda i: SIMULATION.run(x=float(i)), 100)
        miss_ms = statistics.median(misses) * 1000
        report(
            "cache miss end to end (3 services)",
            miss_ms,
            "ms p50",
            bare_ms,
            "bare call",
            ratio=miss_ms / bare_ms,
        )
        print(f"  miss: p50 {miss_ms:.2f} ms, p99 {percentile(misses, 0.99) * 1000:.2f} ms")

        hits = timed(lambda i: SIMULATION.run(x=float(i % 100)), 1000)
        assert all(SIMULATION.run(x=float(i)).from_cache for i in range(3))
        hit_ms = statistics.median(hits) * 1000
        report(
            "cache hit end to end", hit_ms, "ms p50", bare_ms, "bare call", ratio=hit_ms / bare_ms
        )
        report("cache hit end to end, p99", percentile(hits, 0.99) * 1000, "ms (target < 5)")
        print(
            f"  hit: p50 {hit_ms:.2f} ms, mean {statistics.mean(hits) * 1000:.2f} ms, "
            f"p99 {percentile(hits, 0.99) * 1000:.2f} ms (target < 5 ms)"
        )

        cache = make_client("cache", urls["cache"], session.session_id, HOME / "runs")
        key = SIMULATION.cache_key(x=1.0)
        gets = timed(lambda i: cache.get(key), 1000)
        get_ms = statistics.median(gets) * 1000
        report(
            "cache GET alone (HTTP round trip)",
            get_ms,
            "ms p50",
            hit_ms,
            "cache hit",
            ratio=get_ms / hit_ms,
        )
    finally:
        local_services.down(say=lambda message: print("  " + message))
        shutil.rmtree(HOME, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
