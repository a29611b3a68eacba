"""Capturing what a simulation says while it runs: log records, stdout and stderr.

Records are buffered in memory and written to the run database in batches
(one transaction per batch), so a chatty simulation costs one write per
hundred lines, not one per line.
"""

import contextlib
import io
import logging
import sys
import time

FLUSH_EVERY = 100


class _LogBuffer:
    """Entries for ``RunDatabase.log_many``, flushed every ``FLUSH_EVERY``."""

    def __init__(self, run_db):
        self.run_db = run_db
        self.entries = []

    def add(self, level: str, message: str, source: str, timestamp: float, context=None) -> None:
        self.entries.append(
            {
                "level": level,
                "message": message,
                "source": source,
                "timestamp": timestamp,
                "context": context,
            }
        )
        if len(self.entries) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        if self.entries:
            entries, self.entries = self.entries, []
            self.run_db.log_many(entries)


class _RunLogHandler(logging.Handler):
    """Sends log records emitted during the run to the run database."""

    def __init__(self, buffer: _LogBuffer):
        super().__init__(logging.DEBUG)
        self.buffer = buffer

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info:
                message += "\n" + logging.Formatter().formatException(record.exc_info)
            self.buffer.add(
                record.levelname,
                message,
                record.name,
                record.created,
                {"module": record.module, "line": record.lineno},
            )
        except Exception:  # a log call must never break the simulation
            self.handleError(record)


class _Tee(io.TextIOBase):
    """Writes through to the real stream and keeps each complete line for the run database."""

    def __init__(self, stream, buffer: _LogBuffer, source: str, level: str):
        self.stream = stream
        self.buffer = buffer
        self.source = source
        self.level = level
        self.partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.stream is not None:
            self.stream.write(text)
        self.partial += text
        if "\n" in self.partial:
            *lines, self.partial = self.partial.split("\n")
            now = time.time()
            for line in lines:
                self.buffer.add(self.level, line, self.source, now)
        return len(text)

    def flush(self) -> None:
        if self.stream is not None:
            self.stream.flush()

    def finish(self) -> None:
        if self.partial:
            self.buffer.add(self.level, self.partial, self.source, time.time())
            self.partial = ""


class _OnlyWhatWasAdmitted(logging.Filter):
    """Passes a record only if the root level before the run would have let it through."""

    def __init__(self, previous_root_level: int):
        super().__init__()
        self.previous_root_level = previous_root_level

    def filter(self, record: logging.LogRecord) -> bool:
        logger = logging.getLogger(record.name)
        while logger.level == logging.NOTSET and logger.parent is not None:
            logger = logger.parent
        level = self.previous_root_level if logger is logging.getLogger() else logger.level
        return record.levelno >= level


@contextlib.contextmanager
def capture_output(run_db):
    """Record logging, stdout and stderr into ``run_db`` for the duration of the block."""
    buffer = _LogBuffer(run_db)
    handler = _RunLogHandler(buffer)
    root = logging.getLogger()
    previous_level = root.level
    # INFO records reach our handler only if the root logger lets them
    # through, so it is lowered to INFO for the run; the handlers that were
    # already there get a filter that drops what they would not have seen,
    # so an application's own log output does not change because a run started.
    lowered = root.level > logging.INFO
    guard = _OnlyWhatWasAdmitted(previous_level)
    guarded = list(root.handlers) if lowered else []
    for existing in guarded:
        existing.addFilter(guard)
    if lowered:
        root.setLevel(logging.INFO)
    root.addHandler(handler)
    stdout = _Tee(sys.stdout, buffer, "stdout", "INFO")
    stderr = _Tee(sys.stderr, buffer, "stderr", "WARNING")
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            yield buffer
    finally:
        root.removeHandler(handler)
        if lowered:
            root.setLevel(previous_level)
        for existing in guarded:
            existing.removeFilter(guard)
        stdout.finish()
        stderr.finish()
        buffer.flush()
