"""Mixed load on the three services on PostgreSQL: 80% cache reads, 10% writes, 10% searches.

32 connections for 60 s in all, from three wrk processes at once (wrk loads
one host each): 26 on the cache service (8 reads per write), 3 searching the
catalog, 3 searching results. Reports throughput, the mix achieved, p99
latency per service, errors, and each gunicorn worker's resident memory after
10 s and at the end (memory must stay flat) and its peak.

Set SIM2L_LOAD_SECONDS to shorten the run (default 60).
"""

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from services import KillableService  # noqa: E402
from services import migrate_service  # noqa: E402
from sim2l_service_kit.testing.benchmarking import report  # noqa: E402
from sim2l_service_kit.testing.benchmarking import scratch_postgres_database  # noqa: E402
from sim2l_service_kit.testing.benchmarking import wrk_available  # noqa: E402

SECONDS = int(os.environ.get("SIM2L_LOAD_SECONDS", "60"))
CONNECTIONS = {"cache": 26, "catalog": 3, "results": 3}


def worker_pids(master_pid: int) -> list[int]:
    """The gunicorn workers of a master process."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master_pid:
                pids.append(int(entry.name))
    return sorted(pids)


def memory_kib(pid: int) -> tuple[int, int]:
    """Current and peak resident memory of a process, in KiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
    return rss, peak


def seed(urls: dict, token: str, runs_dir: Path) -> None:
    """1,000 cache entries, 200 catalog tools, 200 registered runs."""
    from sim2l.rundb.run_database import RunDatabase
    from sim2l_cache_client import CacheClient
    from sim2l_catalog_client import CatalogClient
    from sim2l_results_client import ResultsClient

    cache = CacheClient(urls["cache"], session_id=token)
    for index in range(1, 1001):
        cache.set(
            cache_key=f"load/{index}",
            simulation_id=1,
            simulation_name="load_sim",
            simulation_version="1.0.0",
            execution_id=f"exec-{index}",
            squid_id=f"load_sim/1.0.0/{index}",
            input_hash=f"h{index}",
            run_db_path=f"/runs/{index}.db",
            ttl_hours=24,
        )
    catalog = CatalogClient(urls["catalog"], session_id=token)
    for index in range(1, 201):
        catalog.register_simulation(
            name=f"tool{index}",
            version="1.0.0",
            description=f"load test tool {index}",
            tags=["physics", "load"],
        )
    results = ResultsClient(urls["results"], session_id=token)
    for index in range(200):
        execution_id = f"load-run-{index}"
        with RunDatabase(execution_id, base_path=str(runs_dir)) as run:
            run.initialize_run("load_sim", "1.0.0")
            run.save_input("temperature", index, "number", units="kelvin")
            run.save_output("max_stress", 1e6 * (index + 1), "number", units="pascal")
            run.complete_run("completed", duration_seconds=1.0)
        results.register_result(str(runs_dir / f"{execution_id}.db"))


def run_wrk(url: str, script: str, connections: int, token: str, env: dict) -> subprocess.Popen:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{SECONDS}s",
        "--latency",
        "--timeout",
        "5s",
        "-H",
        f"X-Session-ID: {token}",
        "-s",
        str(HERE / script),
        url,
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)


def parse(output: str) -> dict:
    def milliseconds(text):
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
        return float(number) * {"us": 1e-3, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "p99_ms": milliseconds(re.search(r"99%\s+(\S+)", output).group(1)),
        "errors": (int(errors.group(1)) if errors else 0)
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
    }


def main() -> int:
    if not wrk_available():
        print("wrk is not installed (apt-get install wrk); skipping the mixed load benchmark")
        return 0
    with (
        tempfile.TemporaryDirectory(prefix="sim2l-load-") as home,  # removed on the way out
        scratch_postgres_database("sim2l_bench_load") as url,
    ):
        if url is None:
            return 0
        return load(Path(home), url)


def load(home: Path, url: str) -> int:
    """Start the three services on ``url``, load them for SECONDS, report the figures."""
    env = {
        **os.environ,
        "SIM2L_HOME": str(home),
        "SIM2L_SECRET_KEY": "load-" + "k" * 40,
        "SIM2L_SESSIONS_DATABASE_URL": url,
        "SIM2L_RESULTS_STORAGE_DIR": str(home / "stored"),
    }
    os.environ.update(env)
    services = {}
    try:
        for service in ("cache", "catalog", "results"):
            migrate_service(service, url)
            services[service] = KillableService(service, url, workers=2, env=env).start()
        from sim2l_sessions.manager import SessionManager

        token = SessionManager().create_session("load-admin", "admin").session_id
        try:
            seed({s: services[s].url for s in services}, token, home / "runs")
        except Exception:
            for service, server in services.items():
                print(f"--- {service} log:\n{server.output()[-2000:]}", file=sys.stderr)
            raise

        scripts = {
            "cache": "cache_mix.lua",
            "catalog": "catalog_search.lua",
            "results": "results_search.lua",
        }
        loads = {
            s: run_wrk(services[s].url, scripts[s], CONNECTIONS[s], token, env) for s in services
        }
        early = {}

        def sample_early():
            time.sleep(10)
            for service, server in services.items():
                for pid in worker_pids(server.process.pid):
                    early[(service, pid)] = memory_kib(pid)[0]

        sampler = threading.Thread(target=sample_early)
        sampler.start()
        outputs = {service: process.communicate()[0] for service, process in loads.items()}
        sampler.join()
        late = {}
        for service, server in services.items():
            for pid in worker_pids(server.process.pid):
                late[(service, pid)] = memory_kib(pid)
    finally:
        for server in services.values():
            server.stop()

    figures = {service: parse(output) for service, output in outputs.items()}
    total = sum(f["requests"] for f in figures.values())
    writes = figures["cache"]["requests"] // 9
    searches = figures["catalog"]["requests"] + figures["results"]["requests"]
    report("mixed load: throughput, 32 connections, PostgreSQL", total / SECONDS, "req/s")
    report(
        "mixed load: share of cache reads",
        100 * (figures["cache"]["requests"] - writes) / total,
        "%",
    )
    report("mixed load: share of cache writes", 100 * writes / total, "%")
    report("mixed load: share of searches", 100 * searches / total, "%")
    for service, figure in figures.items():
        report(f"mixed load: {service} p99", figure["p99_ms"], "ms")
    report("mixed load: errors (non-2xx + socket)", sum(f["errors"] for f in figures.values()), "")
    for (service, pid), (rss, peak) in sorted(late.items()):
        if (service, pid) in early:
            report(
                f"mixed load: {service} worker {pid} RSS end vs 10 s",
                rss / 1024,
                "MiB",
                early[(service, pid)] / 1024,
                "RSS at 10 s (MiB)",
            )
            report(f"mixed load: {service} worker {pid} peak RSS", peak / 1024, "MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
