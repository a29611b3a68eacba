"""The database proxy and the result row of the results service.

The tables are created by ``migrations/`` (the schema's single source).
``Result`` is the row registration works with; the values and schema tables
are written and read by hand-written SQL only (``registration.py``,
``queries.py``), so they have no model here.
"""

import operator

import peewee
from sim2l_service_kit.database import BackendSQL

database_proxy = peewee.DatabaseProxy()


class BaseModel(peewee.Model):
    """Base of the results service's models."""

    class Meta:
        database = database_proxy


class Result(BaseModel):
    """One registered run: metadata, the stored file, and its values as JSON to pass through."""

    execution_id = peewee.CharField(max_length=128, unique=True)
    simulation_name = peewee.CharField(max_length=200)
    simulation_version = peewee.CharField(max_length=100)
    status = peewee.CharField(max_length=50)
    description = peewee.TextField(null=True)
    username = peewee.CharField(max_length=200, null=True)
    input_hash = peewee.CharField(max_length=200, null=True)
    created_at = peewee.DoubleField(null=True)
    started_at = peewee.DoubleField(null=True)
    completed_at = peewee.DoubleField(null=True)
    duration_seconds = peewee.DoubleField(null=True)
    error_message = peewee.TextField(null=True)
    registered_at = peewee.DoubleField()
    registered_by = peewee.CharField(max_length=200, null=True)
    schema_version = peewee.IntegerField()
    file_size = peewee.BigIntegerField()
    sha256 = peewee.CharField(max_length=64)
    input_count = peewee.IntegerField()
    output_count = peewee.IntegerField()
    artifact_count = peewee.IntegerField()
    inputs_json = peewee.TextField()
    outputs_json = peewee.TextField()
    units_json = peewee.TextField()
    artifacts_json = peewee.TextField()
    schema_keys_json = peewee.TextField()

    class Meta:
        table_name = "results_result"


# The kit's runner of ``?``-marked SQL, on the results database: ``query``
# for the searches and statistics (prepared on PostgreSQL), ``execute`` for the rest.
_sql = BackendSQL(database_proxy, "sim2l_results")
execute = _sql.execute
query = _sql.query


INSERT_BATCH = 500  # rows per multi-row INSERT (well under SQLite's 32,766 parameters)
INSERT_BATCH_BYTES = 4 * 1024 * 1024  # or fewer rows, when their values are large


def insert_many(table: str, columns: tuple, rows, suffix: str = "") -> None:
    """INSERTs of many rows, written directly (the ORM took longer to build them than to run them).

    ``rows`` may be any iterable, and is never all held. SQLite runs one
    single-row statement per row (``executemany``, which takes the rows as
    they come): registering a run of 40 values into 100,000 runs took 8.9-9.5
    ms in process, against 11.1-11.7 with multi-row statements. PostgreSQL
    gets multi-row statements, a round trip each: a batch is sent when it
    holds INSERT_BATCH rows or INSERT_BATCH_BYTES of text.
    """
    row_marks = "(" + ", ".join("?" * len(columns)) + ")"
    if uses_question_marks():
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {row_marks}{suffix}"  # noqa: S608 (fixed SQL)
        with peewee.__exception_wrapper__:  # peewee's errors, as execute_sql raises them
            database_proxy.obj.cursor().executemany(statement, rows)
        return
    batch, batch_bytes = [], 0
    for row in rows:
        batch.append(row)
        batch_bytes += sum(len(value) for value in row if isinstance(value, str))
        if len(batch) >= INSERT_BATCH or batch_bytes >= INSERT_BATCH_BYTES:
            _insert_batch(table, columns, row_marks, batch, suffix)
            batch, batch_bytes = [], 0
    if batch:
        _insert_batch(table, columns, row_marks, batch, suffix)


def _insert_batch(table: str, columns: tuple, row_marks: str, batch: list, suffix: str) -> None:
    params = [value for row in batch for value in row]
    execute(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES "  # noqa: S608 (fixed SQL)
        f"{', '.join([row_marks] * len(batch))}{suffix}",
        params,
    )


def page_limit(rows: int, filtered: bool) -> tuple[str, list]:
    """``(LIMIT clause, its parameters)`` of a statement reading ``rows`` rows of a page.

    Without filters the count is written into the statement: PostgreSQL plans
    a prepared statement once for all executions (a generic plan) only when
    that plan costs no more than those made for each one's values, and with
    ``LIMIT $n`` the generic plan cannot know the page is small, expects a
    tenth of the runs, and loses, so every execution was planned anew (0.38
    of a 1.16 ms page statement at 100,000 runs). With filters the count stays
    a parameter, and with it PostgreSQL's choice: their values may decide the
    plan (a range matching 1 % of the runs wants its matches sorted, one
    matching half wants the time index walked), and it plans a range with
    its values while it keeps the generic plan of an equality. Written in,
    the count made PostgreSQL take the generic plan of a range too, which
    guesses a third of the runs (a 1 % output range newest first: 11.4 ms
    against 8.1). ``rows`` must be an int (``operator.index``), so only
    digits go into the SQL.
    """
    count = operator.index(rows)
    if count < 0:
        raise ValueError(f"a LIMIT of {count} rows")
    return ("LIMIT ?", [count]) if filtered else (f"LIMIT {count:d}", [])


def use_prepared_statements(enabled: bool) -> None:
    """Whether ``query`` prepares its statements on PostgreSQL (the config's choice)."""
    _sql.prepared_statements = enabled


def uses_question_marks() -> bool:
    """Whether the current backend is SQLite (``?`` placeholders) rather than PostgreSQL."""
    return not _sql.is_postgresql()
