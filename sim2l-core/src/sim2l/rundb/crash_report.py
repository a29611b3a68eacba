"""A crashed run as the results service should see it: a copy that says ``crashed``.

A reader never writes to a run file, so the file of a crashed run still says
``running``. What is uploaded for registration is therefore a consistent
copy in which the run row says ``crashed``, with when its writer was last
seen, and a status event records the finding; the original stays untouched.
"""

import datetime
import sqlite3
import time
from pathlib import Path

from sim2l.rundb.records.run_record import CRASHED
from sim2l.rundb.run_database import RunDatabase


def crashed_copy(path: Path, folder: Path) -> Path | None:
    """A copy of the run file at ``path`` in ``folder`` marked crashed; None if it did not crash."""
    with RunDatabase(path=path, read_only=True) as run_db:
        summary = run_db.get_summary()
        if summary["status"] != CRASHED:
            return None
        copy = run_db.snapshot(Path(folder) / Path(path).name)
    last_seen = summary["last_seen_at"]
    seen = datetime.datetime.fromtimestamp(last_seen, datetime.UTC).isoformat()
    message = f"the writing process ended without completing the run; last seen {seen}"
    connection = sqlite3.connect(copy, isolation_level=None)
    try:
        connection.execute("BEGIN")
        connection.execute(
            "UPDATE run SET status = ?, error_message = coalesce(error_message, ?) WHERE id = 1",
            (CRASHED, message),
        )
        connection.execute(
            "INSERT INTO status_events (timestamp, status, message) VALUES (?, ?, ?)",
            (time.time(), CRASHED, message),
        )
        connection.execute("COMMIT")
    finally:
        connection.close()
    return copy
