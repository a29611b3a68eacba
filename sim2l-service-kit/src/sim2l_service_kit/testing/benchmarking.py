"""Helpers shared by every distribution's ``benchmarks/`` scripts.

- ``report()`` prints one figure in the form ``tools/bench_report.py`` collects.
- ``GunicornServer`` runs an app under gunicorn on 127.0.0.1 and stops it.
- ``run_wrk()`` loads a URL with ``wrk`` and parses requests/s and latency
  percentiles.
- ``bare_flask_app()`` is the ceiling every HTTP figure is compared to.
- ``scratch_postgres_database()`` gives a benchmark its own PostgreSQL database.

Benchmarks measure and print; they never assert on time.
"""

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

import requests

POSTGRES_SERVER = (
    os.environ.get("SIM2L_TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
)


def report(figure, value, unit="", baseline=None, baseline_name=None, ratio=None):
    """Print one benchmark figure for the table; ratio defaults to value/baseline."""
    if ratio is None and baseline:
        ratio = value / baseline
    line = {
        "figure": figure,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "baseline_name": baseline_name,
        "ratio": ratio,
    }
    print("BENCH " + json.dumps(line), flush=True)


@contextlib.contextmanager
def scratch_postgres_database(prefix: str):
    """A fresh PostgreSQL database on ``POSTGRES_SERVER``, dropped on the way out.

    Yields its URL, or None (after saying why) when no server answers, so a
    benchmark can skip its PostgreSQL figures and still print the others.
    """
    try:
        import psycopg2

        admin = psycopg2.connect(POSTGRES_SERVER, connect_timeout=3)
    except Exception as error:  # no driver or no server: skip, do not fail the table
        print(f"PostgreSQL not reachable ({error}); PostgreSQL figures skipped", flush=True)
        yield None
        return
    admin.autocommit = True
    name = f"{prefix}_{os.getpid()}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        parts = urllib.parse.urlsplit(POSTGRES_SERVER)
        yield urllib.parse.urlunsplit(parts._replace(path="/" + name))
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GunicornServer:
    """``gunicorn APP`` on 127.0.0.1 with sync workers, as a context manager.

    ``app`` is a gunicorn application spec such as
    ``"sim2l_cache_service.app:create_app()"``; ``env`` is added to the
    environment of the server process; ``config`` is gunicorn's ``--config``
    (the kit's hooks by default, so /metrics sums every worker). The server
    runs in its own process group, so ``kill()`` SIGKILLs the master and its
    workers together, as a crashed pod would die.
    """

    def __init__(
        self,
        app,
        env=None,
        workers=2,
        worker_class="sync",
        port=None,
        ready_path="/health",
        config="python:sim2l_service_kit.gunicorn_hooks",
    ):
        self.app = app
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {})}
        self.workers = workers
        self.worker_class = worker_class
        self.ready_path = ready_path
        self.config = config
        self.process = None
        self.log = None

    def _config_arguments(self) -> list[str]:
        # A caller that brings a configuration file of its own (the
        # container's, which imports the same hooks) in GUNICORN_CMD_ARGS
        # keeps it: a --config on the command line would replace it.
        if "--config" in self.env.get("GUNICORN_CMD_ARGS", ""):
            return []
        return ["--config", self.config]

    def start(self):
        """Start gunicorn and wait until it answers on the ready path."""
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--worker-class",
                self.worker_class,
                "--worker-tmp-dir",
                "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir(),
                "--log-level",
                "warning",
                "--no-control-socket",
                *self._config_arguments(),
                self.app,
            ],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn for {self.app} exited: {self.output()}")
            try:
                if requests.get(self.url + self.ready_path, timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        output = self.output()
        self.stop()
        raise RuntimeError(f"gunicorn for {self.app} did not become ready: {output}")

    def output(self) -> str:
        """What gunicorn printed so far."""
        if self.log is None:
            return ""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def kill(self):
        """SIGKILL the master and every worker at once."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        """Stop gracefully (SIGTERM to the group), then forcefully if needed."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.log is not None:
            self.log.close()
            self.log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, *exc_info):
        try:
            if exc_type is not None:
                # A failing test shows what the server said (pytest prints
                # captured output). When the failure is stdout itself (a
                # benchmark piped into ``head``), saying so fails too, and
                # must not leave the server running.
                with contextlib.suppress(OSError):
                    print(f"--- gunicorn {self.app} output ---\n{self.output()}")
        finally:
            self.stop()


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _UNITS[unit]


def _latency_percentile(output: str, percent: int) -> float:
    """One line of wrk's "Latency Distribution" table, in milliseconds.

    Anchored to the start of the line: the thread-stats table above it ends in
    a "+/- Stdev" column such as ``76.99%``, which an unanchored ``99%`` matches.
    """
    match = re.search(rf"^\s*{percent}%\s+(\S+)\s*$", output, re.MULTILINE)
    return _milliseconds(match.group(1))


def wrk_available() -> bool:
    """Whether the ``wrk`` load generator is installed."""
    return shutil.which("wrk") is not None


def run_wrk(url, connections=16, threads=2, duration=5, headers=None, script=None):
    """Load ``url`` with wrk; return requests/s, p50 and p99 latency (ms) and errors."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", script]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    return parse_wrk_output(output)


def parse_wrk_output(output: str) -> dict:
    """Requests/s, p50 and p99 latency (ms), non-2xx and socket errors from a wrk report."""
    result = {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _latency_percentile(output, 50),
        "p99_ms": _latency_percentile(output, 99),
        "non_2xx": 0,
        "socket_errors": 0,
    }
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if non_2xx:
        result["non_2xx"] = int(non_2xx.group(1))
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if errors:
        result["socket_errors"] = sum(int(n) for n in errors.groups())
    return result


def bare_flask_app():
    """The ceiling: a Flask app whose one endpoint returns a small JSON object.

    Serve it with ``GunicornServer("sim2l_service_kit.testing.benchmarking:bare_flask_app()")``.
    """
    from flask import Flask

    app = Flask("bare")

    @app.get("/health")
    def health():
        return {"status": "ok"}

    @app.get("/bare")
    def bare():
        return {
            "cache_key": "thermal_sim/350K/result",
            "run_db_path": "/path/to/run.db",
            "hit": True,
        }

    return app
