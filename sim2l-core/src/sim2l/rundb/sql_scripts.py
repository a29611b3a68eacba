"""Running multi-statement SQL inside a transaction the caller controls.

``sqlite3.Connection.executescript`` commits any open transaction first, which
would split a schema change from the version row that records it; this runs
the statements one by one instead.
"""

import sqlite3


def split_statements(script: str) -> list[str]:
    """The complete SQL statements of ``script`` (trigger bodies kept whole)."""
    statements = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip().strip(";").strip():
                statements.append(pending.strip())
            pending = ""
    if pending.strip():
        statements.append(pending.strip())
    return statements


def execute_statements(connection: sqlite3.Connection, script: str) -> None:
    """Execute every statement of ``script`` in the current transaction."""
    for statement in split_statements(script):
        connection.execute(statement)
