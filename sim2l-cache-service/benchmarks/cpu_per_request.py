"""Where a cache request's time goes: CPU per request of each process under wrk.

A diagnostic beside ``bench_cache.py`` (not part of ``make bench``): serves the
bare-Flask ceiling and the cache service under gunicorn (sync, -w2), loads each
with wrk for a few seconds, and divides the CPU time the gunicorn workers and
the PostgreSQL backends used (from /proc) by the requests served.

Run: ``cd /work/main && .venv/bin/python sim2l-cache-service/benchmarks/cpu_per_request.py``
(add ``--socket-dir /var/run/postgresql`` to also measure PostgreSQL over its
Unix socket). Linux only; needs wrk and a PostgreSQL server.
"""

import argparse
import os
import sys
import tempfile
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_cache  # noqa: E402
from sim2l_service_kit.testing.benchmarking import GunicornServer  # noqa: E402
from sim2l_service_kit.testing.benchmarking import run_wrk  # noqa: E402
from sim2l_service_kit.testing.benchmarking import scratch_postgres_database  # noqa: E402

SECONDS = 5
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ticks_by_process() -> dict[int, tuple[str, int]]:
    """``{pid: (command line, user + system ticks)}`` for every readable process."""
    ticks = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # the process ended meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        ticks[int(entry)] = (command or stat, int(fields[11]) + int(fields[12]))
    return ticks


def measure(label: str, app: str, env: dict, path: str, headers=None, script=None) -> None:
    """Load ``path`` of ``app`` and print requests/s and CPU microseconds per request."""
    with GunicornServer(app, env=env) as server:
        run_wrk(server.url + path, duration=1, headers=headers, script=script)  # warm up
        before = cpu_ticks_by_process()
        result = run_wrk(server.url + path, duration=SECONDS, headers=headers, script=script)
        after = cpu_ticks_by_process()
    requests_served = result["requests_per_second"] * SECONDS

    def per_request(marker: str) -> float:
        ticks = sum(
            after[pid][1] - before[pid][1]
            for pid in after
            if pid in before and marker in after[pid][0]
        )
        return ticks / CLOCK_TICKS / requests_served * 1e6

    print(
        f"{label:32} {result['requests_per_second']:8,.0f} req/s   "
        f"workers {per_request('gunicorn'):5.0f} us/request   "
        f"postgres {per_request('postgres:'):4.0f} us/request",
        flush=True,
    )
    if result["non_2xx"] or result["socket_errors"]:
        print(f"    WARNING: {result['non_2xx']} non-2xx, {result['socket_errors']} socket errors")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket-dir", help="also measure PostgreSQL over this Unix socket")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sim2l-cpu-") as home:
        env, token = bench_cache.bench_environment(home)
        headers = {"X-Session-ID": token}
        script = os.path.join(home, "post.lua")
        Path(script).write_text(bench_cache.POST_SCRIPT)

        sqlite_url = f"sqlite:///{home}/cache.db"
        bench_cache.fill(sqlite_url)
        get_path = "/cache/" + bench_cache.KEY
        measure("bare Flask", bench_cache.CEILING, env, "/bare")
        sqlite_env = {**env, "SIM2L_CACHE_DATABASE_URL": sqlite_url}
        measure("cache GET, SQLite", bench_cache.APP, sqlite_env, get_path, headers)
        measure("cache POST, SQLite", bench_cache.APP, sqlite_env, "/cache", script=script)

        with scratch_postgres_database("sim2l_cpu") as tcp_url:
            if tcp_url is None:
                return 0
            bench_cache.fill(tcp_url)
            measure(
                "cache GET, PostgreSQL (TCP)",
                bench_cache.APP,
                {**env, "SIM2L_CACHE_DATABASE_URL": tcp_url},
                get_path,
                headers,
            )
            if args.socket_dir:
                parts = urllib.parse.urlsplit(tcp_url)
                socket_url = f"postgresql://{parts.username or 'postgres'}@{parts.path}"
                measure(
                    "cache GET, PostgreSQL (socket)",
                    bench_cache.APP,
                    {**env, "SIM2L_CACHE_DATABASE_URL": f"{socket_url}?host={args.socket_dir}"},
                    get_path,
                    headers,
                )
        return 0


if __name__ == "__main__":
    sys.exit(main())
