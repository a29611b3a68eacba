"""``BackendSQL``: hand-written SQL on whichever backend a database proxy holds.

Hot paths are single SQL statements returning tuples, written once with ``?``
markers and adapted to the backend's marker (``%s`` for psycopg2) when run.
"""

import functools

import peewee


@functools.lru_cache(maxsize=512)
def _adapt(statement: str, param: str) -> str:
    return statement if param == "?" else statement.replace("?", param)


class BackendSQL:
    """Run ``?``-marked SQL on the database ``proxy`` holds (set by ``create_app``)."""

    def __init__(self, proxy: peewee.DatabaseProxy):
        self.proxy = proxy

    def execute(self, statement: str, params=()):
        """Run ``statement`` and return the cursor."""
        database = self.proxy.obj
        return database.execute_sql(_adapt(statement, database.param), params)

    def fetchall(self, statement: str, params=()) -> list[tuple]:
        """All rows of a query."""
        return self.execute(statement, params).fetchall()

    def fetchone(self, statement: str, params=()) -> tuple | None:
        """The first row of a query, or None."""
        return self.execute(statement, params).fetchone()

    def is_postgresql(self) -> bool:
        """Whether the proxy holds a PostgreSQL database (else SQLite)."""
        return self.proxy.obj.param != "?"
