"""The cost of creating and completing one run file, against a bare sqlite3 file.

A run file here is what the runner writes for a run with no services: open a
new file, ``initialize_run`` (with the environment and installed packages),
the parameter schemas, 20 inputs, a tag, the source's provenance, four
metrics, a resource sample, 20 outputs, ``complete_run``, close. The baseline,
measured in the same run, is the bare call underneath: a new SQLite file in
WAL mode with one table, 40 rows in one transaction, closed.

Run: ``python tools/bench_report.py sim2l-core`` from the repository root,
or this file directly. Measures and prints; asserts nothing.
"""

import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sim2l_service_kit.testing.benchmarking import report

REPEATS = 300
PARAMETERS = 20


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def bare_file(path: Path) -> None:
    """The baseline: a new WAL file, one table, 40 rows in one transaction, closed."""
    connection = sqlite3.connect(str(path), isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE t (name TEXT PRIMARY KEY, value REAL)")
    connection.execute("BEGIN")
    connection.executemany(
        "INSERT INTO t (name, value) VALUES (?, ?)",
        [(f"p{n}", n * 1.5) for n in range(2 * PARAMETERS)],
    )
    connection.execute("COMMIT")
    connection.close()


SCHEMA = {
    "inputs": {
        f"in{n}": {"type": "number", "units": "K", "min": 0, "max": 1e6, "default": 1.0}
        for n in range(PARAMETERS)
    },
    "outputs": {f"out{n}": {"type": "number", "units": "Pa"} for n in range(PARAMETERS)},
}


def run_file(folder: Path, index: int) -> None:
    """What the runner writes for one run, as the runner calls it."""
    from sim2l.rundb import RunDatabase

    run = RunDatabase(f"bench-{index}", base_path=folder)
    try:
        run.initialize_run(
            "bench_sim",
            "1.0.0",
            username="bench",
            input_hash="0" * 64,
            squid_id="bench_sim/1.0.0/key",
            metadata={"cache_key": "key", "tags": ["bench"]},
        )
        run.save_parameter_schemas(SCHEMA)
        run.save_inputs(
            [
                {"name": f"in{n}", "value": 300.0 + n, "type": "number", "units": "K"}
                for n in range(PARAMETERS)
            ]
        )
        run.add_tag("bench")
        run.add_provenance("source_code", "bench:run_file", sha256="1" * 64, details={"a": 1})
        run.save_metrics(
            [
                {"name": "wall_time", "value": 0.001, "unit": "s", "category": "performance"},
                {"name": "cpu_time", "value": 0.001, "unit": "s", "category": "performance"},
                {"name": "peak_memory", "value": 1e6, "unit": "bytes", "category": "performance"},
                {"name": "peak_rss", "value": 1e8, "unit": "bytes", "category": "performance"},
            ]
        )
        run.save_resource_usage(memory_bytes=100_000_000, peak_memory_bytes=1_000_000)
        run.save_outputs(
            [
                {"name": f"out{n}", "value": 1.5e8 * n, "type": "number", "units": "Pa"}
                for n in range(PARAMETERS)
            ]
        )
        run.complete_run("completed", duration_seconds=0.001)
    finally:
        run.close()


def timed(call, folder: Path, count: int) -> list[float]:
    samples = []
    for index in range(count):
        started = time.perf_counter()
        call(folder, index)
        samples.append(time.perf_counter() - started)
    return samples


def main() -> int:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        run_file(folder, -1)  # imports, the package list and the schema text, once
        # Interleaved rounds, so both figures see the same machine load.
        bare, sim2l = [], []
        for round_index in range(3):
            bare += timed(
                lambda f, i, r=round_index: bare_file(f / f"bare-{r}-{i}.db"), folder, REPEATS // 3
            )
            sim2l += timed(
                lambda f, i, r=round_index: run_file(f, r * REPEATS + i), folder, REPEATS // 3
            )
    bare_p50 = statistics.median(bare) * 1000
    run_p50 = statistics.median(sim2l) * 1000
    report(
        f"run file create+complete p50 ({PARAMETERS} in, {PARAMETERS} out)",
        run_p50,
        "ms",
        bare_p50,
        "bare sqlite3 file, 40 rows",
    )
    report(
        "run file create+complete p95",
        percentile(sim2l, 0.95) * 1000,
        "ms",
        percentile(bare, 0.95) * 1000,
        "bare sqlite3 file p95",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
