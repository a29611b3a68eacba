"""Creating a run file's schema and bringing older run files up to date.

Each schema version after the first has one function here that changes a file
of the previous version into it. Opening a file applies what is missing, in
one transaction with the ``schema_version`` rows that record it, so a file is
never left half-migrated. Run files of version 1 were written by sim2l-core
before the summary counters and the numeric value column existed.
"""

import sqlite3
import time

from sim2l.rundb.errors import SchemaVersionError
from sim2l.rundb.schema import RECOUNT
from sim2l.rundb.schema import SCHEMA_VERSION
from sim2l.rundb.schema import create_schema_script
from sim2l.rundb.sql_scripts import execute_statements

_COUNTERS = (
    "warning_count",
    "error_count",
    "artifact_count",
    "artifact_bytes",
)

_NUMERIC_FROM_JSON = """
UPDATE {table} SET value_number = CASE value_kind
    WHEN 'bool' THEN (value_json = 'true')
    ELSE CAST(value_json AS REAL) END
WHERE value_kind IN ('bool', 'int', 'float') AND value_json NOT IN ('NaN', 'Infinity', '-Infinity')
"""


def _columns(connection: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}


def _to_version_2(connection: sqlite3.Connection) -> None:
    """Counters in ``run``, ``value_number`` on values, the summary view, five new tables."""
    existing = _columns(connection, "run")
    for counter in _COUNTERS:
        if counter not in existing:
            connection.execute(f"ALTER TABLE run ADD COLUMN {counter} INTEGER NOT NULL DEFAULT 0")
    for table in ("inputs", "outputs"):
        if "value_number" not in _columns(connection, table):
            connection.execute(f"ALTER TABLE {table} ADD COLUMN value_number REAL")
            connection.execute(_NUMERIC_FROM_JSON.format(table=table))
    # The new tables, indexes and the counter triggers.
    execute_statements(connection, create_schema_script())
    connection.execute(RECOUNT)


MIGRATIONS = {
    2: ("summary counters, numeric values, provenance and more tables", _to_version_2),
}


def schema_version_of(connection: sqlite3.Connection) -> int | None:
    """The schema version; None for an empty file or one being created; error if foreign."""
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    if "schema_version" not in tables:
        if tables:
            raise SchemaVersionError("not a sim2l run file (it has no schema_version table)")
        return None
    if "run" not in tables:
        raise SchemaVersionError("not a sim2l run file (it has no run table)")
    # One statement, so both counts come from the same moment of the file.
    version, runs = connection.execute(
        "SELECT (SELECT max(version) FROM schema_version), (SELECT count(*) FROM run)"
    ).fetchone()
    if version is None:
        if runs == 0:
            return None  # a file being created: the whole schema, its rows not yet written
        raise SchemaVersionError("damaged run file: its schema_version table is empty")
    return version


def _record(connection: sqlite3.Connection, version: int, description: str) -> None:
    connection.execute(
        "INSERT INTO schema_version (version, applied_at, description) VALUES (?, ?, ?)",
        (version, time.time(), description),
    )


def prepare_schema(connection: sqlite3.Connection, execution_id: str) -> int:
    """Create the schema in an empty file or migrate an older one; return the version.

    The common case (a current file) takes no write lock, so opening a run that
    another process is writing never waits for it.
    """
    version = schema_version_of(connection)
    if version == SCHEMA_VERSION:
        return version
    if version is not None and version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"run file schema version {version} is newer than this sim2l-core "
            f"understands ({SCHEMA_VERSION}); upgrade sim2l-core"
        )
    connection.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have created or migrated it while we waited.
        version = schema_version_of(connection)
        if version is None:
            execute_statements(connection, create_schema_script())
            connection.execute(
                "INSERT INTO run (id, execution_id, status, created_at) "
                "VALUES (1, ?, 'created', ?)",
                (execution_id, time.time()),
            )
            _record(connection, SCHEMA_VERSION, "created")
        else:
            for target in range(version + 1, SCHEMA_VERSION + 1):
                description, migration = MIGRATIONS[target]
                migration(connection)
                _record(connection, target, description)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION
