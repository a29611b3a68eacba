"""Peewee databases from URLs, tuned the way every sim2l store wants them.

``sqlite:///path/to/file.db`` gives a SQLite database in WAL mode with
``synchronous=NORMAL`` and a busy timeout, so one writer and many readers work
across processes. ``postgresql://user:pass@host:port/name`` gives a pooled
PostgreSQL database whose checkout does not ping the server (peewee's pool runs
``SELECT 1`` under its lock on every checkout; a dropped connection is instead
noticed by its next query, and ``run_with_reconnect`` retries once).
"""

import urllib.parse
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
    """A connection pool that checks a returned connection locally only."""

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


def is_sqlite_url(url: str) -> bool:
    """Whether a database URL names a SQLite file."""
    return url.startswith("sqlite:")


def sqlite_path(url: str) -> Path:
    """The file a ``sqlite:///`` URL names."""
    path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else url[len("sqlite:") :]
    if not path:
        raise InvalidDatabaseURL(f"SQLite URL {url!r} names no file")
    return Path(path).expanduser()


def database_from_url(url: str, max_connections: int = 16) -> peewee.Database:
    """Open (lazily) the database a URL names; see the module docstring."""
    if not isinstance(url, str) or not url:
        raise InvalidDatabaseURL("a database URL is required, like sqlite:///path.db")
    if is_sqlite_url(url):
        path = sqlite_path(url)
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
