"""How far a sweep is: counts of done, cached and failed points, as they finish.

``SweepProgress`` is what a sweep's ``on_progress`` callback receives after
every point. The bar is drawn with rich on a terminal only; a stream that is
not a terminal, given explicitly (``progress=open("sweep.log", "w")``), gets a
plain line per point instead, and ``progress=True`` without a terminal draws
nothing.
"""

import sys
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class SweepProgress:
    """The state of a sweep after one more point finished."""

    total: int
    done: int
    cached: int
    failed: int
    index: int  # which point just finished (its position in the sweep)
    result: object  # its RunResult


class LineProgress:
    """A plain line per finished point, for a log file or a pipe."""

    def __init__(self, total: int, label: str, stream):
        self.total = total
        self.label = label
        self.stream = stream
        self.started = time.monotonic()

    def update(self, state: SweepProgress) -> None:
        """Write one line saying how far the sweep is."""
        width = 30
        filled = int(width * state.done / self.total) if self.total else width
        bar = "#" * filled + "-" * (width - filled)
        elapsed = time.monotonic() - self.started
        self.stream.write(
            f"{self.label} [{bar}] {state.done}/{self.total} "
            f"({state.cached} cached, {state.failed} failed) {elapsed:.1f}s\n"
        )
        self.stream.flush()

    def close(self) -> None:
        """Nothing to tidy: every line is written already."""


class TerminalProgress:
    """A rich progress bar, redrawn in place on a terminal."""

    def __init__(self, total: int, label: str, console):
        from rich.progress import BarColumn
        from rich.progress import MofNCompleteColumn
        from rich.progress import Progress
        from rich.progress import TextColumn
        from rich.progress import TimeElapsedColumn
        from rich.progress import TimeRemainingColumn

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[cached]} cached, {task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        self.task = self.bar.add_task(label, total=total, cached=0, failed=0)
        self.bar.start()

    def update(self, state: SweepProgress) -> None:
        """Move the bar to ``state``."""
        self.bar.update(self.task, completed=state.done, cached=state.cached, failed=state.failed)

    def close(self) -> None:
        """Leave the final bar on the screen."""
        self.bar.stop()


def progress_display(progress, total: int, label: str):
    """The display ``progress`` asks for (True, False or a stream), or None for none."""
    if progress is False or progress is None:
        return None
    stream = sys.stderr if progress is True else progress
    if not hasattr(stream, "write"):
        raise TypeError(f"progress must be True, False or a stream, not {progress!r}")
    interactive = getattr(stream, "isatty", lambda: False)()
    if interactive:
        from rich.console import Console

        return TerminalProgress(total, label, Console(file=stream))
    if progress is True:
        return None  # stderr is a pipe or a file: nobody watches a bar there
    return LineProgress(total, label, stream)


class ProgressCounter:
    """Counts finished points and tells the display and the callback."""

    def __init__(self, total: int, display=None, callback=None):
        self.total = total
        self.display = display
        self.callback = callback
        self.done = self.cached = self.failed = 0

    def finished(self, index: int, result) -> None:
        """Count one finished point; the callback may raise (KeyboardInterrupt stops the sweep)."""
        self.done += 1
        self.cached += bool(result.from_cache)
        self.failed += not result.ok
        state = SweepProgress(self.total, self.done, self.cached, self.failed, index, result)
        if self.display is not None:
            self.display.update(state)
        if self.callback is not None:
            self.callback(state)

    def close(self) -> None:
        """Stop the display."""
        if self.display is not None:
            self.display.close()
