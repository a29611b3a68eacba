"""A throwaway PostgreSQL cluster for crash tests: ``initdb`` and ``pg_ctl`` on a free port.

Crash tests stop the database hard (``pg_ctl stop -m immediate``), which they
must never do to the shared server other tests use. ``ThrowawayCluster``
creates a cluster in a temporary folder, starts it on a free 127.0.0.1 port
(no Unix socket, trust authentication), and removes everything on ``close()``.
Run as root, the server runs as the ``postgres`` user (PostgreSQL refuses
root). Every ``pg_ctl`` call is bounded in time.

    with ThrowawayCluster() as cluster:
        url = cluster.create_database("test")
        cluster.crash()   # pg_ctl stop -m immediate: no checkpoint, like a power cut
        cluster.start()   # crash recovery replays the WAL
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from sim2l_service_kit.testing.benchmarking import free_port

PG_CTL_TIMEOUT = 60  # seconds for any pg_ctl step (crash recovery included)


class ClusterUnavailable(RuntimeError):
    """No PostgreSQL server binaries (initdb, pg_ctl) on this machine."""


def postgres_bin_dir() -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin`` that holds ``initdb``."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: (
            int(Path(path).parent.parent.name) if Path(path).parent.parent.name.isdigit() else 0
        ),
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise ClusterUnavailable("initdb not found (install the PostgreSQL server package)")


class ThrowawayCluster:
    """One private PostgreSQL cluster in a temporary folder, on a free port."""

    def __init__(self):
        self.bin = postgres_bin_dir()
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="sim2l-pgcluster-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self._as_user = None
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root: hand the folder to "postgres".
            account = pwd.getpwnam("postgres")
            os.chown(self.folder, account.pw_uid, account.pw_gid)
            self._as_user = "postgres"
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(
                f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                "unix_socket_directories = ''\nmax_connections = 100\n"
                # fsync stays on: the crash tests are about what the WAL keeps.
                "fsync = on\nlogging_collector = off\n"
            )
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str, timeout: float = PG_CTL_TIMEOUT) -> None:
        command = [str(self.bin / program), *args]
        if self._as_user:
            command = ["runuser", "-u", self._as_user, "--", *command]
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=self.folder
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"{program} failed ({completed.returncode}): {completed.stderr or completed.stdout}"
            )

    def start(self) -> "ThrowawayCluster":
        """Start the server (after a crash: with WAL recovery) and wait until it accepts."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")
        return self

    def crash(self) -> None:
        """``pg_ctl stop -m immediate``: every backend dies, no checkpoint, unflushed WAL lost."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        """Stop the server if it runs (fast shutdown)."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self, name: str) -> str:
        """Create a database; its URL."""
        import psycopg2

        connection = psycopg2.connect(self.url, connect_timeout=5)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
        return self.url.rsplit("/", 1)[0] + "/" + name

    def close(self) -> None:
        """Stop the server and delete the cluster."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "ThrowawayCluster":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()
