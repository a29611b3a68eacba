"""An index for the columnar answer's runs: one simulation's runs in id order, from the index alone.

``(simulation_name, id)`` carrying ``simulation_version``, ``status``,
``execution_id`` and ``created_at`` (SQLite: as trailing key columns;
PostgreSQL: ``INCLUDE``), so ``POST /results/columns`` lists the matching
runs without reading the wide result rows (their stored JSON): at 100,000
runs, 181 ms of PostgreSQL reading 17,000 table pages became a 24 ms
index-only scan, and SQLite's CPU time fell from 98 to 57 ms.
"""


def statement(database) -> str:
    """The index's DDL for ``database``'s backend."""
    if database.__class__.__name__.startswith("Sqlite"):
        columns = "(simulation_name, id, simulation_version, status, execution_id, created_at)"
    else:
        columns = (
            "(simulation_name, id) INCLUDE (simulation_version, status, execution_id, created_at)"
        )
    return f"CREATE INDEX IF NOT EXISTS results_result_columns ON results_result {columns}"


def up(database, migrator):
    """Create ``results_result_columns``."""
    database.execute_sql(statement(database))
