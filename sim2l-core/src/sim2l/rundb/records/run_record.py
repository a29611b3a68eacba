"""The run itself: starting and ending it, its status, where it ran, its summary."""

import functools
import importlib.metadata
import os
import platform
import socket
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path

from sim2l.rundb.checks import as_number
from sim2l.rundb.checks import check_name
from sim2l.rundb.checks import json_loads_or_none
from sim2l.rundb.checks import json_or_none
from sim2l.rundb.errors import RunStateError
from sim2l.rundb.liveness import writer_is_alive
from sim2l.rundb.run_file import STATUSES
from sim2l.rundb.run_file import TERMINAL_STATUSES
from sim2l.rundb.schema import SCHEMA_VERSION

# A run that has not ended and whose writer process is gone.
CRASHED = "crashed"

_SUMMARY_COLUMNS = (
    "execution_id",
    "simulation_name",
    "simulation_version",
    "status",
    "description",
    "username",
    "input_hash",
    "squid_id",
    "created_at",
    "started_at",
    "completed_at",
    "duration_seconds",
    "error_message",
    "input_count",
    "output_count",
    "log_count",
    "warning_count",
    "error_count",
    "metric_count",
    "artifact_count",
    "artifact_bytes",
)
_SUMMARY_QUERY = f"SELECT {', '.join(_SUMMARY_COLUMNS)} FROM run_summary"  # noqa: S608 (constant names)


@functools.lru_cache(maxsize=1)
def _installed_packages() -> tuple:
    """(name, version) of every installed distribution; constant for a process."""
    packages = {}
    for distribution in importlib.metadata.distributions():
        name = distribution.metadata.get("Name")
        if name:
            packages[name] = distribution.version
    return tuple(sorted(packages.items()))


@functools.lru_cache(maxsize=1)
def _host_facts() -> tuple:
    """Facts about the machine and interpreter; constant for a process."""
    try:
        core_version = importlib.metadata.version("sim2l-core")
    except importlib.metadata.PackageNotFoundError:
        core_version = None
    facts = (
        ("hostname", socket.gethostname()),
        ("platform", platform.platform()),
        ("machine", platform.machine()),
        ("os_name", os.name),
        ("python_version", platform.python_version()),
        ("python_implementation", platform.python_implementation()),
        ("cpu_count", str(os.cpu_count())),
        ("sim2l_core_version", core_version),
    )
    return tuple((key, None if value is None else str(value)) for key, value in facts)


def _environment_pairs() -> tuple:
    """``(key, value)`` of every environment fact, values as text."""
    # The pid is read each time: a forked process keeps the cached facts.
    return (*_host_facts(), ("pid", str(os.getpid())))


class RunRecord:
    """``initialize_run``, ``set_status``, ``complete_run``, the environment and the summary."""

    def initialize_run(
        self,
        simulation_name: str,
        simulation_version: str,
        *,
        description: str | None = None,
        username: str | None = None,
        input_hash: str | None = None,
        squid_id: str | None = None,
        metadata: Mapping | None = None,
        capture_environment: bool = True,
    ) -> None:
        """Start the run: name and version of the simulation, status ``running``.

        Also records where it runs (host, Python, installed packages) unless
        ``capture_environment=False``. A run is initialised once.
        """
        check_name(simulation_name, "simulation_name")
        check_name(str(simulation_version), "simulation_version")
        now = time.time()
        if capture_environment:
            with self._lock:
                if not self._writable:
                    # A run file created by this call starts with the environment in it.
                    self._open_writable(environment=(_environment_pairs(), _installed_packages()))
        with self.transaction():
            status = self._connection.execute("SELECT status FROM run WHERE id = 1").fetchone()[0]
            if status != "created":
                raise RunStateError(f"run {self.execution_id!r} is already initialised ({status})")
            self._connection.execute(
                "UPDATE run SET simulation_name = ?, simulation_version = ?, status = 'running', "
                "description = ?, username = ?, input_hash = ?, squid_id = ?, metadata_json = ?, "
                "started_at = ? WHERE id = 1",
                (
                    simulation_name,
                    str(simulation_version),
                    description,
                    username,
                    input_hash,
                    squid_id,
                    json_or_none(metadata),
                    now,
                ),
            )
            self._add_status_event("running", "run initialised", now)
            if capture_environment and not self._environment_recorded:
                self.capture_environment()
        self._took_part = True

    def _add_status_event(self, status: str, message: str | None, timestamp: float) -> None:
        self._connection.execute(
            "INSERT INTO status_events (timestamp, status, message) VALUES (?, ?, ?)",
            (timestamp, status, message),
        )

    def set_status(self, status: str, message: str | None = None) -> None:
        """Change the status (one of ``STATUSES``) and record the change."""
        if status not in STATUSES:
            raise ValueError(f"invalid status {status!r}; use one of {', '.join(STATUSES)}")
        now = time.time()
        with self.transaction():
            self._connection.execute("UPDATE run SET status = ? WHERE id = 1", (status,))
            self._add_status_event(status, message, now)
        self._ended(status)

    def complete_run(
        self,
        status: str = "completed",
        duration_seconds: float | None = None,
        error_message: str | None = None,
        traceback: str | None = None,
    ) -> None:
        """End the run with a terminal status; duration defaults to time since start."""
        if status not in TERMINAL_STATUSES:
            raise ValueError(
                f"invalid final status {status!r}; use one of {', '.join(TERMINAL_STATUSES)}"
            )
        now = time.time()
        with self.transaction():
            if duration_seconds is None:  # the caller's duration needs no read
                started = self._connection.execute(
                    "SELECT started_at FROM run WHERE id = 1"
                ).fetchone()[0]
                if started is not None:
                    duration_seconds = now - started
            self._connection.execute(
                "UPDATE run SET status = ?, completed_at = ?, duration_seconds = ?, "
                "error_message = ?, traceback = ? WHERE id = 1",
                (
                    status,
                    now,
                    as_number(duration_seconds, "duration_seconds"),
                    error_message,
                    traceback,
                ),
            )
            self._add_status_event(status, error_message, now)
        self._ended(status)

    def capture_environment(self, extra: Mapping | None = None) -> None:
        """Record host, platform, Python and installed package versions."""
        facts = {**dict(_environment_pairs()), **(extra or {})}
        with self.transaction():
            self._connection.executemany(
                "INSERT OR REPLACE INTO environment (key, value) VALUES (?, ?)",
                [(key, None if value is None else str(value)) for key, value in facts.items()],
            )
            self._connection.executemany(
                "INSERT OR REPLACE INTO packages (name, version) VALUES (?, ?)",
                _installed_packages(),
            )

    def get_environment(self) -> dict:
        """Facts about where the run ran, with ``packages``: ``{name: version}``."""
        facts = dict(self._execute("SELECT key, value FROM environment ORDER BY key").fetchall())
        packages = self._execute("SELECT name, version FROM packages ORDER BY name").fetchall()
        facts["packages"] = dict(packages)
        return facts

    def get_status_events(self) -> list[dict]:
        """Every status change in order: timestamp, status, message."""
        rows = self._execute(
            "SELECT timestamp, status, message FROM status_events ORDER BY id"
        ).fetchall()
        return [{"timestamp": row[0], "status": row[1], "message": row[2]} for row in rows]

    # ------------------------------------------------------------------ summary

    def get_summary(self) -> dict:
        """Run metadata and record counts (cost independent of the run's size).

        A run that has not ended while no process writes it any more (killed,
        crashed, machine rebooted) has status ``crashed``; ``last_seen_at`` is
        when its writer was last seen (None for a run that is alive or ended).
        """
        row = self._execute(_SUMMARY_QUERY).fetchone()
        summary = dict(zip(_SUMMARY_COLUMNS, row, strict=True))
        summary["schema_version"] = SCHEMA_VERSION
        summary["last_seen_at"] = None
        if summary["status"] not in TERMINAL_STATUSES and not writer_is_alive(self.path):
            # The writer may have ended the run between our read and the lock check.
            status = self._execute("SELECT status FROM run WHERE id = 1").fetchone()[0]
            if status not in TERMINAL_STATUSES:
                summary["status"] = CRASHED
                summary["last_seen_at"] = self._last_seen(summary)
            else:
                return self.get_summary()
        return summary

    def _last_seen(self, summary: dict) -> float | None:
        try:
            row = self._execute("SELECT last_seen_at FROM writer WHERE id = 1").fetchone()
        except sqlite3.OperationalError:  # a file written before the writer record
            row = None
        if row is not None:
            return row[0]
        return summary["started_at"] or summary["created_at"]

    def get_run(self) -> dict:
        """The summary plus metadata and the failure traceback, if any."""
        summary = self.get_summary()
        metadata, traceback = self._execute(
            "SELECT metadata_json, traceback FROM run WHERE id = 1"
        ).fetchone()
        summary["metadata"] = json_loads_or_none(metadata)
        summary["traceback"] = traceback
        return summary

    def snapshot(self, dest_path, overwrite: bool = False) -> Path:
        """A consistent single-file copy of the run (safe while it is being written)."""
        dest = Path(dest_path)
        if dest.exists() and not overwrite:
            raise FileExistsError(f"{dest} exists")
        partial = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
        target = sqlite3.connect(str(partial))
        try:
            with self._lock:
                self._reader().backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
        os.replace(partial, dest)
        return dest
