"""Creating a new run file in one step: the whole schema at once, never half of it.

A new file is a copy of a prepared image of the empty schema (built once per
process in memory, in WAL format), written as a file without a name (Linux
``O_TMPFILE``; elsewhere a temporary name beside the destination) and
hard-linked into place. Another process therefore sees either no file or a
whole schema, and two processes creating the same run cannot both win. A
file without a name also leaves nothing behind when the process dies while
writing it, and costs no directory entry to create and remove.
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

# Linux only; None elsewhere, where a temporary name is used instead.
_O_TMPFILE = getattr(os, "O_TMPFILE", None)


@functools.lru_cache(maxsize=4)
def empty_run_file_image(environment: tuple | None = None) -> bytes:
    """The bytes of a run file with the current schema, in WAL format.

    ``environment``, ``(facts, packages)`` as pairs, puts those rows in
    ``environment`` and ``packages`` (the same for every run of a process, so
    a run that records them costs no inserts); otherwise the file is empty.
    """
    connection = sqlite3.connect(":memory:")
    try:
        connection.executescript(create_schema_script())
        if environment is not None:
            facts, packages = environment
            connection.executemany("INSERT INTO environment (key, value) VALUES (?, ?)", facts)
            connection.executemany("INSERT INTO packages (name, version) VALUES (?, ?)", packages)
            connection.commit()
        image = bytearray(connection.serialize())
    finally:
        connection.close()
    for offset in _FORMAT_VERSION_OFFSETS:
        image[offset] = _WAL_FORMAT
    return bytes(image)


def create_run_file(path: Path, environment: tuple | None = None) -> bool:
    """Put a new run file at ``path`` unless a file is there; True when this call made it.

    ``environment`` as for ``empty_run_file_image``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    image = empty_run_file_image(environment)
    try:
        return _link_unnamed_file(path, image)
    except _NoUnnamedFiles:
        return _link_named_file(path, image)


class _NoUnnamedFiles(Exception):
    """This system or file system cannot link a file made without a name."""


def _link_unnamed_file(path: Path, image: bytes) -> bool:
    if _O_TMPFILE is None:
        raise _NoUnnamedFiles
    try:
        descriptor = os.open(path.parent, _O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o666)
    except OSError as error:  # old kernel (EISDIR) or file system (EOPNOTSUPP)
        raise _NoUnnamedFiles from error
    try:
        _write_all(descriptor, image)
        # linkat(AT_SYMLINK_FOLLOW) of /proc/self/fd/N gives the open file a
        # name (open(2)); os.link asks for linkat when a dir_fd is given, and
        # the descriptor passed as one is ignored for an absolute source.
        os.link(f"/proc/self/fd/{descriptor}", path, src_dir_fd=descriptor, follow_symlinks=True)
    except FileExistsError:
        return False
    except OSError as error:  # no /proc, or a file system without hard links
        raise _NoUnnamedFiles from error
    finally:
        os.close(descriptor)
    return True


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _link_named_file(path: Path, image: bytes) -> bool:
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
