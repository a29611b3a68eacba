"""``PreparedStatements``: PostgreSQL server-side prepared statements per pooled connection."""

import weakref

import peewee


class PreparedStatements:
    """PostgreSQL server-side prepared statements, prepared once per pooled connection.

    A read of one row by key is one trivial indexed query, so parsing and
    planning it is a large share of the server's work: ``EXECUTE`` of a
    prepared statement measured about 20 us less per query here than sending
    the SQL text each time, and with the server on the same two cores that is
    throughput. A statement lives as long as its connection; a connection the
    pool replaces (after an outage, say) prepares its own on first use.
    Parameter types are left to the server to infer from the columns, as for
    the plain statement.

    Named statements do not survive a transaction-mode PgBouncer, which hands
    each transaction another server connection: behind one, do not use them.
    ``prefix`` keeps the names of two services on one server apart.
    """

    def __init__(self, database: peewee.Database, prefix: str):
        self.database = database
        self.prefix = prefix
        # name -> (PREPARE text, EXECUTE text, connections it is prepared on)
        self._statements: dict[str, tuple[str, str, weakref.WeakSet]] = {}

    def execute(self, name: str, sql: str, params):
        """Run ``sql`` (written with ``%s`` markers) as the prepared statement ``name``."""
        entry = self._statements.get(name)
        if entry is None:
            entry = self._statements[name] = self._compile(f"{self.prefix}_{name}", sql)
        prepare, execute, prepared_on = entry

        def prepare_and_execute():
            connection = self.database.connection()
            if connection not in prepared_on:
                self.database.execute_sql(prepare)
                prepared_on.add(connection)
            return self.database.execute_sql(execute, params)

        # One retry scope for both statements: a pooled connection found dead
        # is replaced and the new one is prepared before it executes.
        run_with_reconnect = getattr(self.database, "run_with_reconnect", None)
        if run_with_reconnect is None:
            return prepare_and_execute()
        return run_with_reconnect(prepare_and_execute)

    @staticmethod
    def _compile(statement: str, sql: str) -> tuple[str, str, weakref.WeakSet]:
        parts = sql.split("%s")
        numbered = parts[0] + "".join(
            f"${index}{part}" for index, part in enumerate(parts[1:], start=1)
        )
        markers = ", ".join(["%s"] * (len(parts) - 1))
        return (
            f"PREPARE {statement} AS {numbered}",
            f"EXECUTE {statement} ({markers})",
            weakref.WeakSet(),
        )
