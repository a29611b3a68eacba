"""Ctrl-C during a sweep: the first asks it to stop, the second stops it at once.

A ``KeyboardInterrupt`` raised at an arbitrary moment could land between a
worker's result arriving and its being recorded, and lose a finished point.
So while a sweep waits for its points (in the main thread) the first SIGINT
only sets a flag, which the sweep reads where nothing is half done; the
second raises ``KeyboardInterrupt`` as usual, for when waiting for the running
points is not wanted either.
"""

import logging
import signal
import threading

logger = logging.getLogger("sim2l.runner")


class InterruptFlag:
    """A context in which the first Ctrl-C sets ``requested`` instead of raising."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def __enter__(self):
        # Only the main thread receives signals, and a handler someone else
        # installed is theirs: leave both cases as they are.
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        logger.warning("interrupted: finishing the running points (Ctrl-C again to stop now)")

    def __exit__(self, *exc_info):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
