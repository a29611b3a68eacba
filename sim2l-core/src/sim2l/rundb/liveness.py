"""Telling a run whose writer is alive from one whose writer is gone.

A process writing a run holds a shared ``flock`` on a small file beside the
run file, ``{execution_id}.db-writer`` (named like SQLite's own ``-wal`` and
``-shm``). The operating system drops the lock when the process ends, however
it ends, so a reader that can take the lock exclusively knows no writer is
left: a run still ``running`` then crashed. The lock file is never the run
file itself: closing any descriptor of a SQLite file would drop SQLite's own
POSIX locks on it.

The run file also records who writes it and when it was last seen
(``writer`` table), refreshed at most once a second by the writer's own
commits, so a reader can say *when* a crashed run was last alive.
"""

import fcntl
import functools
import os
import socket
import threading
import time
from pathlib import Path

# How often a writer's commits refresh ``writer.last_seen_at`` (seconds).
HEARTBEAT_INTERVAL = 1.0


def lock_path(run_path: Path) -> Path:
    """The writer lock file of a run file: ``{run file}-writer``."""
    return run_path.with_name(run_path.name + "-writer")


@functools.lru_cache(maxsize=1)
def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:  # not Linux
        return None


def writer_identity() -> dict:
    """Who this writer is: pid, host, boot id (pid and host alone repeat across boots)."""
    return {"pid": os.getpid(), "host": socket.gethostname(), "boot_id": _boot_id()}


class WriterLock:
    """The shared lock a writing process holds on a run's lock file."""

    def __init__(self, run_path: Path):
        self.path = lock_path(run_path)
        while True:
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            fcntl.flock(descriptor, fcntl.LOCK_SH)
            # A writer releasing the lock may have removed the file between our
            # open and our lock; only a lock on the file now at the path counts.
            try:
                if os.stat(self.path).st_ino == os.fstat(descriptor).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(descriptor)
        self._descriptor = descriptor

    def release(self) -> None:
        """Drop the lock; the last writer out removes the lock file."""
        if self._descriptor is None:
            return
        try:
            fcntl.flock(self._descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pass  # another writer still holds it and will remove it
        else:
            self.path.unlink(missing_ok=True)
        os.close(self._descriptor)
        self._descriptor = None

    def forget_in_child(self) -> None:
        """In a forked child: close the inherited descriptor without touching the lock.

        The lock belongs to the open file, which parent and child share; the
        child's copy would keep a dead parent's run looking alive.
        """
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None


# The runs this process is writing and has not ended: a run stays locked from
# its first write until it gets a final status, across close() and reopening,
# because the process that runs it is alive for all that time.
_held_locks: dict[str, WriterLock] = {}
_held_locks_guard = threading.Lock()


def hold_writer_lock(run_path: Path) -> None:
    """Mark this process as a live writer of the run (idempotent)."""
    key = str(run_path.resolve())
    with _held_locks_guard:
        if key not in _held_locks:
            _held_locks[key] = WriterLock(run_path)


def release_writer_lock(run_path: Path) -> None:
    """This process is done with the run (it has a final status)."""
    with _held_locks_guard:
        lock = _held_locks.pop(str(run_path.resolve()), None)
    if lock is not None:
        lock.release()


def _forget_locks_in_child() -> None:
    global _held_locks_guard
    _held_locks_guard = threading.Lock()  # another thread may have held it at the fork
    for lock in _held_locks.values():
        lock.forget_in_child()
    _held_locks.clear()


os.register_at_fork(after_in_child=_forget_locks_in_child)


def writer_is_alive(run_path: Path) -> bool:
    """True while some process holds the run's writer lock."""
    try:
        descriptor = os.open(lock_path(run_path), os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)  # also drops the probe's lock at once
    return False


def record_writer(connection, identity: dict, now: float) -> None:
    """Write the ``writer`` row: who writes the run, seen ``now``."""
    connection.execute(
        "INSERT OR REPLACE INTO writer (id, pid, host, boot_id, started_at, last_seen_at) "
        "VALUES (1, ?, ?, ?, ?, ?)",
        (identity["pid"], identity["host"], identity["boot_id"], now, now),
    )


class Heartbeat:
    """Refreshes ``writer.last_seen_at`` in the writer's own transactions, once a second at most."""

    def __init__(self):
        self._next = 0.0

    def start(self, connection, now: float) -> None:
        """Record this process as the run's writer (in the caller's transaction)."""
        record_writer(connection, writer_identity(), now)
        self.started(now)

    def started(self, now: float) -> None:
        """This process was recorded as the writer at ``now`` (say, in a new file)."""
        self._next = now + HEARTBEAT_INTERVAL

    def due(self) -> bool:
        """True when the next commit should refresh the last-seen time."""
        return time.time() >= self._next

    def beat(self, connection) -> None:
        """Refresh the last-seen time if a second has passed (in the caller's transaction)."""
        now = time.time()
        if now >= self._next:
            connection.execute("UPDATE writer SET last_seen_at = ? WHERE id = 1", (now,))
            self._next = now + HEARTBEAT_INTERVAL
