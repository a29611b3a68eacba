"""``BackendSQL``: hand-written SQL on whichever backend a database proxy holds.

Hot paths are single SQL statements returning tuples, written once with ``?``
markers and adapted to the backend's marker (``%s`` for psycopg2) when run.
"""

import functools
import re
import weakref

import peewee

from sim2l_service_kit.database.prepared_statements import PreparedStatements


@functools.lru_cache(maxsize=512)
def _adapt(statement: str, param: str) -> str:
    return statement if param == "?" else statement.replace("?", param)


_SETTING = re.compile(r"[a-z_]+")


@functools.lru_cache(maxsize=64)
def _settings_text(items: tuple[tuple[str, str], ...]) -> str:
    for name, value in items:
        if not (_SETTING.fullmatch(name) and _SETTING.fullmatch(value)):
            raise ValueError(f"not a planner setting: {name} = {value}")
    return "".join(f"SET LOCAL {name} = {value}; " for name, value in items)


def planner_settings(planner: dict[str, str] | None) -> str:
    """``SET LOCAL name = value; ...`` for PostgreSQL planner settings (empty for none).

    In one query string with the statement that follows, the settings hold
    for that statement only: PostgreSQL runs the string as one implicit
    transaction, and ``SET LOCAL`` ends with it. A name or value that is not
    a plain lower-case word is refused (``ValueError``).
    """
    return _settings_text(tuple(planner.items())) if planner else ""


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

    def query(self, statement: str, params=(), planner: dict[str, str] | None = None):
        """Run a query that is run often, and return the cursor.

        On PostgreSQL it is a prepared statement, once per connection
        (``PreparedStatements``), unless ``prepared_statements`` is False: a
        search's planning can cost more than its execution. SQLite's driver
        keeps compiled statements itself.

        ``planner``: PostgreSQL settings (``{"enable_hashjoin": "off"}``) for
        this statement alone, where the planner's estimates would pick a plan
        far from the best (SQLite ignores them). They are ``SET LOCAL`` in the
        same round trip, so they end with the statement's own transaction.
        Names and values come from code, never from a request.
        """
        database = self.proxy.obj
        if database.param == "?":
            return database.execute_sql(statement, params)
        settings = planner_settings(planner)
        if not self.prepared_statements:
            return database.execute_sql(settings + _adapt(statement, database.param), params)
        prepared = self._prepared.get(database)
        if prepared is None:
            prepared = self._prepared[database] = PreparedStatements(database, self.prefix)
        return prepared.execute_text(_adapt(statement, database.param), params, settings)

    def fetchall(self, statement: str, params=()) -> list[tuple]:
        """All rows of a query."""
        return self.execute(statement, params).fetchall()

    def fetchone(self, statement: str, params=()) -> tuple | None:
        """The first row of a query, or None."""
        return self.execute(statement, params).fetchone()

    def is_postgresql(self) -> bool:
        """Whether the proxy holds a PostgreSQL database (else SQLite)."""
        return self.proxy.obj.param != "?"
