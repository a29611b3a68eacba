"""Hit and miss counting that does not turn every read into a write, yet stays exact.

Each worker process counts hits and misses per simulation in memory; a
background thread of that worker adds the deltas to the ``cache_stats``
table every ``flush_seconds`` (``count = count + delta``, one small
transaction, only when there is something to add), and once more when the
process exits. ``GET /cache/stats`` reads the table only (after adding its
own worker's deltas), so:

- every hit and miss answered is counted once (a failed write keeps its
  deltas for the next flush);
- it is visible to every reader within ``flush_seconds`` plus one write,
  also when the service is idle (the thread does not wait for requests);
- two reads never go down, whichever workers answer them (the table only
  grows; a worker's unflushed counts are never mixed in).

With ``flush_seconds`` 0 every read writes its count at once. A worker
killed with SIGKILL loses at most its last ``flush_seconds`` of counts.
"""

import logging
import os
import threading
import time

logger = logging.getLogger("sim2l.cache")


class HitCounter:
    """Per-process hit and miss deltas, ``{simulation_id: [hits, misses]}``."""

    def __init__(self, flush_seconds: float):
        self.flush_seconds = flush_seconds
        self._lock = threading.Lock()
        # One flush at a time: a stats read flushes, then reads the table, so it
        # must wait for a flush whose deltas are taken but not yet committed, or
        # it answers without them.
        self._flush_lock = threading.Lock()
        self._pending: dict[int, list[int]] = {}
        self._flushed_at = time.monotonic()
        self._flusher_pid = None

    def record(self, simulation_id: int, hit: bool) -> bool:
        """Count one read; whether it must be flushed now (``flush_seconds`` 0)."""
        with self._lock:
            counts = self._pending.get(simulation_id)
            if counts is None:
                counts = self._pending[simulation_id] = [0, 0]
            counts[0 if hit else 1] += 1
        return self.flush_seconds <= 0

    def ensure_flusher(self, store) -> None:
        """Start this process's flush thread unless it runs (workers fork: one each)."""
        if self.flush_seconds <= 0 or self._flusher_pid == os.getpid():
            return
        with self._lock:
            if self._flusher_pid == os.getpid():
                return
            self._flusher_pid = os.getpid()
        thread = threading.Thread(
            target=self._flush_forever, args=(store,), name="sim2l-cache-stats", daemon=True
        )
        thread.start()

    def stop(self, store) -> None:
        """Flush what is pending and end the flush thread (an app that is thrown away)."""
        self._flusher_pid = None
        self.flush(store)

    def _flush_forever(self, store) -> None:
        pid = os.getpid()
        while self._flusher_pid == pid:
            time.sleep(self.flush_seconds)
            if self._pending:
                self.flush(store)
                store.release_connection()

    def pending(self, simulation_id: int | None = None) -> tuple[int, int]:
        """Unflushed ``(hits, misses)`` for one simulation, or for all (None)."""
        with self._lock:
            if simulation_id is not None:
                counts = self._pending.get(simulation_id, (0, 0))
                return counts[0], counts[1]
            return (
                sum(c[0] for c in self._pending.values()),
                sum(c[1] for c in self._pending.values()),
            )

    def take(self) -> dict[int, list[int]]:
        """Remove and return the pending deltas (the caller writes them or gives them back)."""
        with self._lock:
            deltas, self._pending = self._pending, {}
            self._flushed_at = time.monotonic()
        return deltas

    def give_back(self, deltas: dict[int, list[int]]) -> None:
        """Return deltas a failed write could not store, to be written next time."""
        with self._lock:
            for simulation_id, (hits, misses) in deltas.items():
                counts = self._pending.setdefault(simulation_id, [0, 0])
                counts[0] += hits
                counts[1] += misses

    def flush(self, store) -> None:
        """Write the pending deltas through ``store.add_counts``; keep them on failure."""
        with self._flush_lock:
            deltas = self.take()
            if not deltas:
                return
            try:
                store.add_counts(deltas)
            except Exception as error:  # a busy or unreachable database: keep counting, retry later
                logger.warning("cache statistics not flushed, kept for the next flush: %s", error)
                self.give_back(deltas)
                return
        store.ensure_checkpointer()

    def flush_at_exit(self, store) -> None:
        """Flush once more as the worker exits, on a connection of its own."""
        deltas = self.take()
        if not deltas:
            return
        database = store.database
        try:
            database.connect(reuse_if_open=True)
            store.add_counts(deltas)
        except Exception as error:  # exiting (or the database is gone): nothing more to do
            # info, not warning: at most one flush interval of counts is lost.
            logger.info("cache statistics of this process lost at exit: %s", error)
        finally:
            if not database.is_closed():
                database.close()
