"""PostgreSQL: each parameter's values by run under a narrow integer key, for probes by run.

``((key), result_id)`` carrying ``param_class``, ``name``, ``value_type``,
``num_value`` and ``str_value``, where the key is ``parameter_key.key_of``:
a statistics request under a selective filter, and a sparse chunk of the
columnar answer, read one parameter of many given runs, a descent of the
index per run, three levels of integers here against four of text keys in
``results_value_column`` (910 runs at 100,000: 2.8 -> 1.7 ms).

SQLite probes cheaply already, so the index exists on PostgreSQL only.
"""

# The key's expression as it was when this migration ran (parameter_key.key_of("v") then).
KEY = "(('x' || left(md5(param_class || ':' || name), 8))::bit(32)::integer)"


def statement(database) -> str | None:
    """The index's DDL for ``database``'s backend (None: SQLite has no use for it)."""
    if database.__class__.__name__.startswith("Sqlite"):
        return None
    return (
        "CREATE INDEX IF NOT EXISTS results_value_key ON results_parameter_value "
        f"({KEY}, result_id) INCLUDE (param_class, name, value_type, num_value, str_value)"
    )


def up(database, migrator):
    """Create ``results_value_key`` (PostgreSQL)."""
    ddl = statement(database)
    if ddl is not None:
        database.execute_sql(ddl)
