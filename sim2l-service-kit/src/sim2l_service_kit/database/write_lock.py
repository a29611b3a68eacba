"""``ProcessWriteLock``: SQLite writers of every worker process, one at a time."""

import contextlib
import fcntl
import os
import threading

from sim2l_sessions.database import is_sqlite_url
from sim2l_sessions.database import sqlite_path


class ProcessWriteLock:
    """Serialises SQLite writers across worker processes with ``flock``.

    SQLite lets one writer in at a time; a second writer gets SQLITE_BUSY and
    its busy handler sleeps at least a millisecond before trying again, which
    under concurrent writes costs more than the write itself. A blocking
    ``flock`` wakes the next writer as soon as the lock is released. The file
    is opened once per process (after gunicorn forks: an inherited descriptor
    would share the lock), and a thread lock covers threads of one process.
    """

    def __init__(self, path: str):
        self.path = path
        self._descriptor = None
        self._pid = None
        self._threads = threading.Lock()

    def __enter__(self):
        self._threads.acquire()
        try:
            if self._pid != os.getpid():
                self._descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                self._pid = os.getpid()
            fcntl.flock(self._descriptor, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise
        return self

    def __exit__(self, *exc_info):
        try:
            fcntl.flock(self._descriptor, fcntl.LOCK_UN)
        finally:
            self._threads.release()


def write_lock_for(url: str):
    """The lock a writer to ``url`` takes: a ``ProcessWriteLock`` on SQLite, none on PostgreSQL."""
    if is_sqlite_url(url):
        return ProcessWriteLock(f"{sqlite_path(url)}-writelock")
    return contextlib.nullcontext()
