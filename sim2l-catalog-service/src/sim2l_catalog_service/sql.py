"""Running hand-written SQL on whichever backend the proxy holds.

The hot paths (search, get, record an execution, statistics) are single SQL
statements returning tuples, written once with ``?`` placeholders and adapted
to the backend's placeholder (``%s`` for psycopg2).
"""

import functools

import orjson

from sim2l_catalog_service.models import database_proxy


@functools.lru_cache(maxsize=256)
def _adapt(statement: str, param: str) -> str:
    return statement if param == "?" else statement.replace("?", param)


def execute(statement: str, params=()):
    """Run ``statement`` (``?`` placeholders) and return the cursor."""
    database = database_proxy.obj
    return database.execute_sql(_adapt(statement, database.param), params)


def fetchall(statement: str, params=()) -> list[tuple]:
    """All rows of a query."""
    return execute(statement, params).fetchall()


def fetchone(statement: str, params=()) -> tuple | None:
    """The first row of a query, or None."""
    return execute(statement, params).fetchone()


def is_postgresql() -> bool:
    """Whether the proxy holds a PostgreSQL database."""
    return database_proxy.obj.param != "?"


def dumps(value) -> str:
    """Canonical JSON text (sorted keys) for storage and hashing."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def stored_json(text: str) -> orjson.Fragment:
    """A stored JSON text embedded in a response without a parse."""
    return orjson.Fragment(text)


def like_pattern(term: str) -> str:
    """``%term%`` with LIKE's wildcards in ``term`` escaped (escape character ``!``)."""
    escaped = term.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"
