"""An index for the columnar answer: one parameter's values of a run range, in run order.

``(param_class, name, result_id)`` carrying ``value_type``, ``num_value`` and
``str_value`` (SQLite: as trailing key columns; PostgreSQL: ``INCLUDE``), so
``POST /results/columns`` reads a parameter for a chunk of runs as one
index-only range scan instead of a key probe per run and parameter.
"""


def statement(database) -> str:
    """The index's DDL for ``database``'s backend."""
    if database.__class__.__name__.startswith("Sqlite"):
        columns = "(param_class, name, result_id, value_type, num_value, str_value)"
    else:
        columns = "(param_class, name, result_id) INCLUDE (value_type, num_value, str_value)"
    return f"CREATE INDEX IF NOT EXISTS results_value_column ON results_parameter_value {columns}"


def up(database, migrator):
    """Create ``results_value_column``."""
    database.execute_sql(statement(database))
