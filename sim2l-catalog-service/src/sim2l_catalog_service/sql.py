"""Hand-written SQL on whichever backend the proxy holds, and the JSON it stores.

The hot paths (search, get, record an execution, statistics) are single SQL
statements returning tuples, written once with ``?`` placeholders and run by
the kit's ``BackendSQL``, which adapts them to the backend's placeholder.
"""

import orjson
from sim2l_service_kit.database import BackendSQL

from sim2l_catalog_service.models import database_proxy

# The kit's runner of ``?``-marked SQL, on the catalog's database.
_sql = BackendSQL(database_proxy)
execute = _sql.execute
fetchall = _sql.fetchall
fetchone = _sql.fetchone
is_postgresql = _sql.is_postgresql


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
