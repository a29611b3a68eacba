"""Hit and miss counting that does not turn every read into a write.

Each worker process counts hits and misses per simulation in memory and adds
the deltas to the ``cache_stats`` table at most every ``flush_seconds``
(``count = count + delta``, one small transaction per flush), and once more
when the process exits. Reads therefore never wait for one another on a
write lock; the price is that the stored counters trail the truth by at
most the flush interval per worker (``GET /cache/stats`` adds the answering
worker's unflushed counts, so a single-process server is exact). The flush
is made by the first read after the interval: a worker that gets no further
reads holds its last counts until its next read or its exit.
"""

import logging
import threading
import time

logger = logging.getLogger("sim2l.cache")


class HitCounter:
    """Per-process hit and miss deltas, ``{simulation_id: [hits, misses]}``."""

    def __init__(self, flush_seconds: float):
        self.flush_seconds = flush_seconds
        self._lock = threading.Lock()
        self._pending: dict[int, list[int]] = {}
        self._flushed_at = time.monotonic()

    def record(self, simulation_id: int, hit: bool) -> bool:
        """Count one read; whether a flush is due."""
        with self._lock:
            counts = self._pending.get(simulation_id)
            if counts is None:
                counts = self._pending[simulation_id] = [0, 0]
            counts[0 if hit else 1] += 1
        return time.monotonic() - self._flushed_at >= self.flush_seconds

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
