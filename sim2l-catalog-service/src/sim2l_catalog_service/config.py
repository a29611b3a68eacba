"""The catalog service's configuration (``SIM2L_CATALOG_*`` in the environment).

The shared keys (``database_url``, ``max_body_bytes``, ``pool_size``, ...)
come from ``sim2l_service_kit.load_config``. The catalog's own:

- ``durable_execution_records`` (default true): on PostgreSQL, each recorded
  execution waits for its WAL flush. False commits them with
  ``synchronous_commit = off``: many times more executions per second on a
  slow disk, at the price of losing the last fraction of a second of them
  if the database server crashes (never corruption). SQLite's WAL mode with
  ``synchronous=NORMAL`` already makes that trade.
"""

from sim2l_service_kit import load_config
from sim2l_sessions.services import CATALOG

SERVICE = CATALOG  # name, port, distribution and packages: the services table's row

DEFAULTS: dict = {
    "durable_execution_records": True,
}


def catalog_config(overrides: dict | None = None) -> dict:
    """Defaults, then ``SIM2L_CATALOG_*`` environment, then ``overrides``."""
    return load_config(SERVICE.name, DEFAULTS, overrides)
