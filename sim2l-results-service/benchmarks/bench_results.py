"""Results service figures, on SQLite and PostgreSQL in one run.

- introspection time of one run file with 20 inputs and 20 outputs (the seed
  claims under 1 s; the target is under 50 ms);
- bulk registration: runs/s uploaded by ``ResultsClient.bulk_register`` to the
  service under gunicorn (every run a real file written by sim2l-core's
  RunDatabase, introspected and stored by the service);
- search latency p50/p95 over 100,000 registered runs with two range filters
  (fresh random ranges per request, sequential client, through HTTP), the
  same for parameter statistics over all 100,000 runs and over the filtered
  ones, and search throughput with wrk against the bare Flask ceiling.

The 100,000 runs of the search figures are written straight into the
service's tables with bulk SQL (the same rows registration writes: 20 inputs
and 20 outputs each), because uploading 100,000 files would take longer than
the whole benchmark may; the value indexes are dropped for the load and
recreated with the migration's own DDL. Benchmarks measure; they never assert.
"""

import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson
import requests
from sim2l.rundb import RunDatabase
from sim2l_results_client import ResultsClient
from sim2l_results_service.runfile import read_run_file
from sim2l_service_kit.testing.benchmarking import GunicornServer
from sim2l_service_kit.testing.benchmarking import report
from sim2l_service_kit.testing.benchmarking import run_wrk
from sim2l_service_kit.testing.benchmarking import scratch_postgres_database
from sim2l_service_kit.testing.benchmarking import wrk_available
from sim2l_sessions.database import database_from_url
from sim2l_sessions.manager import SessionManager
from sim2l_sessions.migrations import migrate

MIGRATIONS = "sim2l_results_service.migrations"
APP = "sim2l_results_service.app:create_app()"
RUNS = 100_000
PARAMS = 20
SIMULATION = "bench_sim"
UPLOADS = 200


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_values(rng: random.Random, n: int) -> tuple[dict, dict]:
    """20 inputs and 20 outputs; temperature and max_stress are the searched ones."""
    inputs = {
        "temperature": round(rng.uniform(0, 1000), 3),
        "material": rng.choice(["steel", "copper", "alu"]),
    }
    outputs = {"max_stress": rng.gauss(2e8, 5e7), "converged": rng.random() < 0.9}
    for i in range(PARAMS - 2):
        inputs[f"in_{i:02d}"] = rng.random() * 100
        outputs[f"out_{i:02d}"] = rng.random()
    return inputs, outputs


def write_run(folder: Path, execution_id: str, inputs: dict, outputs: dict) -> Path:
    with RunDatabase(execution_id, base_path=folder) as run:
        run.initialize_run(SIMULATION, "1.0.0", capture_environment=False)
        run.save_inputs(inputs)
        run.save_outputs(outputs)
        run.complete_run(duration_seconds=1.0)
        return run.path


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def bench_introspection(folder: Path) -> None:
    inputs, outputs = run_values(random.Random(1), 0)
    path = write_run(folder, "introspect-me", inputs, outputs)
    for _ in range(20):
        read_run_file(path)
    times = []
    for _ in range(300):
        started = time.perf_counter()
        read_run_file(path)
        times.append((time.perf_counter() - started) * 1000)
    report(
        "introspection per run (20 in, 20 out), mean",
        statistics.fmean(times),
        "ms",
        baseline=1000.0,
        baseline_name="seed claim: under 1 s",
    )
    report(
        "introspection per run (20 in, 20 out), p95",
        percentile(times, 0.95),
        "ms",
        baseline=50.0,
        baseline_name="target 50 ms",
    )


# ----------------------------------------------------------------------------- bulk load


def _result_rows(rng: random.Random, start_id: int, count: int, now: float):
    for result_id in range(start_id, start_id + count):
        inputs, outputs = run_values(rng, result_id)
        execution_id = f"bulk-{result_id:07d}"
        created = now - (start_id + count - result_id) * 10.0
        result = (
            result_id,
            execution_id,
            SIMULATION,
            "1.0.0",
            "completed",
            created,
            created + 1.0,
            1.0,
            now,
            2,
            40960,
            secrets.token_hex(32),
            PARAMS,
            PARAMS,
            0,
            orjson.dumps(inputs).decode(),
            orjson.dumps(outputs).decode(),
            '{"input":{},"output":{}}',
            "[]",
            "[]",
        )
        values = []
        for param_class, params in (("input", inputs), ("output", outputs)):
            for name, value in params.items():
                if isinstance(value, bool):
                    values.append(
                        (result_id, SIMULATION, param_class, name, "bool", float(value), None)
                    )
                elif isinstance(value, str):
                    values.append((result_id, SIMULATION, param_class, name, "str", None, value))
                else:
                    values.append(
                        (result_id, SIMULATION, param_class, name, "float", float(value), None)
                    )
        yield result, values


RESULT_COLUMNS = (
    "id, execution_id, simulation_name, simulation_version, status, created_at, completed_at, "
    "duration_seconds, registered_at, schema_version, file_size, sha256, input_count, "
    "output_count, artifact_count, inputs_json, outputs_json, units_json, artifacts_json, "
    "schema_keys_json"
)
VALUE_COLUMNS = "result_id, simulation_name, param_class, name, value_type, num_value, str_value"
VALUE_INDEXES = ("results_value_num", "results_value_str")


def _value_index_ddl(database) -> list[str]:
    import importlib

    initial = importlib.import_module(f"{MIGRATIONS}.0001_initial")
    return [
        s for s in initial.statements(database) if any(f" {name} " in s for name in VALUE_INDEXES)
    ]


def bulk_load_sqlite(url: str) -> None:
    import sqlite3

    database = database_from_url(url)
    index_ddl = _value_index_ddl(database)
    connection = sqlite3.connect(url[len("sqlite:///") :])
    connection.execute("PRAGMA synchronous=OFF")
    for name in VALUE_INDEXES:
        connection.execute(f"DROP INDEX {name}")
    rng = random.Random(42)
    now = time.time()
    batch = 10_000
    first = connection.execute("SELECT coalesce(max(id), 0) + 1 FROM results_result").fetchone()[0]
    for start in range(first, first + RUNS, batch):
        results, values = [], []
        for result, rows in _result_rows(rng, start, min(batch, first + RUNS - start), now):
            results.append(result)
            values += rows
        connection.executemany(
            f"INSERT INTO results_result ({RESULT_COLUMNS}) VALUES ({', '.join('?' * 20)})",  # noqa: S608 (fixed SQL)
            results,
        )
        connection.executemany(
            f"INSERT INTO results_parameter_value ({VALUE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608 (fixed SQL; values are bound parameters)
            values,
        )
        connection.commit()
    for statement in index_ddl:
        connection.execute(statement)
    connection.execute("ANALYZE")
    connection.commit()
    connection.close()


def _copy_text(rows) -> str:
    def field(value):
        if value is None:
            return "\\N"
        text = str(value) if not isinstance(value, float) else repr(value)
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

    return "".join("\t".join(field(v) for v in row) + "\n" for row in rows)


def bulk_load_postgres(url: str) -> None:
    import io

    import psycopg2

    database = database_from_url(url)
    index_ddl = _value_index_ddl(database)
    connection = psycopg2.connect(url)
    cursor = connection.cursor()
    for name in VALUE_INDEXES:
        cursor.execute(f"DROP INDEX {name}")
    rng = random.Random(42)
    now = time.time()
    batch = 20_000
    cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM results_result")
    first = cursor.fetchone()[0]
    for start in range(first, first + RUNS, batch):
        results, values = [], []
        for result, rows in _result_rows(rng, start, min(batch, first + RUNS - start), now):
            results.append(result)
            values += rows
        cursor.copy_expert(
            f"COPY results_result ({RESULT_COLUMNS}) FROM STDIN", io.StringIO(_copy_text(results))
        )
        cursor.copy_expert(
            f"COPY results_parameter_value ({VALUE_COLUMNS}) FROM STDIN",
            io.StringIO(_copy_text(values)),
        )
    cursor.execute("SELECT setval('results_result_id_seq', (SELECT max(id) FROM results_result))")
    cursor.execute("SET maintenance_work_mem = '256MB'")
    for statement in index_ddl:
        cursor.execute(statement)
    connection.commit()
    connection.autocommit = True
    cursor.execute("VACUUM ANALYZE")
    connection.close()


# ----------------------------------------------------------------------------- HTTP figures


def bench_registration(label: str, server_url: str, token: str, folder: Path) -> None:
    rng = random.Random(7)
    paths = [
        write_run(folder, f"upload-{label}-{n:04d}", *run_values(rng, n)) for n in range(UPLOADS)
    ]
    client = ResultsClient(server_url, session_id=token)
    client.register_result(paths[0])  # warm up
    started = time.perf_counter()
    summary = client.bulk_register(paths[1:], progress=False)
    elapsed = time.perf_counter() - started
    if summary["failed"]:
        log(f"registration failures: {summary['failed'][:3]}")
    report(
        f"{label}: bulk registration, one client (20 in, 20 out per run)",
        (UPLOADS - 1) / elapsed,
        "runs/s",
    )


def _search_body(rng: random.Random) -> dict:
    low = rng.uniform(0, 900)
    return {
        "simulation_name": SIMULATION,
        "input_filters": {"temperature": {"between": [low, low + 100]}},
        "output_filters": {"max_stress": {"lt": rng.uniform(1.5e8, 2.5e8)}},
        "limit": 50,
    }


def _latencies(session, url: str, bodies: list[dict]) -> tuple[list[float], int]:
    times, matched = [], 0
    for body in bodies:
        started = time.perf_counter()
        response = session.post(
            url, data=orjson.dumps(body), headers={"Content-Type": "application/json"}
        )
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        matched += len(response.json().get("items", []))
    return times, matched


def bench_search(label: str, server_url: str, token: str, bare_rps: float | None) -> None:
    session = requests.Session()
    session.headers["X-Session-ID"] = token
    rng = random.Random(3)
    searches = [_search_body(rng) for _ in range(300)]
    _latencies(session, server_url + "/results/search", searches[:30])  # warm up
    times, matched = _latencies(session, server_url + "/results/search", searches)
    log(f"{label}: search returned {matched / len(searches):.1f} items per page on average")
    report(f"{label}: search p50, {RUNS:,} runs, 2 range filters", percentile(times, 0.5), "ms")
    report(
        f"{label}: search p95, {RUNS:,} runs, 2 range filters",
        percentile(times, 0.95),
        "ms",
        baseline=50.0,
        baseline_name="target 50 ms",
    )

    all_stats = [
        {"simulation_name": SIMULATION, "param_name": "max_stress", "param_class": "output"}
    ] * 40
    times, _ = _latencies(session, server_url + "/parameters/stats", all_stats)
    report(
        f"{label}: parameter stats p95 over all {RUNS:,} runs",
        percentile(times, 0.95),
        "ms",
        baseline=50.0,
        baseline_name="target 50 ms",
    )
    filtered = [{**_search_body(rng), "param_name": "max_stress"} for _ in range(100)]
    for body in filtered:
        body.pop("limit")
    times, _ = _latencies(session, server_url + "/parameters/stats", filtered)
    report(
        f"{label}: parameter stats p95 over the 2-filter matches",
        percentile(times, 0.95),
        "ms",
        baseline=50.0,
        baseline_name="target 50 ms",
    )

    if bare_rps and wrk_available():
        script = Path(tempfile.mkdtemp()) / "search.lua"
        body = orjson.dumps(_search_body(random.Random(11))).decode().replace('"', '\\"')
        script.write_text(
            f'wrk.method = "POST"\nwrk.body = "{body}"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
        result = run_wrk(
            server_url + "/results/search",
            headers={"X-Session-ID": token},
            script=str(script),
            duration=5,
        )
        report(
            f"{label}: search throughput (wrk -c16, gunicorn -w2)",
            result["requests_per_second"],
            "req/s",
            baseline=bare_rps,
            baseline_name="bare Flask JSON endpoint",
        )
        report(f"{label}: search p99 under load", result["p99_ms"], "ms")


def bench_backend(label: str, url: str, home: Path, token: str, bare_rps: float | None) -> None:
    database = database_from_url(url)
    migrate(database, MIGRATIONS)
    database.close()
    env = {
        "SIM2L_HOME": str(home),
        "SIM2L_RESULTS_DATABASE_URL": url,
        "SIM2L_RESULTS_STORAGE_DIR": str(home / f"files-{label}"),
        "SIM2L_SECRET_KEY": os.environ["SIM2L_SECRET_KEY"],
    }
    with GunicornServer(APP, env=env) as server:
        bench_registration(label, server.url, token, home / f"runs-{label}")
    started = time.perf_counter()
    (bulk_load_sqlite if label == "sqlite" else bulk_load_postgres)(url)
    log(
        f"{label}: loaded {RUNS:,} runs ({RUNS * PARAMS * 2:,} values) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    with GunicornServer(APP, env=env) as server:
        bench_search(label, server.url, token, bare_rps)


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="sim2l-results-bench-"))
    os.environ["SIM2L_HOME"] = str(home)
    os.environ.setdefault("SIM2L_SECRET_KEY", secrets.token_hex(32))
    token = SessionManager().create_session("bench", "user", ttl_hours=2).session_id

    bench_introspection(home / "introspection")

    bare_rps = None
    if wrk_available():
        with GunicornServer("sim2l_service_kit.testing.benchmarking:bare_flask_app()") as bare:
            bare_rps = run_wrk(bare.url + "/bare", duration=5)["requests_per_second"]

    bench_backend("sqlite", f"sqlite:///{home / 'results.db'}", home, token, bare_rps)

    with scratch_postgres_database("sim2l_bench_results") as url:
        if url is not None:
            bench_backend("postgresql", url, home, token, bare_rps)


if __name__ == "__main__":
    main()
