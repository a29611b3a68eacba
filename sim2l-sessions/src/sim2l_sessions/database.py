"""Peewee databases from URLs, tuned the way every sim2l store wants them.

``sqlite:///path/to/file.db`` gives a SQLite database in WAL mode with
``synchronous=NORMAL`` and a busy timeout, so one writer and many readers work
across processes. ``postgresql://user:pass@host:port/name`` gives a pooled
PostgreSQL database whose checkout does not ping the server (peewee's pool runs
``SELECT 1`` under its lock on every checkout). A dropped connection is instead
noticed by its first query: when an idle pooled connection turns out to be dead
(the server restarted, or terminated it), every idle connection of this process
is discarded and the work is retried once on a new connection, so no request
fails after the database is back.
"""

import contextlib
import os
import threading
import urllib.parse
import weakref
from pathlib import Path

import peewee
from playhouse.pool import PooledPostgresqlDatabase

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "normal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "cache_size": -16000,
}


class InvalidDatabaseURL(ValueError):
    """A database URL that names no backend sim2l supports."""


class LeanPooledPostgresqlDatabase(PooledPostgresqlDatabase):
    """A connection pool that checks connections locally and heals after an outage.

    Checkout costs no round trip. The price is that a connection which died
    while idle in the pool (a restart, ``pg_terminate_backend``) is noticed
    by its first statement; ``run_with_reconnect`` then drops it and every
    other idle connection (they died with it) and runs the work again on a
    fresh connection. That retry is safe because the dead connection never
    delivered a statement to the server since it was checked out.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._retry_state = threading.local()
        # Connections this pool has handed out before: only those can have
        # died while idle.
        self._handed_out: weakref.WeakSet = weakref.WeakSet()

    def _is_closed(self, conn):
        # psycopg2 knows locally whether the socket closed or a transaction is
        # pending; no round trip to the server is needed for that.
        if conn.closed:
            return True
        status = conn.info.transaction_status
        # 0 idle; 4 unknown (connection lost)
        if status == 4:
            return True
        if status != 0:
            conn.rollback()
        return False

    def _connect(self):
        conn = super()._connect()
        # True until a statement succeeds on this checkout: the window in
        # which a failure means "this idle connection was already dead".
        self._retry_state.untried_reuse = conn in self._handed_out
        self._handed_out.add(conn)
        return conn

    def execute_sql(self, sql, params=None):
        """``Database.execute_sql``, healed once if the pooled connection was dead."""
        return self.run_with_reconnect(
            lambda: super(LeanPooledPostgresqlDatabase, self).execute_sql(sql, params)
        )

    def begin(self, *args, **kwargs):
        """``BEGIN``, healed once if the pooled connection was dead."""
        return self.run_with_reconnect(
            lambda: super(LeanPooledPostgresqlDatabase, self).begin(*args, **kwargs)
        )

    def run_with_reconnect(self, operation):
        """Run ``operation``; if it found its reused connection dead, replace it and run it again.

        Nested calls (a prepared statement's PREPARE inside its caller's
        retry scope, say) leave the retry to the outermost one, which reruns
        the whole operation on the new connection.
        """
        state = self._retry_state
        if getattr(state, "in_scope", False):
            return operation()
        state.in_scope = True
        try:
            try:
                result = operation()
            except (peewee.OperationalError, peewee.InterfaceError):
                if not self._found_dead_idle_connection():
                    raise
                self._replace_dead_connection()
                result = operation()
            state.untried_reuse = False
            return result
        finally:
            state.in_scope = False

    def _found_dead_idle_connection(self) -> bool:
        conn = self._state.conn
        if conn is None or not getattr(self._retry_state, "untried_reuse", False):
            return False
        return bool(conn.closed) or conn.info.transaction_status == 4

    def _replace_dead_connection(self) -> None:
        with self._lock:
            dead = self._state.conn
            self._close(dead, close_conn=True)
            # Idle connections were opened before the same outage: drop them
            # all now rather than failing one request per connection.
            self.close_idle()
            try:
                with peewee.__exception_wrapper__:
                    conn = self._connect()
            except peewee.PeeweeException:
                # Still down: the caller answers 503 and this thread starts
                # from a closed state next time.
                if not self._state.transactions:
                    self._state.reset()
                raise
            # Keep the transaction bookkeeping: a BEGIN that met the dead
            # connection is re-sent on this one.
            self._state.conn = conn
            self._initialize_connection(conn)
            self._retry_state.untried_reuse = False


def is_sqlite_url(url: str) -> bool:
    """Whether a database URL names a SQLite file."""
    return url.startswith("sqlite:")


def sqlite_path(url: str) -> Path:
    """The file a ``sqlite:///`` URL names."""
    path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else url[len("sqlite:") :]
    if not path:
        raise InvalidDatabaseURL(f"SQLite URL {url!r} names no file")
    return Path(path).expanduser()


def make_private_sqlite_file(path: Path) -> None:
    """Create ``path`` (and its folder) readable by its owner only, or tighten it to 0600.

    SQLite gives the ``-wal`` and ``-shm`` files it creates the mode of the
    database file, whatever the umask, so a 0600 database keeps them 0600;
    ones left by an older, laxer version are tightened too.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # O_CREAT with 0600: the umask can only remove bits, never add them.
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for companion in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            if companion.stat().st_mode & 0o077:
                os.chmod(companion, 0o600)


def database_from_url(
    url: str, max_connections: int = 16, private: bool = False
) -> peewee.Database:
    """Open (lazily) the database a URL names; see the module docstring.

    ``private``: a SQLite file holding secrets (password hashes, say) is
    created, or tightened, to mode 0600 with its ``-wal`` and ``-shm`` files.
    """
    if not isinstance(url, str) or not url:
        raise InvalidDatabaseURL("a database URL is required, like sqlite:///path.db")
    if is_sqlite_url(url):
        path = sqlite_path(url)
        if private:
            make_private_sqlite_file(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
        return peewee.SqliteDatabase(str(path), pragmas=SQLITE_PRAGMAS, timeout=10)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise InvalidDatabaseURL(
            f"unsupported database URL scheme {parts.scheme!r}; use sqlite:/// or postgresql://"
        )
    name = parts.path.lstrip("/")
    if not name:
        raise InvalidDatabaseURL(f"PostgreSQL URL {redact_url(url)!r} names no database")
    try:
        port = parts.port
    except ValueError as error:
        raise InvalidDatabaseURL(f"PostgreSQL URL {redact_url(url)!r}: {error}") from None
    # libpq's own rule: a query parameter (``?host=/var/run/postgresql`` for a
    # Unix socket, say) wins over the same part of the address.
    connection = {
        "user": urllib.parse.unquote(parts.username) if parts.username else None,
        "password": urllib.parse.unquote(parts.password) if parts.password else None,
        "host": parts.hostname,
        "port": port,
        "connect_timeout": 5,
    }
    connection.update(urllib.parse.parse_qsl(parts.query))
    return LeanPooledPostgresqlDatabase(
        name,
        max_connections=max_connections,
        stale_timeout=300,
        timeout=10,
        **connection,
    )


def write_transaction(database: peewee.Database | peewee.DatabaseProxy):
    """A transaction for work that reads and then writes.

    On SQLite it takes the write lock at ``BEGIN IMMEDIATE``. A deferred
    transaction that reads first and writes later cannot wait for another
    writer: if one committed since its read, SQLite answers "database is
    locked" at once (the busy timeout does not apply), which a service turns
    into a 503. Taking the lock up front makes it wait its turn instead.
    PostgreSQL needs no such care: a plain transaction.
    """
    target = database.obj if isinstance(database, peewee.DatabaseProxy) else database
    if isinstance(target, peewee.SqliteDatabase):
        return target.atomic("IMMEDIATE")
    return target.atomic()


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***``, for messages and logs."""
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    return url


def bind_models(database: peewee.Database, models: list[type]) -> dict[str, type]:
    """Subclasses of ``models`` bound to ``database``, keyed by class name.

    Lets several stores (say a test's two databases) live in one process
    without rebinding shared model classes under each other's feet. The models
    must not hold foreign keys to each other (the copies would point at the
    unbound originals).
    """
    bound = {}
    for model in models:
        meta = type("Meta", (), {"database": database, "table_name": model._meta.table_name})
        attributes = {"Meta": meta, "__module__": model.__module__}
        bound[model.__name__] = type(model.__name__, (model,), attributes)
    return bound
