"""Running services under gunicorn for system tests: start, kill hard, restart.

Unlike ``sim2l_service_kit.testing.benchmarking.GunicornServer`` these servers run in
their own process group, so a test can SIGKILL the master and its workers
together, as a crashed pod would die.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time

import requests
from sim2l_service_kit.testing.benchmarking import free_port
from sim2l_sessions.database import database_from_url
from sim2l_sessions.migrations import migrate

APP_SPECS = {
    "cache": "sim2l_cache_service.app:create_app()",
    "catalog": "sim2l_catalog_service.app:create_app()",
    "results": "sim2l_results_service.app:create_app()",
}
MIGRATIONS = {
    "cache": "sim2l_cache_service.migrations",
    "catalog": "sim2l_catalog_service.migrations",
    "results": "sim2l_results_service.migrations",
}


def migrate_service(service: str, database_url: str) -> None:
    """Apply a service's migrations to a database."""
    database = database_from_url(database_url)
    migrate(database, MIGRATIONS[service])
    database.close()


class KillableService:
    """One service under gunicorn (sync workers) in its own process group."""

    def __init__(
        self,
        service: str,
        database_url: str,
        workers: int = 2,
        env=None,
        config: str = "python:sim2l_service_kit.gunicorn_config",
    ):
        """``config`` is gunicorn's ``--config``: the kit's hooks, or a file that imports them."""
        self.service = service
        self.config = config
        self.database_url = database_url
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            f"SIM2L_{service.upper()}_DATABASE_URL": database_url,
            **(env or {}),
        }
        self.process = None
        self.log = None

    def start(self) -> "KillableService":
        """Start gunicorn and wait for /health."""
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--worker-tmp-dir",
                "/dev/shm",
                "--log-level",
                "warning",
                "--no-control-socket",
                # /metrics sums every worker (the kit's metrics directory hooks).
                "--config",
                self.config,
                APP_SPECS[self.service],
            ],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.service} exited: {self.output()}")
            try:
                if requests.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.service} did not start: {self.output()}")

    def output(self) -> str:
        """What gunicorn printed so far."""
        if self.log is None:
            return ""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL the master and every worker at once."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
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
        if exc_type is not None:
            # A failing test shows what the service said (pytest prints captured output).
            print(f"--- {self.service} service output ---\n{self.output()}")
        self.stop()
