"""RunDatabase figures against raw sqlite3 baselines measured in the same process.

- single-call writes/s (save_input, log, save_metric), each committed when it
  returns, against one-row raw sqlite3 transactions (WAL, synchronous=NORMAL);
- batch rows/s (save_inputs, log_many, save_metrics) against raw executemany;
- get_summary() milliseconds at two run sizes (it must not grow);
- the size of a typical run file.

Run with ``python tools/bench_report.py sim2l-core`` from the repository root.
"""

import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from sim2l_service_kit.testing.benchmarking import report

SINGLE_CALLS = 20_000
BATCH_ROWS = 200_000


def raw_connection(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(str(path), isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, value REAL)")
    return connection


def raw_single_rate(folder: Path) -> float:
    connection = raw_connection(folder / "raw-single.db")
    start = time.perf_counter()
    for n in range(SINGLE_CALLS):
        connection.execute("INSERT INTO t (name, value) VALUES (?, ?)", (f"x{n}", n * 1.5))
    rate = SINGLE_CALLS / (time.perf_counter() - start)
    connection.close()
    return rate


def raw_batch_rate(folder: Path) -> float:
    connection = raw_connection(folder / "raw-batch.db")
    rows = [(f"x{n}", n * 1.5) for n in range(BATCH_ROWS)]
    start = time.perf_counter()
    connection.execute("BEGIN")
    connection.executemany("INSERT INTO t (name, value) VALUES (?, ?)", rows)
    connection.execute("COMMIT")
    rate = BATCH_ROWS / (time.perf_counter() - start)
    connection.close()
    return rate


def single_rates(folder: Path) -> dict:
    from sim2l.rundb import RunDatabase

    run = RunDatabase("bench-single", base_path=folder)
    run.initialize_run("bench", "1.0", capture_environment=False)
    calls = {
        "save_input": lambda n: run.save_input(f"x{n}", n * 1.5, "number", units="kelvin"),
        "log": lambda n: run.log("INFO", f"step {n} done"),
        "save_metric": lambda n: run.save_metric("residual", n * 0.1, category="solver", step=n),
    }
    rates = {}
    for name, call in calls.items():
        start = time.perf_counter()
        for n in range(SINGLE_CALLS):
            call(n)
        rates[name] = SINGLE_CALLS / (time.perf_counter() - start)
    run.close()
    return rates


def batch_rates(folder: Path) -> dict:
    from sim2l.rundb import RunDatabase

    run = RunDatabase("bench-batch", base_path=folder)
    run.initialize_run("bench", "1.0", capture_environment=False)
    payloads = {
        "save_inputs": (run.save_inputs, {f"x{n}": n * 1.5 for n in range(BATCH_ROWS)}),
        "log_many": (run.log_many, [("INFO", f"step {n} done") for n in range(BATCH_ROWS)]),
        "save_metrics": (
            run.save_metrics,
            [("residual", n * 0.1, None, "solver", n) for n in range(BATCH_ROWS)],
        ),
    }
    rates = {}
    for name, (call, payload) in payloads.items():
        start = time.perf_counter()
        call(payload)
        rates[name] = BATCH_ROWS / (time.perf_counter() - start)
    run.close()
    return rates


def summary_milliseconds(folder: Path, rows: int) -> float:
    from sim2l.rundb import RunDatabase

    run = RunDatabase(f"bench-summary-{rows}", base_path=folder)
    run.initialize_run("bench", "1.0", capture_environment=False)
    run.save_inputs({f"in{n}": n for n in range(rows)})
    run.save_outputs({f"out{n}": n * 0.5 for n in range(rows)})
    run.log_many([("INFO", f"line {n}") for n in range(rows)])
    run.close()
    run = RunDatabase(f"bench-summary-{rows}", base_path=folder, read_only=True)
    repeats = 2000
    start = time.perf_counter()
    for _ in range(repeats):
        run.get_summary()
    milliseconds = (time.perf_counter() - start) / repeats * 1000
    run.close()
    return milliseconds


def typical_run_size(folder: Path) -> int:
    from sim2l.rundb import RunDatabase

    with RunDatabase("bench-typical", base_path=folder) as run:
        run.initialize_run("thermal_sim", "1.0.0")
        for n in range(20):
            run.save_parameter_schema(f"in{n}", "input", type="number", units="K", min_value=0)
            run.save_input(f"in{n}", 300.0 + n, "number", units="K")
            run.save_output(f"out{n}", 1.5e8 * n, "number", units="Pa")
        for n in range(1000):
            run.log("INFO", f"iteration {n}: residual {1.0 / (n + 1):.6f}", source="solver")
        for n in range(100):
            run.save_metric("residual", 1.0 / (n + 1), category="performance", step=n)
        for n in range(5):
            run.save_artifact(f"result-{n}.csv", content=os.urandom(2048), content_type="text/csv")
        run.complete_run("completed")
    return (folder / "bench-typical.db").stat().st_size


def main() -> int:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        raw_single = raw_single_rate(folder)
        for call, rate in single_rates(folder).items():
            report(
                f"rundb {call} single call, committed",
                rate,
                "calls/s",
                raw_single,
                "raw sqlite3 1-row txn",
            )
        raw_batch = raw_batch_rate(folder)
        for call, rate in batch_rates(folder).items():
            report(f"rundb {call} batch", rate, "rows/s", raw_batch, "raw executemany")
        small = summary_milliseconds(folder, 1_000)
        large = summary_milliseconds(folder, 10_000)
        report("rundb get_summary, 1k inputs+outputs+logs", small, "ms")
        report("rundb get_summary, 10k inputs+outputs+logs", large, "ms", small, "1k rows")
        size = typical_run_size(folder)
        report(
            "rundb typical run file (20 in, 20 out, 1k logs, 100 metrics, 5 files)",
            size / 1024,
            "KiB",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
