"""``WalCheckpointer``: SQLite WAL checkpoints in a background thread of each worker."""

import os
import threading
import time

import peewee
from sim2l_sessions.database import sqlite_path

THREAD_NAME = "sim2l-wal-checkpoint"


class WalCheckpointer:
    """Leave SQLite's WAL checkpoints to a thread of each worker process.

    An automatic checkpoint runs inside the commit that crosses the threshold
    and fsyncs while every queued writer waits behind it (and the requests
    queued at that worker wait too). A thread of each worker runs a PASSIVE
    checkpoint every ``interval`` seconds instead, on its own connection,
    outside any write lock; SQLite releases the GIL while it works, so
    requests go on meanwhile.
    """

    def __init__(self, database: peewee.SqliteDatabase, url: str, interval: float = 1.0):
        self.database = database
        self.path = sqlite_path(url)
        self.interval = interval
        self._pid = None
        self._lock = threading.Lock()

    def disable_automatic_checkpoints(self) -> None:
        """Turn SQLite's own checkpoints off on every connection (call before connecting)."""
        self.database.pragma("wal_autocheckpoint", 0, permanent=True)
        if not self.database.is_closed():
            self.database.close()

    def ensure_running(self) -> None:
        """Start this process's thread unless it runs (after a fork too)."""
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
            thread.start()

    def _run(self) -> None:
        pid = os.getpid()
        while self._pid == pid and self.path.exists():
            time.sleep(self.interval)
            try:
                # Peewee keeps one connection per thread: this is the thread's own.
                self.database.execute_sql("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            except peewee.PeeweeException:
                continue  # busy or gone: try again next time
