"""Opening one run file: read-only until something is written, created on the first write.

``RunFile`` is the base of ``RunDatabase``: it owns the connection and the
rules of access that every kind of record relies on.

- A run file that exists is opened read-only (SQLite ``mode=ro``): reading
  never writes to it, whatever the caller does with the object.
- The first write switches to a read-write connection, creating the file
  (``creation.py``) when there is none yet. So opening a run that does not
  exist creates nothing, and reading it raises ``RunNotFoundError`` naming
  the id and the path looked at.
- A process writing a run that has not ended holds its writer lock
  (``liveness.py``), so readers can tell a crashed run from a running one.
- Leaving a ``with`` block on an exception ends the run as failed (cancelled
  on Ctrl-C) only when this object took part in running it: it initialised
  the run, or wrote to it while it was running.

Read-write connections use WAL and ``synchronous=NORMAL``: another process
can read while the run is written, an application crash loses nothing
committed, and the last connection to close folds the WAL back into the file.
The first commit into a file this process created skips the WAL header sync
(``first_commit.py`` says why that is safe and when it applies).
"""

import contextlib
import sqlite3
import threading
import time
import traceback as traceback_module
from contextlib import contextmanager
from pathlib import Path

from sim2l.rundb.creation import create_run_file
from sim2l.rundb.creation import first_rows
from sim2l.rundb.errors import RunNotFoundError
from sim2l.rundb.errors import RunStateError
from sim2l.rundb.errors import SchemaVersionError
from sim2l.rundb.execution_ids import run_file_path
from sim2l.rundb.execution_ids import validate_execution_id
from sim2l.rundb.first_commit import SYNCED_PRAGMAS
from sim2l.rundb.first_commit import UNSYNCED_PRAGMAS
from sim2l.rundb.first_commit import nobody_committed
from sim2l.rundb.first_commit import wal_path
from sim2l.rundb.liveness import Heartbeat
from sim2l.rundb.liveness import hold_writer_lock
from sim2l.rundb.liveness import release_writer_lock
from sim2l.rundb.liveness import writer_identity
from sim2l.rundb.migrations import prepare_schema
from sim2l.rundb.migrations import schema_version_of
from sim2l.rundb.schema import SCHEMA_VERSION
from sim2l.rundb.schema import TABLES

TERMINAL_STATUSES = ("completed", "failed", "cancelled", "timeout")
STATUSES = ("created", "running", *TERMINAL_STATUSES)

# Set once per read-write connection, in one call. WAL lets readers in other
# processes see committed rows while the run is written; NORMAL syncs at
# checkpoints only, which in WAL mode never corrupts the file (a power cut may
# lose the last commits, an application crash loses nothing). The size limit
# shrinks the WAL back after a large artifact.
_WRITE_PRAGMAS = """
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
PRAGMA journal_size_limit=67108864;
PRAGMA busy_timeout=10000;
"""

# Leaving an ended run as one plain file. The checkpoint syncs every row to
# the file first; what follows only flips the file's format bytes from WAL to
# rollback (later connections then use the default rollback journal), and
# either value leaves a valid file, so that one write needs neither a journal
# nor a sync. No waiting: when another connection has the file open the
# switch fails and the file stays in WAL mode, as valid.
_SETTLE_PRAGMAS = """
PRAGMA busy_timeout=0;
PRAGMA wal_checkpoint(TRUNCATE);
PRAGMA synchronous=OFF;
PRAGMA journal_mode=OFF;
"""


def _connect(path: Path, *, writable: bool) -> sqlite3.Connection:
    if writable:
        connection = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=10
        )
        connection.executescript(_WRITE_PRAGMAS)
        return connection
    uri = f"{path.resolve().as_uri()}?mode=ro"
    connection = sqlite3.connect(
        uri, uri=True, isolation_level=None, check_same_thread=False, timeout=10
    )
    connection.execute("PRAGMA busy_timeout=10000")
    return connection


class RunFile:
    """The SQLite file of one execution: ``{run_db_base_path}/{execution_id}.db``.

    ``execution_id`` names the run; ``path=`` names the file explicitly;
    ``base_path=`` overrides the configured run folder. ``read_only=True``
    refuses every write; ``read_only=True`` and ``create=False`` need the file
    to exist (``RunNotFoundError`` otherwise). Without them a missing file is
    created by the first write, never before.
    """

    def __init__(
        self,
        execution_id: str | None = None,
        *,
        path=None,
        base_path=None,
        read_only: bool = False,
        create: bool = True,
    ):
        if execution_id is not None:
            validate_execution_id(execution_id)
        if path is None:
            if execution_id is None:
                raise TypeError("RunDatabase needs an execution_id or a path")
            if base_path is None:
                from sim2l.settings import get_settings

                base_path = get_settings().run_db_base_path
            path = run_file_path(execution_id, Path(base_path))
        self.path = Path(path).expanduser()
        self.read_only = read_only
        self._create = create and not read_only
        self._lock = threading.RLock()
        self._connection: sqlite3.Connection | None = None
        self._writable = False
        self._heartbeat = Heartbeat()
        self._took_part = False  # initialised the run or wrote to it while it ran
        self._unborn = False  # created the file; its first rows go in with the first write
        self._unsynced = False  # the first commit into the file it created goes unsynced
        self._environment_recorded = False  # created the file with the environment in it
        self._asked_id = execution_id
        self.execution_id = execution_id or validate_execution_id(self.path.stem)
        if not self._open_existing() and not self._create:
            raise RunNotFoundError(self._not_found_message())

    def _not_found_message(self) -> str:
        if self.path.exists():  # empty, or its writer has not committed its first write
            return f"no run {self.execution_id!r} yet: {self.path} holds no run"
        return f"no run {self.execution_id!r}: no run file at {self.path}"

    # ------------------------------------------------------------------ connections

    def _open_existing(self) -> bool:
        """Open the file read-only if it holds a run (migrating an older one); False if none."""
        if not self.path.exists():
            return False
        connection = _connect(self.path, writable=False)
        try:
            version = schema_version_of(connection)
            if version is None:
                connection.close()
                return False  # empty, or a run being created: as good as none yet
            if version > SCHEMA_VERSION:
                raise SchemaVersionError(
                    f"run file schema version {version} is newer than this sim2l-core "
                    f"understands ({SCHEMA_VERSION}); upgrade sim2l-core"
                )
            if version < SCHEMA_VERSION and self.read_only:
                raise SchemaVersionError(
                    f"run file schema version {version} needs migrating to {SCHEMA_VERSION}: "
                    "open it once without read_only=True"
                )
            self._check_stored_id(connection)
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        if version < SCHEMA_VERSION:
            # Opening an older file migrates it, as it always has; that alone
            # does not make this object a writer: it reads read-only again.
            self._open_writable(takes_part=False).close()
            self._connection = _connect(self.path, writable=False)
            self._writable = False
        return True

    def _check_stored_id(self, connection: sqlite3.Connection) -> None:
        row = connection.execute("SELECT execution_id FROM run WHERE id = 1").fetchone()
        if row is None:
            raise SchemaVersionError(f"damaged run file {self.path}: it has no run row")
        if self._asked_id is not None and row[0] != self._asked_id:
            raise RunStateError(f"{self.path} holds run {row[0]!r}, not {self._asked_id!r}")
        self.execution_id = row[0]

    def _reader(self) -> sqlite3.Connection:
        """The connection to read with (the read-write one once this object has written)."""
        if self._connection is None and not self._open_existing():
            raise RunNotFoundError(self._not_found_message())
        return self._connection

    def _open_writable(
        self, environment: tuple | None = None, takes_part: bool = True
    ) -> sqlite3.Connection:
        """The read-write connection; a file created here gets ``environment``'s rows.

        ``takes_part`` (for a write, not a migration) makes this process a
        writer of a run that has not ended: it holds the writer lock.
        """
        if self.read_only:
            raise RunStateError(f"run {self.execution_id!r} was opened read_only")
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        created = False
        if not self.path.exists():
            if not self._create:
                raise RunNotFoundError(self._not_found_message())
            # Locked before the file appears, so no reader ever sees it unowned.
            self.path.parent.mkdir(parents=True, exist_ok=True)
            hold_writer_lock(self.path)
            created = create_run_file(self.path, environment)
            self._environment_recorded = created and environment is not None
        fresh_wal = created and not wal_path(self.path).exists()
        connection = _connect(self.path, writable=True)
        try:
            if created:
                # Its rows go in with the first write's own transaction.
                status = "created"
                self._unborn = True
                if fresh_wal:
                    connection.executescript(UNSYNCED_PRAGMAS)
                    self._unsynced = True
            else:
                status = self._join_existing(connection)
            if status in TERMINAL_STATUSES:
                release_writer_lock(self.path)
            elif takes_part:
                hold_writer_lock(self.path)
            self._took_part = self._took_part or (takes_part and status == "running")
        except BaseException:
            self._unsynced = False
            connection.close()
            raise
        self._connection = connection
        self._writable = True
        return connection

    def _join_existing(self, connection: sqlite3.Connection) -> str:
        """Become a writer of a file that exists; return the run's status."""
        # Creates the schema in an empty file, migrates an older one; a
        # current file takes no write lock here.
        prepare_schema(connection, self.execution_id)
        self._check_stored_id(connection)
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute(TABLES["writer"])  # files made before the writer record
            self._heartbeat.start(connection, time.time())
            status = connection.execute("SELECT status FROM run WHERE id = 1").fetchone()[0]
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return status

    def _writer(self) -> sqlite3.Connection:
        """The read-write connection, opened (and the file created) on the first write."""
        if self._writable:
            return self._connection
        return self._open_writable()

    @contextmanager
    def transaction(self):
        """Group several writes into one transaction (committed at the end)."""
        with self._lock:
            connection = self._writer()
            if connection.in_transaction:
                yield self
                return
            connection.execute("BEGIN IMMEDIATE")
            if self._unsynced:
                self._stay_unsynced_only_if_alone(connection)
            try:
                if self._unborn:
                    now = time.time()
                    first_rows(connection, self.execution_id, writer_identity(), now)
                    self._heartbeat.started(now)
                else:
                    self._heartbeat.beat(connection)
                yield self
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            self._unborn = False
            if self._unsynced:
                self._sync_again()

    def _stay_unsynced_only_if_alone(self, connection: sqlite3.Connection) -> None:
        """In the first transaction: begin it again, synced, if anyone committed before us."""
        try:
            alone = nobody_committed(connection, self.path)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        if not alone:
            connection.execute("ROLLBACK")  # nothing written yet
            self._sync_again()
            connection.execute("BEGIN IMMEDIATE")

    def _sync_again(self) -> None:
        """Back to synced WAL headers and checkpoints, after (or instead of) the first commit."""
        self._connection.executescript(SYNCED_PRAGMAS)
        self._unsynced = False

    def _execute(self, sql: str, parameters=()):
        """Run one read statement."""
        with self._lock:
            return self._reader().execute(sql, parameters)

    def _write(self, sql: str, parameters=()) -> None:
        """Run one write statement, committed when this returns."""
        with self._lock:
            connection = self._writer()
            if connection.in_transaction or not (self._unborn or self._heartbeat.due()):
                connection.execute(sql, parameters)
                return
            with self.transaction():
                connection.execute(sql, parameters)

    def _write_many(self, sql: str, rows: list) -> int:
        """Run one write statement for many rows, in one transaction."""
        with self.transaction():
            self._connection.executemany(sql, rows)
        return len(rows)

    # ------------------------------------------------------------------ life cycle

    def _ended(self, status: str) -> None:
        """The run got a final status: this process no longer runs it."""
        if status in TERMINAL_STATUSES:
            release_writer_lock(self.path)

    def _settle_if_ended(self) -> None:
        """Leave an ended run as one plain file (rollback-journal mode, no -wal/-shm).

        A read-only connection to a WAL file leaves -wal and -shm files behind
        that only a writer can remove; a finished run in rollback-journal mode
        is read without any file being created. When another connection has
        the file open the switch is skipped (it stays a WAL file, as valid).
        """
        if self._unborn:
            # Created here, but no write went through: no run to end or own. The
            # file (the schema alone) reads as no run and the next writer fills it.
            release_writer_lock(self.path)
            return
        connection = self._connection
        if connection.in_transaction:
            return  # closed inside a transaction: it is rolled back, nothing more
        status = connection.execute("SELECT status FROM run WHERE id = 1").fetchone()[0]
        if status not in TERMINAL_STATUSES:
            return
        with contextlib.suppress(sqlite3.OperationalError):
            connection.executescript(_SETTLE_PRAGMAS)

    def close(self) -> None:
        """Close the file; the last connection to close folds the WAL back into it."""
        with self._lock:
            if self._unsynced:
                # No commit of ours went through; closing may checkpoint others' frames.
                self._sync_again()
            if self._writable:
                self._settle_if_ended()
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            self._writable = False

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is not None and self._took_part and self._writable:
                self._end_interrupted_run(exc_type, exc, tb)
        finally:
            self.close()
        return False

    def _end_interrupted_run(self, exc_type, exc, tb) -> None:
        status = self._connection.execute("SELECT status FROM run WHERE id = 1").fetchone()[0]
        if status in TERMINAL_STATUSES:
            return  # ended already: an error after that does not rewrite the ending
        cancelled = issubclass(exc_type, KeyboardInterrupt)
        text = "".join(traceback_module.format_exception(exc_type, exc, tb))
        message = f"{exc_type.__name__}: {exc}"
        self.log("WARNING" if cancelled else "CRITICAL", message, source="sim2l")
        self.complete_run(
            "cancelled" if cancelled else "failed", error_message=message, traceback=text
        )

    def __repr__(self):
        return f"RunDatabase({self.execution_id!r}, path={str(self.path)!r})"
