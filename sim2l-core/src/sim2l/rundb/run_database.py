"""``RunDatabase``: everything about one execution, in one portable SQLite file.

The class is assembled from one mixin per kind of record (``records/``) over
``RunFile``, which owns the connection and the access rules: read-only until
the first write, the file created by that write, a writer lock while the run
is written. Each single-call writer is one statement committed when the call
returns; batch writers put all their rows in one transaction.
"""

from sim2l.rundb.records.artifacts import ArtifactRecords
from sim2l.rundb.records.lineage import LineageRecords
from sim2l.rundb.records.logs import LogRecords
from sim2l.rundb.records.parameters import ParameterRecords
from sim2l.rundb.records.run_record import RunRecord
from sim2l.rundb.run_file import RunFile

__all__ = ["RunDatabase"]


class RunDatabase(
    RunRecord, ParameterRecords, LogRecords, ArtifactRecords, LineageRecords, RunFile
):
    """The SQLite file of one execution: ``{run_db_base_path}/{execution_id}.db``.

    ``RunDatabase("exec-1")`` opens the run's file. A file that exists is
    read through a read-only connection until something is written; a file
    that does not exist is created by the first write (``initialize_run``, a
    ``save_*``, ``log``...), and reading it raises ``RunNotFoundError`` naming
    the id and the path. ``create=False`` or ``read_only=True`` need the file
    to exist when opened. ``path=`` names the file explicitly; ``base_path=``
    overrides the configured run folder.

    Use it as a context manager: an exception inside the ``with`` block marks
    the run failed with its traceback (cancelled on Ctrl-C) and propagates,
    but only for a run this object started or wrote to while it ran; leaving
    the block normally closes the file and never completes the run by itself.

    A run that has not ended and whose writing process is gone reads as
    ``crashed`` in ``get_summary()``, with ``last_seen_at``.

    The object may be shared between threads (calls are serialised by a lock).
    """
