"""The outbox: what a run could not send to a service, kept until ``sim2l sync`` sends it.

A small SQLite file beside the run files (``{run_db_base_path}/.sim2l-outbox.sqlite``,
a name no run file can have), so several processes may queue and sync at once.
Each row is one pending call: the service (``catalog``, ``results``,
``cache``), the action, the execution it belongs to, its JSON payload, how
often it was tried and the last error. Rows of one execution are sent in the
order they were queued, so an execution is in the catalog before its cache entry.
"""

import json
import sqlite3
import time
from pathlib import Path

OUTBOX_FILE_NAME = ".sim2l-outbox.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pending (
    id INTEGER PRIMARY KEY,
    created_at REAL NOT NULL,
    service TEXT NOT NULL,
    action TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    last_error TEXT,
    last_attempt_at REAL
)
"""


class Outbox:
    """The pending service calls of one run folder."""

    def __init__(self, run_db_base_path):
        self.path = Path(run_db_base_path).expanduser() / OUTBOX_FILE_NAME

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(str(self.path), timeout=10, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(_SCHEMA)
        return connection

    def add(self, service: str, action: str, execution_id: str, payload: dict, error: str) -> int:
        """Queue one call that failed with ``error``; returns its id."""
        now = time.time()
        connection = self._connect()
        try:
            cursor = connection.execute(
                "INSERT INTO pending (created_at, service, action, execution_id, payload_json, "
                "last_error, last_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (now, service, action, execution_id, json.dumps(payload, default=str), error, now),
            )
            return cursor.lastrowid
        finally:
            connection.close()

    def entries(self) -> list[dict]:
        """Every pending call, oldest first."""
        if not self.path.exists():
            return []
        connection = self._connect()
        try:
            rows = connection.execute(
                "SELECT id, created_at, service, action, execution_id, payload_json, attempts, "
                "last_error, last_attempt_at FROM pending ORDER BY id"
            ).fetchall()
        finally:
            connection.close()
        keys = (
            "id",
            "created_at",
            "service",
            "action",
            "execution_id",
            "payload",
            "attempts",
            "last_error",
            "last_attempt_at",
        )
        entries = []
        for row in rows:
            entry = dict(zip(keys, row, strict=True))
            entry["payload"] = json.loads(entry["payload"])
            entries.append(entry)
        return entries

    def __len__(self):
        return len(self.entries())

    def remove(self, entry_id: int) -> None:
        """Forget a call that has now been sent."""
        connection = self._connect()
        try:
            connection.execute("DELETE FROM pending WHERE id = ?", (entry_id,))
        finally:
            connection.close()

    def record_failure(self, entry_id: int, error: str) -> None:
        """Note another failed attempt of a call."""
        connection = self._connect()
        try:
            connection.execute(
                "UPDATE pending SET attempts = attempts + 1, last_error = ?, last_attempt_at = ? "
                "WHERE id = ?",
                (error, time.time(), entry_id),
            )
        finally:
            connection.close()
