"""Where a sweep's points run: here, on a ``concurrent.futures`` executor, or on Dask.

Every dispatcher takes tasks with ``submit(index, function, *arguments)`` and
hands finished ones back one at a time, in the order they finish, with
``next_done(timeout)`` (None when none finished in time, so the caller can
look at its Ctrl-C flag). ``cancel_pending()`` cancels the tasks that have not started
(what is running is let finish, so no run is left half written) and
``close()`` ends the dispatcher; ``abandon=True`` stops waiting for the
running ones.
"""

import concurrent.futures
import queue
import sys
import uuid
from collections import deque
from typing import NamedTuple

from sim2l.runner.worker import ignore_interrupts


class Finished(NamedTuple):
    """One task's outcome: its value, or the error it raised, or that it was cancelled."""

    index: int
    value: object = None
    error: BaseException | None = None
    cancelled: bool = False


class InlineDispatcher:
    """Runs each task in the calling thread, when ``next_done`` asks for it (the default)."""

    def __init__(self):
        self._tasks: deque = deque()

    def submit(self, index: int, function, *arguments) -> None:
        """Queue a task; it runs when its turn comes in ``next_done``."""
        self._tasks.append((index, function, arguments))

    def outstanding(self) -> int:
        """Tasks submitted and not yet handed back."""
        return len(self._tasks)

    def next_done(self, timeout: float | None = None) -> Finished:
        """Run the next task here and hand back its outcome (it takes the time it takes)."""
        index, function, arguments = self._tasks.popleft()
        try:
            return Finished(index, function(*arguments))
        except Exception as error:
            return Finished(index, error=error)

    def cancel_pending(self) -> list[int]:
        """Drop every queued task (none is running between two ``next_done`` calls)."""
        cancelled = [index for index, _, _ in self._tasks]
        self._tasks.clear()
        return cancelled

    def close(self, abandon: bool = False) -> None:
        """Nothing runs in the background: nothing to stop."""


class _FinishQueue:
    """Futures by task index, and the indexes of finished ones in the order they finish."""

    def __init__(self):
        self._futures: dict = {}
        self._finished: queue.SimpleQueue = queue.SimpleQueue()

    def track(self, index: int, future) -> None:
        """Hand ``future`` back from ``next_future`` once it is done, cancelled or failed."""
        self._futures[index] = future
        future.add_done_callback(lambda _, index=index: self._finished.put(index))

    def outstanding(self) -> int:
        """Tasks submitted and not yet handed back."""
        return len(self._futures)

    def next_future(self, timeout: float | None) -> tuple[int, object] | None:
        """(index, future) of the next task done within ``timeout`` seconds, else None."""
        try:
            index = self._finished.get(timeout=timeout)
        except queue.Empty:
            return None
        return index, self._futures.pop(index)


class FuturesDispatcher(_FinishQueue):
    """Runs tasks on a ``concurrent.futures.Executor`` (the caller's, or a pool it owns)."""

    def __init__(self, executor: concurrent.futures.Executor, owned: bool = False):
        super().__init__()
        self.executor = executor
        self.owned = owned

    def submit(self, index: int, function, *arguments) -> None:
        """Send a task to the executor."""
        self.track(index, self.executor.submit(function, *arguments))

    def next_done(self, timeout: float | None = None) -> Finished | None:
        """The next task to finish (or be cancelled) within ``timeout`` seconds, else None."""
        done = self.next_future(timeout)
        if done is None:
            return None
        index, future = done
        if future.cancelled():
            return Finished(index, cancelled=True)
        error = future.exception()
        if error is not None:
            return Finished(index, error=error)
        return Finished(index, future.result())

    def cancel_pending(self) -> list[int]:
        """Cancel the tasks the executor has not started."""
        return [index for index, future in list(self._futures.items()) if future.cancel()]

    def close(self, abandon: bool = False) -> None:
        """Shut down a pool this dispatcher owns (the caller's executor stays open)."""
        if self.owned:
            self.executor.shutdown(wait=not abandon, cancel_futures=True)


class DaskDispatcher(_FinishQueue):
    """Runs tasks on a Dask cluster through a ``distributed.Client``."""

    def __init__(self, client, label: str):
        super().__init__()
        self.client = client
        # Task keys name the sweep in Dask's dashboard; the random part keeps
        # two sweeps of one simulation apart.
        self.prefix = f"sim2l-{label}-{uuid.uuid4().hex[:8]}"

    def submit(self, index: int, function, *arguments) -> None:
        """Send a task to the cluster (never deduplicated by Dask: a run has side effects)."""
        key = f"{self.prefix}-{index}"
        self.track(index, self.client.submit(function, *arguments, key=key, pure=False))

    def next_done(self, timeout: float | None = None) -> Finished | None:
        """The next task to finish (or be cancelled) within ``timeout`` seconds, else None."""
        done = self.next_future(timeout)
        if done is None:
            return None
        index, future = done
        if future.status == "cancelled":
            return Finished(index, cancelled=True)
        try:
            return Finished(index, future.result())
        except BaseException as error:  # whatever the worker raised, or lost
            return Finished(index, error=error)

    def cancel_pending(self) -> list[int]:
        """Cancel the tasks no worker is processing yet."""
        processing = {key for keys in self.client.processing().values() for key in keys}
        waiting = {
            index: future
            for index, future in self._futures.items()
            if not future.done() and future.key not in processing
        }
        if waiting:
            self.client.cancel(list(waiting.values()))
        return list(waiting)

    def close(self, abandon: bool = False) -> None:
        """Release the tasks (cancelling those still running when abandoning)."""
        if abandon and self._futures:
            self.client.cancel(list(self._futures.values()))
        self._futures.clear()


def is_dask_client(executor) -> bool:
    """Whether ``executor`` is a ``distributed.Client`` (without importing Dask)."""
    distributed = sys.modules.get("distributed")
    return distributed is not None and isinstance(executor, distributed.Client)


def dispatcher_for(workers, executor, label: str):
    """The dispatcher of a sweep given ``workers=`` or ``executor=`` (or neither)."""
    if workers is not None and executor is not None:
        raise TypeError("give workers= or executor=, not both")
    if workers is not None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a whole number of processes >= 1, not {workers!r}")
        pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=workers,
            initializer=ignore_interrupts,
        )
        return FuturesDispatcher(pool, owned=True)
    if executor is None:
        return InlineDispatcher()
    if is_dask_client(executor):
        return DaskDispatcher(executor, label)
    if isinstance(executor, concurrent.futures.Executor):
        return FuturesDispatcher(executor)
    raise TypeError(
        "executor must be a concurrent.futures.Executor or a distributed.Client, "
        f"not {type(executor).__name__}"
    )
