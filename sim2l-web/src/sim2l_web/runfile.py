"""Reading a run's file, downloaded from the results service, for the run page.

The run file is a user's SQLite file, so it is read as untrusted input (as
the results service does): opened read-only and immutable through a URI,
``query_only`` and ``trusted_schema=OFF`` (nothing in the file's schema can
run), a deadline through the progress handler, only ``SELECT`` on the tables
sim2l-core's SCHEMA.md documents, and limits on how much is read. A table a
file does not have reads as empty.

Downloaded files are kept by content hash (the results service answers the
file's SHA-256), so a run page opened twice downloads once; only a page whose
user the service allowed to read the result ever reaches a kept file.
"""

import contextlib
import hashlib
import json
import os
import re
import sqlite3
import tempfile
import time
from pathlib import Path

MAX_LOGS = 2000
MAX_ROWS = 5000
MAX_TEXT = 100_000
READ_DEADLINE_SECONDS = 5.0
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
SHA256 = re.compile(r"[0-9a-f]{64}")


class RunFileError(Exception):
    """The run file cannot be read (corrupt, not a run file, too slow)."""


def cache_folder() -> Path:
    """Where downloaded run files are kept (``$TMPDIR/sim2l-web-runs``)."""
    folder = Path(tempfile.gettempdir()) / "sim2l-web-runs"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _prune(folder: Path, keep: int) -> None:
    files = sorted(folder.glob("*.db"), key=lambda path: path.stat().st_mtime, reverse=True)
    for old in files[keep:]:
        with contextlib.suppress(OSError):
            old.unlink()


def local_copy(results, execution_id: str, sha256: str | None, keep: int) -> Path:
    """The run file of ``execution_id`` on this machine, downloaded when not kept already."""
    folder = cache_folder()
    if sha256 and SHA256.fullmatch(sha256):
        path = folder / f"{sha256}.db"
        if path.is_file():
            os.utime(path)
            return path
    else:  # no hash to name it by: a private download, never reused
        path = folder / f"{execution_id}-{os.getpid()}-{time.monotonic_ns()}.db"
    results.download(execution_id, path, overwrite=True)
    if sha256 and SHA256.fullmatch(sha256):
        # A file that does not hash to the name it would be kept under is dropped.
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != sha256:
            path.unlink()
            raise RunFileError("the downloaded run file does not match its recorded hash")
    _prune(folder, keep)
    return path


@contextlib.contextmanager
def open_run_file(path: Path):
    """A read-only, query-only connection to ``path`` with a read deadline."""
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    try:
        connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
    except sqlite3.Error as error:
        raise RunFileError(f"cannot open the run file: {error}") from None
    deadline = time.monotonic() + READ_DEADLINE_SECONDS
    connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        connection.execute("PRAGMA query_only = ON")
        connection.execute("PRAGMA trusted_schema = OFF")
        yield connection
    except sqlite3.Error as error:
        raise RunFileError(f"cannot read the run file: {error}") from None
    finally:
        connection.close()


def _tables(connection) -> set[str]:
    return {
        row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }


def _clip(value):
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT] + " …"
    return value


def _rows(connection, tables: set[str], table: str, columns: tuple, tail: str = "", params=()):
    if table not in tables:
        return []
    present = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}  # noqa: S608 (table names are from a fixed list)
    selected = [column for column in columns if column in present]
    if not selected:
        return []
    sql = f"SELECT {', '.join(selected)} FROM {table} {tail} LIMIT ?"  # noqa: S608 (fixed names; values bound)
    cursor = connection.execute(sql, (*params, MAX_ROWS))
    return [
        {column: _clip(value) for column, value in zip(selected, row)} for row in cursor.fetchall()
    ]


def read_details(path: Path, level: str | None = None) -> dict:
    """Logs (optionally one level and above), metrics, artifacts, provenance, environment."""
    with open_run_file(path) as connection:
        tables = _tables(connection)
        log_filter, params = "", ()
        if level in LOG_LEVELS:
            wanted = LOG_LEVELS[LOG_LEVELS.index(level) :]
            log_filter = f"WHERE level IN ({', '.join('?' * len(wanted))})"
            params = wanted
        logs = _rows(
            connection,
            tables,
            "logs",
            ("timestamp", "level", "message", "source"),
            f"{log_filter} ORDER BY id",
            params,
        )[:MAX_LOGS]
        details = {
            "logs": logs,
            "metrics": _rows(
                connection,
                tables,
                "metrics",
                ("name", "value", "unit", "category", "step", "timestamp"),
                "ORDER BY name, step, id",
            ),
            "artifacts": _rows(
                connection,
                tables,
                "artifacts",
                ("name", "sha256", "size", "content_type", "category", "description"),
                "ORDER BY name",
            ),
            "provenance": _rows(
                connection,
                tables,
                "provenance",
                ("kind", "entity", "description", "sha256", "details_json", "timestamp"),
                "ORDER BY id",
            ),
            "environment": _rows(
                connection, tables, "environment", ("key", "value"), "ORDER BY key"
            ),
            "packages": _rows(connection, tables, "packages", ("name", "version"), "ORDER BY name"),
            "tags": _rows(connection, tables, "tags", ("key", "value"), "ORDER BY key"),
        }
    for entry in details["provenance"]:
        with contextlib.suppress(TypeError, ValueError):
            entry["details"] = json.loads(entry.pop("details_json") or "null")
    return details


def artifact(path: Path, name: str, max_bytes: int | None = None) -> tuple[dict, bytes] | None:
    """``(record, content)`` of an artifact (the first ``max_bytes`` when given), or None."""
    with open_run_file(path) as connection:
        tables = _tables(connection)
        if not {"artifacts", "blobs", "blob_chunks"} <= tables:
            return None
        row = connection.execute(
            "SELECT name, sha256, size, content_type FROM artifacts WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            return None
        record = dict(zip(("name", "sha256", "size", "content_type"), row))
        chunks = connection.execute(
            "SELECT c.data FROM blob_chunks c JOIN blobs b ON b.id = c.blob_id "
            "WHERE b.sha256 = ? ORDER BY c.seq",
            (record["sha256"],),
        )
        parts, total = [], 0
        for (data,) in chunks:
            parts.append(bytes(data))
            total += len(data)
            if max_bytes is not None and total >= max_bytes:
                break
        content = b"".join(parts)
        return record, content if max_bytes is None else content[:max_bytes]
