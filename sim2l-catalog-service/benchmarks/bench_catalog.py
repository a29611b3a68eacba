"""Catalog benchmarks: search latency over 10,000 simulations x 5 versions, and throughput.

For SQLite and PostgreSQL, each in the same run:
- search latency p50/p95 (free text plus one tag, varied queries), measured by
  a client sending one request at a time to the service under gunicorn; also
  tag-only and text-only searches;
- search, get and record_execution requests/s under wrk (16 connections),
  against the bare Flask ceiling measured in the same run;
- a deep page of search against its first page (100 a page: page 90 against
  page 1, for the whole catalog newest first and for a text search ranking
  ~50,000 matches), one request at a time, the ratio deep/first (keyset
  pages: about 1).

Run: ``cd /work/main && .venv/bin/python tools/bench_report.py sim2l-catalog-service``;
the deep-page figures alone: ``cd /work/main/sim2l-catalog-service &&
../.venv/bin/python benchmarks/bench_catalog.py --deep-pages``.
Measures and prints; asserts nothing about time.
"""

import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

import requests
from bulk_import import bulk_register
from sim2l_catalog_service.models import database_proxy
from sim2l_service_kit.testing.benchmarking import GunicornServer
from sim2l_service_kit.testing.benchmarking import report
from sim2l_service_kit.testing.benchmarking import run_wrk as kit_run_wrk
from sim2l_service_kit.testing.benchmarking import scratch_postgres_database
from sim2l_service_kit.testing.benchmarking import wrk_available
from sim2l_sessions import SessionManager
from sim2l_sessions.database import database_from_url
from sim2l_sessions.migrations import migrate

NAMES = 10_000
VERSIONS = 5
LATENCY_REQUESTS = 400
PAGE_LIMIT = 100
DEEP_PAGE = 90
PAGE_REPEATS = 20
# Searches with at least DEEP_PAGE pages: the whole catalog (newest first),
# and a one-letter text (every name, ranked: the most a search ranks).
DEEP_SEARCHES = {"whole catalog": {}, "text 'e'": {"query": "e"}}
WRK_SECONDS = 5
APP = "sim2l_catalog_service.app:create_app()"

WORDS = (  # noqa: SIM905 (a paragraph reads better than 80 quoted words)
    "thermal fluid stress quantum heat flow beam plasma laser optical acoustic crystal "
    "lattice molecular protein battery solar wind turbine grid traffic epidemic climate "
    "ocean seismic fracture fatigue creep diffusion reaction catalyst polymer composite "
    "magnetic electron photon neutron reactor combustion spray droplet bubble foam granular "
    "powder soil rock groundwater river flood storm cloud aerosol radiation transport "
    "kinetics enzyme gene cell tissue neural circuit transistor antenna wave signal noise "
    "filter control robot vehicle aircraft rocket orbit satellite galaxy star planet dust "
    "ice snow glacier"
).split()
TAGS = [f"{word}-tag" for word in WORDS[:50]] + [f"domain{n}" for n in range(50)]


def catalog_records(rng: random.Random) -> list[dict]:
    """10,000 names x 5 versions with realistic words, three tags per name."""
    records = []
    for number in range(NAMES):
        first, second = rng.sample(WORDS, 2)
        name = f"{first}_{second}_{number}"
        tags = rng.sample(TAGS, 3)
        description = " ".join(rng.sample(WORDS, 10)).capitalize()
        schema = {
            "inputs": {"temperature": {"type": "number", "units": "kelvin"}},
            "outputs": {"result": {"type": "number"}},
        }
        for minor in range(VERSIONS):
            records.append(
                {
                    "name": name,
                    "version": f"1.{minor}.0",
                    "description": description,
                    "tags": tags,
                    "schema": schema,
                }
            )
    return records


def populate(url: str, records: list[dict]) -> float:
    """Migrate and import; return the seconds the import took."""
    database = database_from_url(url)
    database_proxy.initialize(database)
    migrate(database, "sim2l_catalog_service.migrations")
    started = time.perf_counter()
    bulk_register(records, "bench")
    elapsed = time.perf_counter() - started
    database.close()
    return elapsed


def run_wrk(url, **kwargs):
    """The kit's ``run_wrk``, retried once, saying what wrk printed when it cannot be read."""
    try:
        return kit_run_wrk(url, **kwargs)
    except (AttributeError, subprocess.CalledProcessError) as error:
        print(f"wrk output could not be read ({error!r}); retrying once", flush=True)
        return kit_run_wrk(url, **kwargs)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, int(round(fraction * len(ordered) + 0.5)) - 1)]


def search_latency(base: str, token: str, queries: list[dict]) -> tuple[list[float], list[int]]:
    """One request at a time; milliseconds per request and the matches on the first page."""
    http = requests.Session()
    http.headers["X-Session-ID"] = token
    timings, totals = [], []
    for params in queries[:20]:  # warm up connections and caches
        http.get(base + "/simulations", params=params, timeout=30).raise_for_status()
    for params in queries:
        started = time.perf_counter()
        response = http.get(base + "/simulations", params=params, timeout=30)
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        totals.append(len(response.json()["items"]))
    http.close()
    return timings, totals


RECORD_SCRIPT = """
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  wrk.headers["Content-Type"] = "application/json"
end
request = function()
  counter = counter + 1
  local body = string.format(
    '{"simulation_id": %d, "execution_id": "%s-%d-%d", "status": "%s", "duration_seconds": %d.5}',
    1 + counter % 5000, "RUN", tid, counter, counter % 10 == 0 and "failed" or "completed",
    counter % 120)
  return wrk.format("POST", "/executions", nil, body)
end
"""


def record_executions(label: str, base: str, headers: dict, bare: float) -> None:
    """record_execution requests/s under wrk, each request a new execution id."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(RECORD_SCRIPT.replace("RUN", secrets.token_hex(4)))
    try:
        result = run_wrk(
            base + "/executions", duration=WRK_SECONDS, headers=headers, script=script.name
        )
    finally:
        os.unlink(script.name)
    if result["non_2xx"] or result["socket_errors"]:
        print(
            f"{label} record_execution: {result['non_2xx']} non-2xx, "
            f"{result['socket_errors']} socket errors",
            flush=True,
        )
    report(
        f"catalog {label}: record_execution, 16 connections",
        result["requests_per_second"],
        "req/s",
        baseline=bare,
        baseline_name="bare Flask",
    )


def throughput(label: str, base: str, token: str, records: list[dict], bare: float) -> None:
    """Requests/s under wrk: search, get and record_execution against the bare ceiling."""
    headers = {"X-Session-ID": token}
    query = urllib.parse.urlencode({"query": "plasma", "tags": "domain7"})
    result = run_wrk(f"{base}/simulations?{query}", duration=WRK_SECONDS, headers=headers)
    report(
        f"catalog {label}: search text + tag, 16 connections",
        result["requests_per_second"],
        "req/s",
        baseline=bare,
        baseline_name="bare Flask",
    )
    result = run_wrk(
        f"{base}/simulations/{records[1234]['name']}/versions/1.2.0",
        duration=WRK_SECONDS,
        headers=headers,
    )
    report(
        f"catalog {label}: get_simulation, 16 connections",
        result["requests_per_second"],
        "req/s",
        baseline=bare,
        baseline_name="bare Flask",
    )
    record_executions(label, base, headers, bare)


def page_times(http, url: str, first: dict, deep: dict) -> tuple[float, float]:
    """Median milliseconds of the ``first`` and the ``deep`` page, asked alternately."""
    timings = {"first": [], "deep": []}
    for round_number in range(PAGE_REPEATS + 3):
        for name, params in (("first", first), ("deep", deep)):
            started = time.perf_counter()
            http.get(url, params=params, timeout=60).raise_for_status()
            if round_number >= 3:  # the first rounds warm connections and caches
                timings[name].append((time.perf_counter() - started) * 1000)
    return statistics.median(timings["first"]), statistics.median(timings["deep"])


def deep_pages(label: str, base: str, token: str) -> None:
    """Search page DEEP_PAGE against page 1, PAGE_LIMIT a page, for each of DEEP_SEARCHES."""
    http = requests.Session()
    http.headers["X-Session-ID"] = token
    for name, search in DEEP_SEARCHES.items():
        cursor = None
        for _ in range(DEEP_PAGE - 1):  # the cursor that asks for page DEEP_PAGE
            params = {**search, "limit": PAGE_LIMIT, **({"cursor": cursor} if cursor else {})}
            cursor = http.get(base + "/simulations", params=params, timeout=60).json()[
                "next_cursor"
            ]
        deep = {**search, "limit": PAGE_LIMIT, "cursor": cursor}
        items = http.get(base + "/simulations", params=deep, timeout=60).json()["items"]
        assert len(items) == PAGE_LIMIT, (name, len(items))
        first, deep_ms = page_times(
            http, base + "/simulations", {**search, "limit": PAGE_LIMIT}, deep
        )
        print(f"{label} {name}: page 1 {first:.2f} ms, page {DEEP_PAGE} {deep_ms:.2f} ms")
        report(
            f"catalog {label}: search {name}, page {DEEP_PAGE} vs page 1 ({PAGE_LIMIT} a page)",
            deep_ms,
            "ms",
            baseline=first,
            baseline_name="page 1",
        )
    http.close()


def bench_backend(label: str, url: str, home: str, token: str, records: list[dict], bare):
    """All figures for one backend; ``bare`` is None when wrk is missing."""
    seconds = populate(url, records)
    report(
        f"catalog {label}: import {len(records):,} versions", len(records) / seconds, "versions/s"
    )
    if "--deep-pages" in sys.argv[1:]:
        env = {"SIM2L_CATALOG_DATABASE_URL": url, "SIM2L_HOME": home}
        with GunicornServer(APP, env=env) as server:
            deep_pages(label, server.url, token)
        return
    rng = random.Random(7)
    text_and_tag = [
        {"query": rng.choice(WORDS), "tags": rng.choice(TAGS)} for _ in range(LATENCY_REQUESTS)
    ]
    tag_only = [{"tags": rng.choice(TAGS)} for _ in range(LATENCY_REQUESTS // 2)]
    text_only = [{"query": rng.choice(WORDS)} for _ in range(LATENCY_REQUESTS // 2)]
    env = {"SIM2L_CATALOG_DATABASE_URL": url, "SIM2L_HOME": home}
    with GunicornServer(APP, env=env) as server:
        for name, queries in (
            ("text + tag", text_and_tag),
            ("tag only", tag_only),
            ("text only", text_only),
        ):
            timings, totals = search_latency(server.url, token, queries)
            print(
                f"{label} {name}: median matches on the first page "
                f"{statistics.median(totals):.0f} of {len(records):,}; "
                f"p50 {percentile(timings, 0.5):.2f} ms "
                f"p95 {percentile(timings, 0.95):.2f} ms",
                flush=True,
            )
            report(f"catalog {label}: search {name} p50 (10k x 5)", percentile(timings, 0.50), "ms")
            report(
                f"catalog {label}: search {name} p95 (10k x 5)",
                percentile(timings, 0.95),
                "ms",
                baseline=20.0,
                baseline_name="target",
            )
        deep_pages(label, server.url, token)
        if bare is not None:
            throughput(label, server.url, token, records, bare)
        # Statistics over the executions just recorded, through the service.
        http = requests.Session()
        http.headers["X-Session-ID"] = token
        timings = []
        for simulation_id in range(1, 201):
            started = time.perf_counter()
            http.get(
                f"{server.url}/simulations/by-id/{simulation_id}/stats", timeout=30
            ).raise_for_status()
            timings.append((time.perf_counter() - started) * 1000)
        report(f"catalog {label}: get_simulation_stats p95", percentile(timings, 0.95), "ms")
        executions = http.get(f"{server.url}/overview", timeout=30).json()["total_executions"]
        timings = []
        for _ in range(50):
            started = time.perf_counter()
            http.get(f"{server.url}/overview", timeout=30).raise_for_status()
            timings.append((time.perf_counter() - started) * 1000)
        http.close()
        report(
            f"catalog {label}: get_overview p95 ({executions:,} executions)",
            percentile(timings, 0.95),
            "ms",
        )
    if label == "PostgreSQL" and bare is not None:
        relaxed = {**env, "SIM2L_CATALOG_DURABLE_EXECUTION_RECORDS": "false"}
        with GunicornServer(APP, env=relaxed) as server:
            headers = {"X-Session-ID": token}
            record_executions(f"{label} relaxed commits", server.url, headers, bare)


def main() -> int:
    home = tempfile.mkdtemp(prefix="sim2l-bench-catalog-")
    try:
        return run(home)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def run(home: str) -> int:
    """Every figure, with ``home`` as SIM2L_HOME and the SQLite folder."""
    os.environ["SIM2L_HOME"] = home
    os.environ.setdefault("SIM2L_SECRET_KEY", secrets.token_hex(32))
    token = SessionManager().create_session("bench", "developer", ttl_hours=1).session_id
    records = catalog_records(random.Random(42))
    bare = None  # without wrk, only the latency figures measured from Python
    if wrk_available():
        with GunicornServer("sim2l_service_kit.testing.benchmarking:bare_flask_app()") as server:
            bare = run_wrk(server.url + "/bare", duration=WRK_SECONDS)["requests_per_second"]
        report("bare Flask JSON endpoint, 16 connections", bare, "req/s")
    else:
        print("wrk is not installed (apt-get install wrk); throughput figures skipped")

    bench_backend("SQLite", f"sqlite:///{home}/catalog.db", home, token, records, bare)

    with scratch_postgres_database("sim2l_bench_catalog") as url:
        if url is not None:
            bench_backend("PostgreSQL", url, home, token, records, bare)
    return 0


if __name__ == "__main__":
    sys.exit(main())
