"""Creating a new run file in one step: the whole schema at once, never half of it.

A new file is a copy of a prepared image of the empty schema (built once per
process in memory, in WAL format), written beside the destination and
hard-linked into place. Another process therefore sees either no file or a
whole schema, and two processes creating the same run cannot both win.
Building the schema statement by statement in every new file, then
converting it to WAL, was most of the cost of a short run.

The image holds no row of the run itself: the creating writer adds them
(``first_rows``) in the transaction of its first write. A file without its
``run`` row is a run being created, which readers treat as not there yet.
"""

import functools
import os
import sqlite3
import threading
from pathlib import Path

from sim2l.rundb.liveness import record_writer
from sim2l.rundb.schema import SCHEMA_VERSION
from sim2l.rundb.schema import create_schema_script

# Bytes 18 and 19 of a SQLite file are its read and write format versions;
# 2 means WAL, so the file opens in WAL mode without converting it first.
_FORMAT_VERSION_OFFSETS = (18, 19)
_WAL_FORMAT = 2


@functools.lru_cache(maxsize=1)
def empty_run_file_image() -> bytes:
    """The bytes of a run file with the current schema and no rows, in WAL format."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.executescript(create_schema_script())
        image = bytearray(connection.serialize())
    finally:
        connection.close()
    for offset in _FORMAT_VERSION_OFFSETS:
        image[offset] = _WAL_FORMAT
    return bytes(image)


def create_run_file(path: Path) -> bool:
    """Put an empty run file at ``path`` unless a file is there; True when this call made it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = empty_run_file_image()
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.creating")
    with open(partial, "xb") as stream:
        stream.write(image)
    try:
        os.link(partial, path)
    except FileExistsError:
        return False
    except OSError:
        # A file system without hard links: an exclusive create, then the bytes.
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(image)
    finally:
        partial.unlink(missing_ok=True)
    return True


def first_rows(connection: sqlite3.Connection, execution_id: str, writer: dict, now: float):
    """The rows that make a new file a run (in the caller's transaction); idempotent."""
    connection.execute(
        "INSERT OR IGNORE INTO run (id, execution_id, status, created_at) "
        "VALUES (1, ?, 'created', ?)",
        (execution_id, now),
    )
    connection.execute(
        "INSERT OR IGNORE INTO schema_version (version, applied_at, description) "
        "VALUES (?, ?, 'created')",
        (SCHEMA_VERSION, now),
    )
    record_writer(connection, writer, now)
