"""A small, explicit migration runner shared by every sim2l store.

A migrations package holds modules named ``0001_initial.py``,
``0002_add_reason.py``, ... each with ``def up(database, migrator)``, where
``migrator`` is peewee's ``SchemaMigrator`` for that database. ``migrate()``
applies the pending ones in order, each in its own transaction, and records
them in the ``schema_migrations`` table; ``pending_migrations()`` lets a
service refuse to start on a database that is behind its code.
"""

import contextlib
import datetime
import fcntl
import importlib
import pkgutil

import peewee
from playhouse.migrate import SchemaMigrator

from sim2l_sessions.database import write_transaction

MIGRATIONS_TABLE = "schema_migrations"


class UnmigratedDatabaseError(RuntimeError):
    """The database lacks migrations the code needs."""


class _AppliedMigration(peewee.Model):
    name = peewee.CharField(primary_key=True, max_length=200)
    applied_at = peewee.DateTimeField()

    class Meta:
        table_name = MIGRATIONS_TABLE


def available_migrations(package: str) -> list[str]:
    """Names of the migration modules in ``package``, in the order they apply."""
    module = importlib.import_module(package)
    names = [info.name for info in pkgutil.iter_modules(module.__path__) if info.name[:4].isdigit()]
    return sorted(names)


def _record_name(package: str, name: str) -> str:
    # Several packages may migrate one database (a service and the sessions
    # store sharing a PostgreSQL database), so records carry the package.
    return f"{package}:{name}"


def applied_migrations(database: peewee.Database, package: str) -> set[str]:
    """Names of the migrations of ``package`` already applied to ``database``."""
    with database.bind_ctx([_AppliedMigration]):
        if not database.table_exists(MIGRATIONS_TABLE):
            return set()
        prefix = package + ":"
        query = _AppliedMigration.select(_AppliedMigration.name).where(
            _AppliedMigration.name.startswith(prefix)
        )
        return {row.name[len(prefix) :] for row in query}


def pending_migrations(database: peewee.Database, package: str) -> list[str]:
    """Migrations of ``package`` not yet applied to ``database``."""
    done = applied_migrations(database, package)
    return [name for name in available_migrations(package) if name not in done]


# Any fixed number: every sim2l process takes the same lock to migrate.
_ADVISORY_LOCK_KEY = 0x51_2C_0D_B5


def migrate(database: peewee.Database, package: str) -> list[str]:
    """Apply every pending migration of ``package``; return the names applied.

    Safe to run from several processes at once (replicas, or three services
    starting together on one database): the whole run holds a lock (a
    PostgreSQL advisory lock, since even ``CREATE TABLE IF NOT EXISTS`` races
    there; a lock file beside a SQLite database), and a duplicate record
    still makes a loser's transaction roll back.
    """
    if isinstance(database, peewee.SqliteDatabase):
        # SQLite answers "database is locked" at once, busy timeout or not,
        # while another connection switches a fresh file to WAL; a lock file
        # beside the database serialises runners in every process.
        with _file_lock(str(database.database) + ".migrate-lock"), database.connection_context():
            return _apply_pending(database, package)
    with database.connection_context():
        database.execute_sql("SELECT pg_advisory_lock(%s)", (_ADVISORY_LOCK_KEY,))
        try:
            return _apply_pending(database, package)
        finally:
            database.execute_sql("SELECT pg_advisory_unlock(%s)", (_ADVISORY_LOCK_KEY,))


@contextlib.contextmanager
def _file_lock(path: str):
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _apply_pending(database: peewee.Database, package: str) -> list[str]:
    applied = []
    with database.bind_ctx([_AppliedMigration]):
        database.create_tables([_AppliedMigration], safe=True)
        for name in pending_migrations(database, package):
            module = importlib.import_module(f"{package}.{name}")
            try:
                # Reads (table_exists) then writes: IMMEDIATE on SQLite, or two
                # runners at once deadlock instead of waiting their turn.
                with write_transaction(database):
                    module.up(database, SchemaMigrator.from_database(database))
                    _AppliedMigration.create(
                        name=_record_name(package, name),
                        applied_at=datetime.datetime.now(datetime.UTC),
                    )
            except peewee.IntegrityError:
                continue  # another process applied it first
            applied.append(name)
    return applied


def require_migrated(database: peewee.Database, package: str, command: str) -> None:
    """Raise ``UnmigratedDatabaseError`` naming ``command`` when migrations are pending."""
    pending = pending_migrations(database, package)
    if pending:
        raise UnmigratedDatabaseError(
            f"the database is not migrated ({len(pending)} pending: {', '.join(pending)}); "
            f"run `{command}` first"
        )


def rewrite_rows(database, table: str, columns: list[str], rewrite, where: str = "", batch=500):
    """Rewrite one column of every row of ``table``, in batches by id (a data migration's loop).

    ``rewrite(*values)`` gets the row's ``columns``; it returns the new value
    of ``columns[0]``, or None to leave the row as it is. ``where`` narrows the
    rows (fixed SQL, no values). Rows are read ``batch`` at a time in id order,
    so memory stays flat however large the table.
    """
    marker = database.param
    narrowed = f" AND {where}" if where else ""
    select = (
        f"SELECT id, {', '.join(columns)} FROM {table} WHERE id > {marker}{narrowed} "  # noqa: S608 (fixed SQL; values are parameters)
        f"ORDER BY id LIMIT {int(batch)}"
    )
    update = f"UPDATE {table} SET {columns[0]} = {marker} WHERE id = {marker}"  # noqa: S608 (fixed SQL; values are parameters)
    last_id = 0
    while rows := database.execute_sql(select, (last_id,)).fetchall():
        for identifier, *values in rows:
            rewritten = rewrite(*values)
            if rewritten is not None:
                database.execute_sql(update, (rewritten, identifier))
        last_id = rows[-1][0]
