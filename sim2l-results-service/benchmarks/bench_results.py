"""Results service figures, on SQLite and PostgreSQL in one run.

- introspection time of one run file with 20 inputs and 20 outputs (the seed
  claims under 1 s; the target is under 50 ms);
- bulk registration: runs/s uploaded by ``ResultsClient.bulk_register`` to the
  service under gunicorn (every run a real file written by sim2l-core's
  RunDatabase, introspected and stored by the service);
- search latency p50/p95 over 100,000 registered runs for each query of the
  issue's set (fresh values per request, sequential client, through HTTP),
  with both backends served at once and each request body sent to SQLite and
  then PostgreSQL, so the ratio holds however the machine's load comes and
  goes; search throughput with wrk against the bare Flask ceiling;
- a deep page (page 50, reached by cursor) of five searches against their
  first page, and each page on PostgreSQL against SQLite, every body's pages
  sent to both backends in turn: keyset pages should cost alike.

The 100,000 runs of the search figures are written straight into the
service's tables with bulk SQL (the same rows registration writes: 20 inputs
and 20 outputs each), because uploading 100,000 files would take longer than
the whole benchmark may; the value indexes are dropped for the load and
recreated with the migration's own DDL. Benchmarks measure; they never assert.
"""

import contextlib
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
RUNS = int(os.environ.get("SIM2L_BENCH_RESULTS_RUNS", "100000"))
REQUESTS = 100  # per query of the set
PARAMS = 20
SIMULATION = "bench_sim"
UPLOADS = 200
# "columns": only the bulk load and the columnar figures (the rest takes most of the run);
# "search": only the bulk load, the search figures and the deep pages (no wrk, no uploads)
ONLY = os.environ.get("SIM2L_BENCH_RESULTS_ONLY", "")
DEEP_PAGE = 50  # the page whose cost a keyset page must hold to the first page's
DEEP_LIMIT = 50  # runs per page in the deep-page figures
DEEP_SAMPLES = 40
# the chosen parameters of the columnar figures
COLUMNS = ["temperature", "material", "in_00", "max_stress", "converged", "out_00"]


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
                    kind, number, text = "bool", float(value), None
                elif isinstance(value, str):
                    kind, number, text = "str", None, value
                else:
                    kind, number, text = "float", float(value), None
                values.append(
                    (result_id, SIMULATION, param_class, name, kind, number, text, created)
                )
        yield result, values


RESULT_COLUMNS = (
    "id, execution_id, simulation_name, simulation_version, status, created_at, completed_at, "
    "duration_seconds, registered_at, schema_version, file_size, sha256, input_count, "
    "output_count, artifact_count, inputs_json, outputs_json, units_json, artifacts_json, "
    "schema_keys_json"
)
VALUE_COLUMNS = (
    "result_id, simulation_name, param_class, name, value_type, num_value, str_value, created_at"
)
SCHEMA_COLUMNS = (
    "simulation_name, simulation_version, param_class, name, fingerprint, schema_json, "
    "run_count, first_seen, last_seen"
)


def _schema_rows(runs: int, now: float) -> list[tuple]:
    """The parameter schema rows registration keeps (one per parameter, with its run count)."""
    inputs, outputs = run_values(random.Random(0), 0)
    rows = []
    for param_class, params in (("input", inputs), ("output", outputs)):
        for name, value in params.items():
            kind = {bool: "boolean", str: "string"}.get(type(value), "number")
            # the units sim2l-web's tests declare in the catalog for this simulation
            units = {"temperature": "kelvin", "max_stress": "pascal"}.get(name)
            if name.startswith("in_"):
                units = "mm"
            schema = orjson.dumps({"type": kind, "units": units}).decode()
            rows.append((SIMULATION, "1.0.0", param_class, name, "f" * 64, schema, runs, now, now))
    return rows


VALUE_INDEXES = (
    "results_value_num",
    "results_value_str",
    "results_value_column",
    "results_value_time",
    "results_value_key",
)


def _value_index_ddl(database) -> list[str]:
    """The value indexes' DDL, from the migrations that create them."""
    import importlib

    filter_indexes = importlib.import_module(f"{MIGRATIONS}.0006_value_created_at")
    column_index = importlib.import_module(f"{MIGRATIONS}.0004_column_index")
    postgresql_only = [  # (their statement is None on SQLite)
        importlib.import_module(f"{MIGRATIONS}.{name}").statement(database)
        for name in ("0008_value_time_index", "0009_value_key_index")
    ]
    return [
        *filter_indexes.value_index_statements(),
        column_index.statement(database),
        *[ddl for ddl in postgresql_only if ddl is not None],
    ]


def _sums_statements() -> list[str]:
    """The running sums of every stored value, filled as migration 0007 fills them.

    Emptied first: a registration before the bulk load has summed its own runs.
    """
    import importlib

    sums = importlib.import_module(f"{MIGRATIONS}.0007_parameter_sums")
    return ["DELETE FROM results_parameter_sums", sums.fill_statement()]


def bulk_load_sqlite(url: str) -> None:
    import sqlite3

    database = database_from_url(url)
    index_ddl = _value_index_ddl(database)
    connection = sqlite3.connect(url[len("sqlite:///") :])
    connection.execute("PRAGMA synchronous=OFF")
    for name in VALUE_INDEXES:
        connection.execute(f"DROP INDEX IF EXISTS {name}")
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
            f"INSERT INTO results_parameter_value ({VALUE_COLUMNS}) "  # noqa: S608 (fixed SQL)
            f"VALUES ({', '.join('?' * 8)})",
            values,
        )
        connection.commit()
    connection.executemany(
        f"INSERT INTO results_parameter_schema ({SCHEMA_COLUMNS}) VALUES ({', '.join('?' * 9)})",  # noqa: S608 (fixed SQL)
        _schema_rows(RUNS, now),
    )
    for statement in _sums_statements() + index_ddl:
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
        cursor.execute(f"DROP INDEX IF EXISTS {name}")
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
    cursor.copy_expert(
        f"COPY results_parameter_schema ({SCHEMA_COLUMNS}) FROM STDIN",
        io.StringIO(_copy_text(_schema_rows(RUNS, now))),
    )
    cursor.execute("SELECT setval('results_result_id_seq', (SELECT max(id) FROM results_result))")
    cursor.execute("SET maintenance_work_mem = '256MB'")
    for statement in _sums_statements() + index_ddl:
        cursor.execute(statement)
    connection.commit()
    connection.close()
    # What a registration does after storing runs: refresh the planner's
    # statistics when they lag (the server here runs with autovacuum off).
    from sim2l_results_service import maintenance
    from sim2l_results_service.models import database_proxy

    previous = database_proxy.obj  # a service in this process (the dashboard's tests) keeps its own
    database_proxy.initialize(database)
    started = time.perf_counter()
    try:
        maintenance.keep_statistics_current()
    finally:
        database.close()
        if previous is not None:
            database_proxy.initialize(previous)
    log(f"postgresql: statistics refreshed in {time.perf_counter() - started:.1f} s")


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


def _query_set(rng: random.Random, temperatures: list[float]) -> dict[str, list[dict]]:
    """The issue's searches and statistics, fresh values per request (default newest first),
    the plain lists of all runs (newest first, and sorted by an input), and the columnar
    answer under two filters (``route_of`` names each one's endpoint)."""
    s = SIMULATION

    def ranged(width: float) -> list[float]:
        low = rng.uniform(0, 1000 - width)
        return [low, low + width]

    return {
        "search: equality on one input": [
            {"simulation_name": s, "input_filters": {"temperature": rng.choice(temperatures)}}
            for _ in range(REQUESTS)
        ],
        "search: two range filters": [_search_body(rng) for _ in range(REQUESTS)],
        "search: range on one input (1 %)": [
            {"simulation_name": s, "input_filters": {"temperature": {"between": ranged(10)}}}
            for _ in range(REQUESTS)
        ],
        "search: range on one output (1 %)": [
            {
                "simulation_name": s,
                "output_filters": {"max_stress": {"gt": rng.uniform(3.1e8, 3.2e8)}},
            }
            for _ in range(REQUESTS)
        ],
        "search: broad equality (material, 1/3)": [
            {"simulation_name": s, "input_filters": {"material": rng.choice(["steel", "alu"])}}
            for _ in range(REQUESTS)
        ],
        "search: all runs, newest first": [{"simulation_name": s}] * REQUESTS,
        "search: all runs sorted by an input": [
            {"simulation_name": s, "sort": rng.choice(["input.temperature", "-input.temperature"])}
            for _ in range(REQUESTS)
        ],
        "stats: one output over all runs": [
            {"simulation_name": s, "param_name": "max_stress", "param_class": "output"}
        ]
        * REQUESTS,
        "stats: one output over 2-filter matches": [
            {k: v for k, v in _search_body(rng).items() if k != "limit"}
            | {"param_name": "max_stress"}
            for _ in range(REQUESTS)
        ],
        "stats: one output, range on one input": [
            {
                "simulation_name": s,
                "input_filters": {"temperature": {"between": ranged(10)}},
                "param_name": "max_stress",
            }
            for _ in range(REQUESTS)
        ],
        # every match's values under two filters: each driving match probed for the other
        "columns: 6 columns under two range filters": [
            {k: v for k, v in _search_body(rng).items() if k != "limit"} | {"columns": COLUMNS}
            for _ in range(REQUESTS // 4)
        ],
    }


ROUTES = {"search": "/results/search", "stats": "/parameters/stats", "columns": "/results/columns"}


def route_of(query_name: str) -> str:
    """The endpoint a query of ``_query_set`` goes to, from its name's prefix (``stats: ...``)."""
    return ROUTES[query_name.split(":", 1)[0]]


def _latency(session, url: str, body: dict) -> float:
    """Milliseconds from sending ``body`` to having read the whole answer."""
    started = time.perf_counter()
    response = session.post(
        url, data=orjson.dumps(body), headers={"Content-Type": "application/json"}
    )
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed


def bench_search(servers: dict[str, str], token: str, bare_rps: float | None) -> None:
    """p50/p95 of every query of the set on each backend, PostgreSQL's against SQLite's.

    ``servers`` maps a backend's label to its service's URL, all serving at
    once: each request body goes to every backend in turn, so a load on the
    machine that comes and goes weighs on both alike (the target: PostgreSQL
    within 1.5x of SQLite, p95 under 20 ms at 10,000 runs, 30 ms at 100,000).
    """
    session = requests.Session()
    session.headers["X-Session-ID"] = token
    first = next(iter(servers.values()))
    temperatures = [
        item["input_params"]["temperature"]
        for item in session.post(
            first + "/results/search", json={"simulation_name": SIMULATION, "limit": 200}
        ).json()["items"]
    ]
    queries = _query_set(random.Random(3), temperatures)
    for name, bodies in queries.items():
        times = {label: [] for label in servers}
        for index, body in enumerate(bodies[:10] + bodies):  # the first 10: warming up
            for label, server_url in servers.items():
                elapsed = _latency(session, server_url + route_of(name), body)
                if index >= 10:
                    times[label].append(elapsed)
        for quantile, tag in ((0.5, "p50"), (0.95, "p95")):
            figure = f"{name} {tag}, {RUNS:,} runs"
            sqlite = percentile(times["sqlite"], quantile)
            report(f"sqlite: {figure}", sqlite, "ms")
            if "postgresql" in times:
                report(
                    f"postgresql: {figure}",
                    percentile(times["postgresql"], quantile),
                    "ms",
                    baseline=sqlite,
                    baseline_name="SQLite, same requests interleaved (target ratio <= 1.5)",
                )

    if bare_rps and wrk_available():
        script = Path(os.environ["SIM2L_HOME"]) / "search.lua"  # removed with the home
        body = orjson.dumps(_search_body(random.Random(11))).decode().replace('"', '\\"')
        script.write_text(
            f'wrk.method = "POST"\nwrk.body = "{body}"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
        for label, server_url in servers.items():
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


def _deep_queries(rng: random.Random) -> dict[str, callable]:
    """Searches whose page 50 exists, each a maker of fresh request bodies (newest first
    unless sorted): no filter, a broad equality, two range filters, sorted by an input, a
    broad equality sorted by an output."""
    s = SIMULATION
    return {
        "all runs": lambda: {"simulation_name": s},
        "broad equality (material, 1/3)": lambda: {
            "simulation_name": s,
            "input_filters": {"material": rng.choice(["steel", "alu"])},
        },
        "two range filters": lambda: {
            key: value for key, value in _search_body(rng).items() if key != "limit"
        },
        "all runs sorted by an input": lambda: {
            "simulation_name": s,
            "sort": rng.choice(["input.temperature", "-input.temperature"]),
        },
        "broad equality sorted by an output": lambda: {
            "simulation_name": s,
            "input_filters": {"material": rng.choice(["steel", "alu"])},
            "sort": rng.choice(["output.max_stress", "-output.max_stress"]),
        },
    }


def _cursor_after(session, url: str, body: dict, skipped: int) -> str | None:
    """The cursor that resumes ``body``'s search after its first ``skipped`` runs, or None
    when it has no more. Keyset cursors depend only on the last run seen, so pages of
    1,000 reach it in a few requests."""
    cursor = None
    while skipped > 0:
        request = {**body, "limit": min(skipped, 1000)} | ({"cursor": cursor} if cursor else {})
        page = session.post(url, json=request)
        page.raise_for_status()
        page = page.json()
        skipped -= len(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return None
    return cursor


def _deep_sample(sessions: dict, urls: dict, make_body) -> dict | None:
    """One body with a page 50 on every backend, and its cursor there: ``{label: (body,
    cursor)}``; None when 20 bodies in a row had fewer matches."""
    for _attempt in range(20):  # a body with fewer matches has no page 50: another
        body = make_body()
        cursors = {
            label: _cursor_after(sessions[label], url, body, (DEEP_PAGE - 1) * DEEP_LIMIT)
            for label, url in urls.items()
        }
        if all(cursor is not None for cursor in cursors.values()):
            return {label: (body, cursor) for label, cursor in cursors.items()}
    return None


def bench_deep_pages(servers: dict[str, str], token: str) -> None:
    """p95 of page 50 against page 1 of the same searches, and PostgreSQL's against SQLite's:
    each body's page 1 and page 50 are sent to every backend in turn, so every ratio is of
    requests interleaved under the same load."""
    sessions, urls = {}, {}
    for label, server_url in servers.items():
        sessions[label] = requests.Session()
        sessions[label].headers["X-Session-ID"] = token
        urls[label] = server_url + "/results/search"
    rng = random.Random(17)
    for name, make_body in _deep_queries(rng).items():
        times = {(label, page): [] for label in urls for page in (1, DEEP_PAGE)}
        for _ in range(DEEP_SAMPLES):
            sample = _deep_sample(sessions, urls, make_body)
            if sample is None:
                break
            for label, (body, cursor) in sample.items():
                for page, extra in ((1, {}), (DEEP_PAGE, {"cursor": cursor})):
                    started = time.perf_counter()
                    answer = sessions[label].post(
                        urls[label], json={**body, "limit": DEEP_LIMIT, **extra}
                    )
                    times[label, page].append((time.perf_counter() - started) * 1000)
                    answer.raise_for_status()
        if not times["sqlite", 1]:
            log(f"deep page: {name} has no page {DEEP_PAGE} at {RUNS:,} runs")
            continue
        p95 = {key: percentile(samples, 0.95) for key, samples in times.items()}
        for page in (1, DEEP_PAGE):
            figure = f"deep page: {name}, page {page} p95 ({DEEP_LIMIT} per page), {RUNS:,} runs"
            report(f"sqlite: {figure}", p95["sqlite", page], "ms")
            if "postgresql" in urls:
                report(
                    f"postgresql: {figure}",
                    p95["postgresql", page],
                    "ms",
                    p95["sqlite", page],
                    "SQLite, same bodies interleaved (target ratio <= 1.5)",
                )
        for label in urls:
            report(
                f"{label}: deep page: {name}, page {DEEP_PAGE} against page 1, p95",
                p95[label, DEEP_PAGE],
                "ms",
                p95[label, 1],
                "page 1 p95, same bodies interleaved",
            )


def bench_columns(label: str, server_url: str, token: str) -> None:
    """Every run x 6 columns in one streamed answer, against pages of 1,000 (same run)."""
    client = ResultsClient(server_url, session_id=token, timeout=(3.05, 600))
    times = []
    for _ in range(3):
        started = time.perf_counter()
        answer = client.columns(SIMULATION, columns=COLUMNS)
        times.append(time.perf_counter() - started)
    expected = RUNS + (0 if ONLY else UPLOADS)  # the bulk load, and the registration figure's
    if answer["count"] != expected:
        log(f"{label}: columns answered {answer['count']} runs, not {expected}")
    started = time.perf_counter()
    fetched = len(list(client.iter_search(SIMULATION, page_size=1000)))
    pages = time.perf_counter() - started
    report(
        f"{label}: {RUNS:,} runs x 6 columns, client.columns() (best of 3; target < 1.5 s)",
        min(times),
        "s",
        baseline=pages,
        baseline_name=f"pages of 1,000 ({fetched:,} runs)",
    )
    # A selective filter: its runs are few among many ids (read by key, not by range)
    selective = {"temperature": {"between": [500.0, 510.0]}}
    times = []
    for _ in range(3):
        started = time.perf_counter()
        answer = client.columns(SIMULATION, selective, columns=COLUMNS)
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    fetched = len(list(client.iter_search(SIMULATION, selective, page_size=1000)))
    report(
        f"{label}: {RUNS:,} runs, 1 % input range x 6 columns, client.columns() (best of 3)",
        min(times),
        "s",
        baseline=time.perf_counter() - started,
        baseline_name=f"pages of 1,000 ({fetched:,} of {answer['count']:,} runs)",
    )
    import pandas  # noqa: F401 (imported once before timing: the import is no per-call cost)

    times = []
    for _ in range(3):
        started = time.perf_counter()
        frame = client.to_dataframe(SIMULATION, columns=COLUMNS)
        times.append(time.perf_counter() - started)
    report(
        f"{label}: {RUNS:,} runs x 6 columns, client.to_dataframe() (best of 3)",
        min(times),
        "s",
        baseline=pages,
        baseline_name=f"pages of 1,000 ({len(frame):,} rows)",
    )


def prepare_backend(label: str, url: str, home: Path, token: str) -> dict:
    """Migrate, measure registration (unless ``ONLY``), bulk-load; the service's environment."""
    database = database_from_url(url)
    migrate(database, MIGRATIONS)
    database.close()
    env = {
        "SIM2L_HOME": str(home),
        "SIM2L_RESULTS_DATABASE_URL": url,
        "SIM2L_RESULTS_STORAGE_DIR": str(home / f"files-{label}"),
        "SIM2L_SECRET_KEY": os.environ["SIM2L_SECRET_KEY"],
    }
    if not ONLY:
        with GunicornServer(APP, env=env) as server:
            bench_registration(label, server.url, token, home / f"runs-{label}")
    started = time.perf_counter()
    (bulk_load_sqlite if label == "sqlite" else bulk_load_postgres)(url)
    log(
        f"{label}: loaded {RUNS:,} runs ({RUNS * PARAMS * 2:,} values) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return env


def bench_backends(backends: dict[str, str], home: Path, token: str, bare_rps) -> None:
    """Every backend loaded, then served at once: searches interleaved, the rest in turn."""
    environments = {
        label: prepare_backend(label, url, home, token) for label, url in backends.items()
    }
    with contextlib.ExitStack() as stack:
        servers = {
            label: stack.enter_context(GunicornServer(APP, env=env)).url
            for label, env in environments.items()
        }
        if ONLY != "columns":
            bench_search(servers, token, bare_rps)
            bench_deep_pages(servers, token)
        if ONLY != "search":
            for label, server_url in servers.items():
                bench_columns(label, server_url, token)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="sim2l-results-bench-") as name:
        home = Path(name)
        os.environ["SIM2L_HOME"] = str(home)
        os.environ.setdefault("SIM2L_SECRET_KEY", secrets.token_hex(32))
        token = SessionManager().create_session("bench", "user", ttl_hours=2).session_id

        bare_rps = None
        if not ONLY:
            bench_introspection(home / "introspection")
        if not ONLY and wrk_available():
            with GunicornServer("sim2l_service_kit.testing.benchmarking:bare_flask_app()") as bare:
                bare_rps = run_wrk(bare.url + "/bare", duration=5)["requests_per_second"]

        with scratch_postgres_database("sim2l_bench_results") as url:
            backends = {"sqlite": f"sqlite:///{home / 'results.db'}"}
            if url is not None:
                backends["postgresql"] = url
            bench_backends(backends, home, token, bare_rps)


if __name__ == "__main__":
    main()
