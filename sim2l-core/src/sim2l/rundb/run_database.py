"""``RunDatabase``: everything about one execution, in one portable SQLite file.

Writes go through the standard ``sqlite3`` module on one connection in
autocommit mode, WAL journal and ``synchronous=NORMAL``: each single-call
writer is one prepared statement that is committed when the call returns, and
another process can read the run while it is written. Batch writers put all
their rows in one transaction.
"""

import functools
import importlib.metadata
import json
import logging
import os
import platform
import socket
import sqlite3
import threading
import time
import traceback as traceback_module
from collections.abc import Iterable
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

from sim2l.rundb.blobs import BlobReader
from sim2l.rundb.blobs import copy_to_file
from sim2l.rundb.blobs import iter_content
from sim2l.rundb.blobs import write_blob
from sim2l.rundb.errors import ArtifactNotFoundError
from sim2l.rundb.errors import InvalidNameError
from sim2l.rundb.errors import RunNotFoundError
from sim2l.rundb.errors import RunStateError
from sim2l.rundb.errors import SchemaVersionError
from sim2l.rundb.execution_ids import run_file_path
from sim2l.rundb.execution_ids import validate_execution_id
from sim2l.rundb.migrations import prepare_schema
from sim2l.rundb.migrations import schema_version_of
from sim2l.rundb.schema import SCHEMA_VERSION
from sim2l.rundb.values import decode_value
from sim2l.rundb.values import encode_value

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_LEVEL_ALIASES = {"WARN": "WARNING", "FATAL": "CRITICAL", "ERR": "ERROR"}
_LEVEL_RANK = {level: rank for rank, level in enumerate(LOG_LEVELS)}

TERMINAL_STATUSES = ("completed", "failed", "cancelled", "timeout")
STATUSES = ("created", "running", *TERMINAL_STATUSES)

# The sim2l type a value suggests when the caller names none.
_TYPE_OF_KIND = {
    "null": "null",
    "bool": "boolean",
    "int": "integer",
    "float": "number",
    "str": "string",
    "bytes": "bytes",
    "list": "list",
    "dict": "dict",
    "array": "array",
}

_VALUE_UPSERT = """
INSERT INTO {table} (name, type, value_kind, value_json, value_number, value_blob,
                     units, description, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET
    type = excluded.type, value_kind = excluded.value_kind, value_json = excluded.value_json,
    value_number = excluded.value_number, value_blob = excluded.value_blob,
    units = excluded.units, description = excluded.description, created_at = excluded.created_at
"""
_INSERT_INPUT = _VALUE_UPSERT.format(table="inputs")
_INSERT_OUTPUT = _VALUE_UPSERT.format(table="outputs")
_INSERT_LOG = (
    "INSERT INTO logs (timestamp, level, message, source, context_json) VALUES (?, ?, ?, ?, ?)"
)
_INSERT_METRIC = (
    "INSERT INTO metrics (name, value, unit, category, step, timestamp) VALUES (?, ?, ?, ?, ?, ?)"
)

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


def _check_name(name, what: str = "name") -> str:
    """A record name: a non-empty string without NUL, at most 1,000 characters."""
    if not isinstance(name, str) or not name or "\x00" in name or len(name) > 1000:
        raise InvalidNameError(f"{what} must be a non-empty string of at most 1000 characters")
    return name


def _check_file_name(name) -> str:
    """An artifact name: a plain file name, so it is safe to join to a folder."""
    _check_name(name, "artifact name")
    if name in (".", "..") or "/" in name or "\\" in name or len(name) > 255:
        raise InvalidNameError(
            f"invalid artifact name {name!r}: use a plain file name (no '/', '\\', '.' or '..')"
        )
    return name


def normalize_level(level) -> str:
    """``"info"``, ``"WARN"``, ``logging.ERROR``... as one of ``LOG_LEVELS``."""
    if isinstance(level, int) and not isinstance(level, bool):
        level = logging.getLevelName(level)
    if isinstance(level, str):
        upper = level.strip().upper()
        upper = _LEVEL_ALIASES.get(upper, upper)
        if upper in _LEVEL_RANK:
            return upper
    raise ValueError(f"invalid log level {level!r}; use one of {', '.join(LOG_LEVELS)}")


def _number(value, what: str):
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) if isinstance(value, bool) else value
    if hasattr(value, "item"):  # numpy-like scalar
        return _number(value.item(), what)
    raise TypeError(f"{what} must be a number, got {type(value).__name__}")


def _json_or_none(value) -> str | None:
    return None if value is None else json.dumps(value, default=str, separators=(",", ":"))


@functools.lru_cache(maxsize=1)
def _installed_packages() -> tuple:
    """(name, version) of every installed distribution; constant for a process."""
    packages = {}
    for distribution in importlib.metadata.distributions():
        name = distribution.metadata.get("Name")
        if name:
            packages[name] = distribution.version
    return tuple(sorted(packages.items()))


def _environment_facts() -> dict:
    try:
        core_version = importlib.metadata.version("sim2l-core")
    except importlib.metadata.PackageNotFoundError:
        core_version = None
    return {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "os_name": os.name,
        "python_version": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "cpu_count": str(os.cpu_count()),
        "pid": str(os.getpid()),
        "sim2l_core_version": core_version,
    }


class RunDatabase:
    """The SQLite file of one execution: ``{run_db_base_path}/{execution_id}.db``.

    ``RunDatabase("exec-1")`` opens the run's file, creating it when missing
    (``create=False`` raises ``RunNotFoundError`` instead). ``path=`` names the
    file explicitly; ``base_path=`` overrides the configured run folder.
    ``read_only=True`` opens an existing current-version file for reading only.

    Use it as a context manager: an exception inside the ``with`` block marks
    the run failed with its traceback and propagates; leaving the block
    normally closes the file and never completes the run by itself.

    The object may be shared between threads (calls are serialised by a lock).
    """

    def __init__(
        self,
        execution_id: str | None = None,
        *,
        path=None,
        base_path=None,
        read_only: bool = False,
        create: bool = True,
    ):
        if execution_id is not None:
            validate_execution_id(execution_id)
        if path is None:
            if execution_id is None:
                raise TypeError("RunDatabase needs an execution_id or a path")
            if base_path is None:
                from sim2l.settings import get_settings

                base_path = get_settings().run_db_base_path
            path = run_file_path(execution_id, Path(base_path))
        self.path = Path(path).expanduser()
        self.read_only = read_only
        self._lock = threading.RLock()
        exists = self.path.exists()
        if not exists and (read_only or not create):
            raise RunNotFoundError(f"no run file at {self.path}")
        self._connection = self._connect()
        try:
            if read_only:
                version = schema_version_of(self._connection)
                if version != SCHEMA_VERSION:
                    raise SchemaVersionError(
                        f"run file schema version {version} needs migrating to {SCHEMA_VERSION}: "
                        "open it once without read_only=True"
                    )
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                initial_id = execution_id or validate_execution_id(self.path.stem)
                prepare_schema(self._connection, initial_id)
            stored_id = self._connection.execute(
                "SELECT execution_id FROM run WHERE id = 1"
            ).fetchone()[0]
        except BaseException:
            self._connection.close()
            raise
        if execution_id is not None and stored_id != execution_id:
            self._connection.close()
            raise RunStateError(f"{self.path} holds run {stored_id!r}, not {execution_id!r}")
        self.execution_id = stored_id

    def _connect(self) -> sqlite3.Connection:
        if self.read_only:
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            connection = sqlite3.connect(
                uri, uri=True, isolation_level=None, check_same_thread=False, timeout=10
            )
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                str(self.path), isolation_level=None, check_same_thread=False, timeout=10
            )
            # WAL lets readers in other processes see committed rows while this
            # one writes; NORMAL syncs at checkpoints only, which in WAL mode
            # still never corrupts the file (a power cut may lose the last
            # commits, an application crash loses nothing).
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            # After a large artifact, shrink the WAL back instead of keeping it.
            connection.execute("PRAGMA journal_size_limit=67108864")
        connection.execute("PRAGMA busy_timeout=10000")
        return connection

    # ------------------------------------------------------------------ life cycle

    def close(self) -> None:
        """Close the file; the last connection to close folds the WAL back into it."""
        with self._lock:
            self._connection.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is not None and not self.read_only:
                status = "cancelled" if issubclass(exc_type, KeyboardInterrupt) else "failed"
                text = "".join(traceback_module.format_exception(exc_type, exc, tb))
                message = f"{exc_type.__name__}: {exc}"
                self.log("CRITICAL" if status == "failed" else "WARNING", message, source="sim2l")
                self.complete_run(status, error_message=message, traceback=text)
        finally:
            self.close()
        return False

    def __repr__(self):
        return f"RunDatabase({self.execution_id!r}, path={str(self.path)!r})"

    @contextmanager
    def transaction(self):
        """Group several writes into one transaction (committed at the end)."""
        with self._lock:
            if self._connection.in_transaction:
                yield self
                return
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def _execute(self, sql: str, parameters=()):
        with self._lock:
            return self._connection.execute(sql, parameters)

    def _execute_many(self, sql: str, rows: list) -> int:
        with self.transaction():
            self._connection.executemany(sql, rows)
        return len(rows)

    # ------------------------------------------------------------------ run metadata

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
        _check_name(simulation_name, "simulation_name")
        _check_name(str(simulation_version), "simulation_version")
        now = time.time()
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
                    _json_or_none(metadata),
                    now,
                ),
            )
            self._add_status_event("running", "run initialised", now)
            if capture_environment:
                self.capture_environment()

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
            started = self._connection.execute("SELECT started_at FROM run WHERE id = 1").fetchone()
            if duration_seconds is None and started[0] is not None:
                duration_seconds = now - started[0]
            self._connection.execute(
                "UPDATE run SET status = ?, completed_at = ?, duration_seconds = ?, "
                "error_message = ?, traceback = ? WHERE id = 1",
                (
                    status,
                    now,
                    _number(duration_seconds, "duration_seconds"),
                    error_message,
                    traceback,
                ),
            )
            self._add_status_event(status, error_message, now)

    def capture_environment(self, extra: Mapping | None = None) -> None:
        """Record host, platform, Python and installed package versions."""
        facts = {**_environment_facts(), **(extra or {})}
        with self.transaction():
            self._connection.executemany(
                "INSERT OR REPLACE INTO environment (key, value) VALUES (?, ?)",
                [(key, None if value is None else str(value)) for key, value in facts.items()],
            )
            self._connection.executemany(
                "INSERT OR REPLACE INTO packages (name, version) VALUES (?, ?)",
                _installed_packages(),
            )

    # ------------------------------------------------------------------ inputs and outputs

    @staticmethod
    def _value_row(name, value, type, units, description, now):
        kind, value_json, number, blob = encode_value(value)
        return (
            _check_name(name),
            type or _TYPE_OF_KIND[kind],
            kind,
            value_json,
            number,
            blob,
            units,
            description,
            now,
        )

    def save_input(
        self,
        name: str,
        value,
        type: str | None = None,
        units: str | None = None,
        description: str | None = None,
    ) -> None:
        """Record (or replace) an input value; committed when this returns."""
        row = self._value_row(name, value, type, units, description, time.time())
        with self._lock:
            self._connection.execute(_INSERT_INPUT, row)

    def save_output(
        self,
        name: str,
        value,
        type: str | None = None,
        units: str | None = None,
        description: str | None = None,
    ) -> None:
        """Record (or replace) an output value; committed when this returns."""
        row = self._value_row(name, value, type, units, description, time.time())
        with self._lock:
            self._connection.execute(_INSERT_OUTPUT, row)

    def _value_rows(self, values):
        now = time.time()
        if isinstance(values, Mapping):
            # The common batch form; inlined because per-row Python work is
            # most of a batch write's cost.
            rows = []
            append = rows.append
            type_of_kind = _TYPE_OF_KIND
            for name, value in values.items():
                if name.__class__ is not str or not name or len(name) > 1000 or "\x00" in name:
                    _check_name(name)
                value_class = value.__class__
                if value_class is float and value - value == 0.0:  # finite
                    append((name, "number", "float", repr(value), value, None, None, None, now))
                elif value_class is int and -(2**53) < value < 2**53:
                    append((name, "integer", "int", str(value), value, None, None, None, now))
                else:
                    kind, value_json, number, blob = encode_value(value)
                    append(
                        (name, type_of_kind[kind], kind, value_json, number, blob, None, None, now)
                    )
            return rows
        rows = []
        for item in values:
            if isinstance(item, Mapping):
                rows.append(
                    self._value_row(
                        item["name"],
                        item.get("value"),
                        item.get("type"),
                        item.get("units"),
                        item.get("description"),
                        now,
                    )
                )
            else:
                rows.append(self._value_row(*item, *(None,) * (5 - len(item)), now))
        return rows

    def save_inputs(self, values) -> int:
        """Record many inputs in one transaction; return how many.

        ``values`` is a mapping ``{name: value}``, or an iterable of dicts with
        ``name``, ``value`` and optional ``type``, ``units``, ``description``,
        or of tuples ``(name, value[, type[, units[, description]]])``.
        """
        return self._execute_many(_INSERT_INPUT, self._value_rows(values))

    def save_outputs(self, values) -> int:
        """Record many outputs in one transaction (same forms as ``save_inputs``)."""
        return self._execute_many(_INSERT_OUTPUT, self._value_rows(values))

    def _read_values(self, table: str, name: str | None = None) -> list[dict]:
        sql = (
            f"SELECT name, type, value_kind, value_json, value_blob, units, description, "  # noqa: S608 (constant names)
            f"created_at FROM {table}"
        )
        parameters = ()
        if name is not None:
            sql += " WHERE name = ?"
            parameters = (name,)
        rows = self._execute(sql + " ORDER BY rowid", parameters).fetchall()
        return [
            {
                "name": row[0],
                "value": decode_value(row[2], row[3], row[4]),
                "type": row[1],
                "units": row[5],
                "description": row[6],
                "created_at": row[7],
            }
            for row in rows
        ]

    def get_inputs(self) -> list[dict]:
        """Every input: dicts with name, value, type, units, description, created_at."""
        return self._read_values("inputs")

    def get_outputs(self) -> list[dict]:
        """Every output, shaped like ``get_inputs()``."""
        return self._read_values("outputs")

    def get_input_values(self) -> dict:
        """``{name: value}`` of every input."""
        return {item["name"]: item["value"] for item in self.get_inputs()}

    def get_output_values(self) -> dict:
        """``{name: value}`` of every output."""
        return {item["name"]: item["value"] for item in self.get_outputs()}

    def get_input(self, name: str):
        """The value of one input; ``KeyError`` when there is none."""
        found = self._read_values("inputs", name)
        if not found:
            raise KeyError(name)
        return found[0]["value"]

    def get_output(self, name: str):
        """The value of one output; ``KeyError`` when there is none."""
        found = self._read_values("outputs", name)
        if not found:
            raise KeyError(name)
        return found[0]["value"]

    # ------------------------------------------------------------------ parameter schemas

    def save_parameter_schema(
        self,
        name: str,
        direction: str = "input",
        type: str | None = None,
        units: str | None = None,
        min_value=None,
        max_value=None,
        default=None,
        description: str | None = None,
        options=None,
        required: bool = False,
    ) -> None:
        """Declare an input or output: type, units, range, default, options."""
        if direction not in ("input", "output"):
            raise ValueError(f"direction must be 'input' or 'output', got {direction!r}")
        kind, default_json, _, default_blob = encode_value(default)
        self._execute(
            "INSERT OR REPLACE INTO parameter_schemas (direction, name, type, units, min_value, "
            "max_value, description, options_json, required, default_kind, default_json, "
            "default_blob) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                direction,
                _check_name(name),
                type,
                units,
                _number(min_value, "min_value"),
                _number(max_value, "max_value"),
                description,
                _json_or_none(list(options) if options is not None else None),
                int(bool(required)),
                kind,
                default_json,
                default_blob,
            ),
        )

    def save_parameter_schemas(self, schema: Mapping) -> None:
        """Declare many parameters at once: ``{"inputs": {name: {...}}, "outputs": {...}}``.

        The per-parameter dicts take the keyword arguments of
        ``save_parameter_schema`` (``min``/``max`` are accepted for the range).
        """
        with self.transaction():
            for direction in ("input", "output"):
                for name, spec in (schema.get(direction + "s") or {}).items():
                    spec = dict(spec)
                    spec.setdefault("min_value", spec.pop("min", None))
                    spec.setdefault("max_value", spec.pop("max", None))
                    self.save_parameter_schema(name, direction, **spec)

    def get_parameter_schemas(self, direction: str | None = None) -> list[dict]:
        """Declared parameters (all, or ``"input"``/``"output"`` only)."""
        sql = (
            "SELECT direction, name, type, units, min_value, max_value, description, "
            "options_json, required, default_kind, default_json, default_blob "
            "FROM parameter_schemas"
        )
        parameters = ()
        if direction is not None:
            sql += " WHERE direction = ?"
            parameters = (direction,)
        result = []
        for row in self._execute(sql + " ORDER BY rowid", parameters).fetchall():
            result.append(
                {
                    "direction": row[0],
                    "name": row[1],
                    "type": row[2],
                    "units": row[3],
                    "min_value": row[4],
                    "max_value": row[5],
                    "description": row[6],
                    "options": None if row[7] is None else json.loads(row[7]),
                    "required": bool(row[8]),
                    "default": decode_value(row[9], row[10], row[11]) if row[9] else None,
                }
            )
        return result

    # ------------------------------------------------------------------ logs

    def log(
        self,
        level,
        message: str,
        *,
        source: str | None = None,
        context=None,
        timestamp: float | None = None,
    ) -> None:
        """Record a log message; committed when this returns."""
        row = (
            time.time() if timestamp is None else timestamp,
            normalize_level(level),
            str(message),
            source,
            None if context is None else _json_or_none(context),
        )
        with self._lock:
            self._connection.execute(_INSERT_LOG, row)

    def log_many(self, entries: Iterable) -> int:
        """Record many log messages in one transaction; return how many.

        Each entry is a dict (``level``, ``message``, optional ``source``,
        ``context``, ``timestamp``) or a tuple ``(level, message)``.
        """
        now = time.time()
        rows = []
        for entry in entries:
            if isinstance(entry, Mapping):
                rows.append(
                    (
                        entry.get("timestamp") or now,
                        normalize_level(entry["level"]),
                        str(entry["message"]),
                        entry.get("source"),
                        _json_or_none(entry.get("context")),
                    )
                )
            else:
                level, message = entry
                rows.append((now, normalize_level(level), str(message), None, None))
        return self._execute_many(_INSERT_LOG, rows)

    def get_logs(
        self,
        level=None,
        *,
        min_level=None,
        source: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict]:
        """Log records in order; ``level`` exactly, or ``min_level`` and above."""
        clauses, parameters = [], []
        if level is not None:
            clauses.append("level = ?")
            parameters.append(normalize_level(level))
        if min_level is not None:
            allowed = LOG_LEVELS[_LEVEL_RANK[normalize_level(min_level)] :]
            clauses.append(f"level IN ({', '.join('?' * len(allowed))})")
            parameters.extend(allowed)
        if source is not None:
            clauses.append("source = ?")
            parameters.append(source)
        sql = "SELECT id, timestamp, level, message, source, context_json FROM logs"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY id LIMIT ? OFFSET ?"
        parameters += [-1 if limit is None else int(limit), int(offset)]
        return [
            {
                "id": row[0],
                "timestamp": row[1],
                "level": row[2],
                "message": row[3],
                "source": row[4],
                "context": None if row[5] is None else json.loads(row[5]),
            }
            for row in self._execute(sql, parameters).fetchall()
        ]

    # ------------------------------------------------------------------ metrics

    @staticmethod
    def _metric_row(name, value, unit, category, step, timestamp, now):
        return (
            _check_name(name),
            _number(value, "metric value"),
            unit,
            category,
            None if step is None else int(step),
            now if timestamp is None else timestamp,
        )

    def save_metric(
        self,
        name: str,
        value,
        unit: str | None = None,
        category: str | None = None,
        step: int | None = None,
        timestamp: float | None = None,
    ) -> None:
        """Record one numeric metric sample; committed when this returns."""
        row = self._metric_row(name, value, unit, category, step, timestamp, time.time())
        with self._lock:
            self._connection.execute(_INSERT_METRIC, row)

    def save_metrics(self, metrics: Iterable) -> int:
        """Record many metric samples in one transaction; return how many.

        Each is a dict (``name``, ``value``, optional ``unit``, ``category``,
        ``step``, ``timestamp``) or a tuple ``(name, value[, unit[, category[, step]]])``.
        """
        now = time.time()
        rows = []
        for item in metrics:
            if isinstance(item, Mapping):
                rows.append(
                    self._metric_row(
                        item["name"],
                        item["value"],
                        item.get("unit"),
                        item.get("category"),
                        item.get("step"),
                        item.get("timestamp"),
                        now,
                    )
                )
            else:
                padded = (*item, *(None,) * (5 - len(item)))
                rows.append(self._metric_row(*padded, None, now))
        return self._execute_many(_INSERT_METRIC, rows)

    def get_metrics(self, category: str | None = None, name: str | None = None) -> list[dict]:
        """Metric samples in order, optionally of one category and/or name."""
        clauses, parameters = [], []
        if category is not None:
            clauses.append("category = ?")
            parameters.append(category)
        if name is not None:
            clauses.append("name = ?")
            parameters.append(name)
        sql = "SELECT id, name, value, unit, category, step, timestamp FROM metrics"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        keys = ("id", "name", "value", "unit", "category", "step", "timestamp")
        return [
            dict(zip(keys, row, strict=True))
            for row in self._execute(sql + " ORDER BY id", parameters).fetchall()
        ]

    # ------------------------------------------------------------------ artifacts

    def save_artifact(
        self,
        name: str,
        path=None,
        content=None,
        *,
        content_type: str | None = None,
        category: str = "output",
        description: str | None = None,
    ) -> dict:
        """Store a file's bytes in the run (``path=`` or ``content=``); return its record.

        ``content`` may be bytes, str (UTF-8), a binary file object or an
        iterable of bytes; it is read in chunks, so its size is not limited by
        memory. Equal contents are stored once. Saving a name again replaces it.
        """
        _check_file_name(name)
        source_name = None if path is None else Path(path).name
        if content_type is None and path is not None:
            import mimetypes

            content_type = mimetypes.guess_type(str(path))[0]
        chunks = iter_content(content=content, path=path)
        now = time.time()
        with self.transaction():
            sha256, size = write_blob(self._connection, chunks)
            self._connection.execute(
                "INSERT INTO artifacts (name, sha256, size, content_type, category, description, "
                "source_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size, "
                "content_type = excluded.content_type, category = excluded.category, "
                "description = excluded.description, source_name = excluded.source_name, "
                "created_at = excluded.created_at",
                (name, sha256, size, content_type, category, description, source_name, now),
            )
            self._drop_unused_blobs()
        return self.get_artifact(name)

    def _drop_unused_blobs(self) -> None:
        """Delete blobs no artifact or checkpoint points at (after a replacement)."""
        unused = self._connection.execute(
            "SELECT id FROM blobs WHERE sha256 NOT IN (SELECT sha256 FROM artifacts) "
            "AND sha256 NOT IN (SELECT sha256 FROM checkpoints WHERE sha256 IS NOT NULL)"
        ).fetchall()
        for (blob_id,) in unused:
            self._connection.execute("DELETE FROM blob_chunks WHERE blob_id = ?", (blob_id,))
            self._connection.execute("DELETE FROM blobs WHERE id = ?", (blob_id,))

    _ARTIFACT_COLUMNS = (
        "name",
        "sha256",
        "size",
        "content_type",
        "category",
        "description",
        "source_name",
        "created_at",
    )

    def get_artifacts(self, category: str | None = None) -> list[dict]:
        """Artifact records: name, sha256, size, content_type, category, description, ..."""
        sql = f"SELECT {', '.join(self._ARTIFACT_COLUMNS)} FROM artifacts"  # noqa: S608 (constant names)
        parameters = ()
        if category is not None:
            sql += " WHERE category = ?"
            parameters = (category,)
        rows = self._execute(sql + " ORDER BY rowid", parameters).fetchall()
        return [dict(zip(self._ARTIFACT_COLUMNS, row, strict=True)) for row in rows]

    def get_artifact(self, name: str) -> dict:
        """One artifact's record; ``ArtifactNotFoundError`` when there is none."""
        row = self._execute(
            f"SELECT {', '.join(self._ARTIFACT_COLUMNS)} FROM artifacts WHERE name = ?",  # noqa: S608
            (name,),
        ).fetchone()
        if row is None:
            raise ArtifactNotFoundError(f"run {self.execution_id!r} has no artifact {name!r}")
        return dict(zip(self._ARTIFACT_COLUMNS, row, strict=True))

    def open_artifact(self, name: str) -> BlobReader:
        """A binary, seekable stream of an artifact's bytes, read chunk by chunk."""
        sha256 = self.get_artifact(name)["sha256"]
        with self._lock:
            return BlobReader(self._connection, sha256, lock=self._lock)

    def iter_artifact(self, name: str, chunk_size: int = 1024 * 1024):
        """Yield an artifact's bytes in pieces of at most ``chunk_size``."""
        with self.open_artifact(name) as reader:
            while True:
                chunk = reader.read(chunk_size)
                if not chunk:
                    return
                yield chunk

    def read_artifact(self, name: str) -> bytes:
        """An artifact's whole content (use ``open_artifact`` for large ones)."""
        return b"".join(self.iter_artifact(name))

    def export_artifact(self, name: str, dest_path, overwrite: bool = False) -> Path:
        """Write an artifact to ``dest_path``; an existing file is kept unless ``overwrite``.

        Raises ``FileExistsError`` when the file exists and ``overwrite`` is false.
        """
        with self.open_artifact(name) as reader:
            copy_to_file(reader, Path(dest_path), exclusive=not overwrite)
        return Path(dest_path)

    # ------------------------------------------------------------------ checkpoints

    def save_checkpoint(
        self, name: str, state=None, *, step: int | None = None, content=None, path=None
    ) -> None:
        """Record a named state: a typed value (``state``) and/or bytes (``content``/``path``)."""
        _check_name(name)
        kind, value_json, number, blob = encode_value(state)
        now = time.time()
        with self.transaction():
            sha256 = size = None
            if content is not None or path is not None:
                sha256, size = write_blob(
                    self._connection, iter_content(content=content, path=path)
                )
            self._connection.execute(
                "INSERT INTO checkpoints (name, step, value_kind, value_json, value_number, "
                "value_blob, sha256, size, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (name, step, kind, value_json, number, blob, sha256, size, now),
            )

    def get_checkpoints(self, name: str | None = None) -> list[dict]:
        """Checkpoints in order: name, step, state, sha256, size, timestamp."""
        sql = (
            "SELECT id, name, step, value_kind, value_json, value_blob, sha256, size, timestamp "
            "FROM checkpoints"
        )
        parameters = ()
        if name is not None:
            sql += " WHERE name = ?"
            parameters = (name,)
        return [
            {
                "id": row[0],
                "name": row[1],
                "step": row[2],
                "state": decode_value(row[3], row[4], row[5]),
                "sha256": row[6],
                "size": row[7],
                "timestamp": row[8],
            }
            for row in self._execute(sql + " ORDER BY id", parameters).fetchall()
        ]

    def open_checkpoint_content(self, checkpoint_id: int) -> BlobReader:
        """A stream of the bytes saved with a checkpoint."""
        row = self._execute(
            "SELECT sha256 FROM checkpoints WHERE id = ?", (checkpoint_id,)
        ).fetchone()
        if row is None or row[0] is None:
            raise KeyError(f"checkpoint {checkpoint_id} has no content")
        with self._lock:
            return BlobReader(self._connection, row[0], lock=self._lock)

    # ------------------------------------------------------------------ other records

    def save_resource_usage(
        self,
        cpu_percent=None,
        memory_bytes=None,
        *,
        peak_memory_bytes=None,
        disk_read_bytes=None,
        disk_write_bytes=None,
        gpu_percent=None,
        gpu_memory_bytes=None,
        timestamp: float | None = None,
        **extra,
    ) -> None:
        """Record one sample of resource use; unknown keywords go to ``extra``."""
        self._execute(
            "INSERT INTO resource_usage (timestamp, cpu_percent, memory_bytes, peak_memory_bytes, "
            "disk_read_bytes, disk_write_bytes, gpu_percent, gpu_memory_bytes, extra_json) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                time.time() if timestamp is None else timestamp,
                _number(cpu_percent, "cpu_percent"),
                _number(memory_bytes, "memory_bytes"),
                _number(peak_memory_bytes, "peak_memory_bytes"),
                _number(disk_read_bytes, "disk_read_bytes"),
                _number(disk_write_bytes, "disk_write_bytes"),
                _number(gpu_percent, "gpu_percent"),
                _number(gpu_memory_bytes, "gpu_memory_bytes"),
                _json_or_none(extra or None),
            ),
        )

    def get_resource_usage(self) -> list[dict]:
        """Resource samples in order."""
        keys = (
            "timestamp",
            "cpu_percent",
            "memory_bytes",
            "peak_memory_bytes",
            "disk_read_bytes",
            "disk_write_bytes",
            "gpu_percent",
            "gpu_memory_bytes",
            "extra",
        )
        rows = self._execute(
            f"SELECT {', '.join(keys[:-1])}, extra_json FROM resource_usage "  # noqa: S608 (constant names)
            "ORDER BY id"
        ).fetchall()
        result = []
        for row in rows:
            item = dict(zip(keys, row, strict=True))
            item["extra"] = None if item["extra"] is None else json.loads(item["extra"])
            result.append(item)
        return result

    def add_provenance(
        self,
        kind: str,
        entity: str,
        *,
        description: str | None = None,
        sha256: str | None = None,
        details=None,
    ) -> None:
        """Record where something came from: ``kind`` (say ``"source_code"``) and ``entity``."""
        self._execute(
            "INSERT INTO provenance (kind, entity, description, sha256, details_json, timestamp) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                _check_name(kind, "kind"),
                str(entity),
                description,
                sha256,
                _json_or_none(details),
                time.time(),
            ),
        )

    def get_provenance(self) -> list[dict]:
        """Provenance records in order."""
        rows = self._execute(
            "SELECT kind, entity, description, sha256, details_json, timestamp FROM provenance "
            "ORDER BY id"
        ).fetchall()
        return [
            {
                "kind": row[0],
                "entity": row[1],
                "description": row[2],
                "sha256": row[3],
                "details": None if row[4] is None else json.loads(row[4]),
                "timestamp": row[5],
            }
            for row in rows
        ]

    def add_tag(self, key: str, value: str | None = None) -> None:
        """Label the run; a key holds one value (adding it again replaces it)."""
        self._execute(
            "INSERT OR REPLACE INTO tags (key, value) VALUES (?, ?)",
            (_check_name(key, "tag"), None if value is None else str(value)),
        )

    def get_tags(self) -> dict:
        """``{key: value}`` of every tag."""
        return dict(self._execute("SELECT key, value FROM tags ORDER BY key").fetchall())

    def add_dependency(
        self,
        kind: str,
        target: str,
        *,
        version: str | None = None,
        sha256: str | None = None,
        description: str | None = None,
    ) -> None:
        """Record that the run used another ``run``, ``file``, ``package`` or ``service``."""
        if kind not in ("run", "file", "package", "service"):
            raise ValueError(f"dependency kind must be run, file, package or service, not {kind!r}")
        if kind == "run":
            validate_execution_id(target)
        self._execute(
            "INSERT INTO dependencies (kind, target, version, sha256, description) "
            "VALUES (?, ?, ?, ?, ?)",
            (kind, _check_name(target, "target"), version, sha256, description),
        )

    def get_dependencies(self) -> list[dict]:
        """Dependencies in order: kind, target, version, sha256, description."""
        keys = ("kind", "target", "version", "sha256", "description")
        rows = self._execute(f"SELECT {', '.join(keys)} FROM dependencies ORDER BY id").fetchall()  # noqa: S608 (constant names)
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def record_cell_execution(
        self,
        cell_index: int,
        source: str,
        *,
        status: str = "ok",
        execution_count: int | None = None,
        started_at: float | None = None,
        duration_seconds: float | None = None,
        output: str | None = None,
    ) -> None:
        """Record one notebook cell run as part of this execution."""
        self._execute(
            "INSERT INTO cell_executions (cell_index, execution_count, source, status, started_at, "
            "duration_seconds, output) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                int(cell_index),
                execution_count,
                str(source),
                str(status),
                started_at,
                _number(duration_seconds, "duration_seconds"),
                output,
            ),
        )

    def get_cell_executions(self) -> list[dict]:
        """Notebook cell executions in order."""
        keys = (
            "cell_index",
            "execution_count",
            "source",
            "status",
            "started_at",
            "duration_seconds",
            "output",
        )
        rows = self._execute(
            f"SELECT {', '.join(keys)} FROM cell_executions ORDER BY id"  # noqa: S608 (constant names)
        ).fetchall()
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def get_status_events(self) -> list[dict]:
        """Every status change in order: timestamp, status, message."""
        rows = self._execute(
            "SELECT timestamp, status, message FROM status_events ORDER BY id"
        ).fetchall()
        return [{"timestamp": row[0], "status": row[1], "message": row[2]} for row in rows]

    def get_environment(self) -> dict:
        """Facts about where the run ran, with ``packages``: ``{name: version}``."""
        facts = dict(self._execute("SELECT key, value FROM environment ORDER BY key").fetchall())
        packages = self._execute("SELECT name, version FROM packages ORDER BY name").fetchall()
        facts["packages"] = dict(packages)
        return facts

    # ------------------------------------------------------------------ summary

    def get_summary(self) -> dict:
        """Run metadata and record counts from the one ``run`` row (cost independent of size)."""
        row = self._execute(_SUMMARY_QUERY).fetchone()
        summary = dict(zip(_SUMMARY_COLUMNS, row, strict=True))
        summary["schema_version"] = SCHEMA_VERSION
        return summary

    def get_run(self) -> dict:
        """The summary plus metadata and the failure traceback, if any."""
        summary = self.get_summary()
        metadata, traceback = self._execute(
            "SELECT metadata_json, traceback FROM run WHERE id = 1"
        ).fetchone()
        summary["metadata"] = None if metadata is None else json.loads(metadata)
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
                self._connection.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
        os.replace(partial, dest)
        return dest
