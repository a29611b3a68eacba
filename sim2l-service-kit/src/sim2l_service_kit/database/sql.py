"""``BackendSQL``: hand-written SQL on whichever backend a database proxy holds.

Hot paths are single SQL statements returning tuples, written once with ``?``
markers and adapted to the backend's marker (``%s`` for psycopg2) when run.
"""

import functools
import weakref

import peewee

from sim2l_service_kit.database.prepared_statements import PreparedStatements


@functools.lru_cache(maxsize=512)
def _adapt(statement: str, param: str) -> str:
    return statement if param == "?" else statement.replace("?", param)


class BackendSQL:
    """Run ``?``-marked SQL on the database ``proxy`` holds (set by ``create_app``).

    ``prefix`` names the statements ``query`` prepares on PostgreSQL;
    ``prepared_statements = False`` turns that off (behind a transaction-mode
    PgBouncer, which does not keep a connection's prepared statements).
    """

    def __init__(self, proxy: peewee.DatabaseProxy, prefix: str = "sim2l"):
        self.proxy = proxy
        self.prefix = prefix
        self.prepared_statements = True
        self._prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def execute(self, statement: str, params=()):
        """Run ``statement`` and return the cursor."""
        database = self.proxy.obj
        return database.execute_sql(_adapt(statement, database.param), params)

    def query(self, statement: str, params=()):
        """Run a query that is run often, and return the cursor.

        On PostgreSQL it is a prepared statement, once per connection
        (``PreparedStatements``), unless ``prepared_statements`` is False: a
        search's planning can cost more than its execution. SQLite's driver
        keeps compiled statements itself.
        """
        database = self.proxy.obj
        if database.param == "?" or not self.prepared_statements:
            return database.execute_sql(_adapt(statement, database.param), params)
        prepared = self._prepared.get(database)
        if prepared is None:
            prepared = self._prepared[database] = PreparedStatements(database, self.prefix)
        return prepared.execute_text(_adapt(statement, database.param), params)

    def fetchall(self, statement: str, params=()) -> list[tuple]:
        """All rows of a query."""
        return self.execute(statement, params).fetchall()

    def fetchone(self, statement: str, params=()) -> tuple | None:
        """The first row of a query, or None."""
        return self.execute(statement, params).fetchone()

    def is_postgresql(self) -> bool:
        """Whether the proxy holds a PostgreSQL database (else SQLite)."""
        return self.proxy.obj.param != "?"
