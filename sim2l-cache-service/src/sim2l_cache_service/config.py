"""The cache service's configuration keys and their defaults.

Every key can be set by ``SIM2L_CACHE_<KEY>`` (for example
``SIM2L_CACHE_DEFAULT_TTL_HOURS=12``), or by the ``config`` passed to
``create_app``; the keys every service shares (``database_url``,
``max_body_bytes``, ...) come from ``sim2l_service_kit.config``.
"""

import urllib.parse

from sim2l_service_kit import ConfigError
from sim2l_service_kit import load_config
from sim2l_sessions.database import is_sqlite_url
from sim2l_sessions.services import CACHE

from sim2l_cache_service.schemas import MAX_KEY_LENGTH

SERVICE = CACHE  # name, port, distribution and packages: the services table's row

DEFAULTS = {
    # TTL of an entry stored without ttl_hours or ttl_seconds.
    "default_ttl_hours": 24.0,
    # Longest TTL accepted (ten years): past it a typo, not a wish.
    "max_ttl_hours": 24.0 * 365 * 10,
    # Keys longer than this are refused (400) by every route, stores and reads
    # alike; at most the key column's width (512).
    "max_key_length": 512,
    # Encoded size limit of an entry's metadata object (413 beyond it).
    "max_metadata_bytes": 64 * 1024,
    # Hit and miss counts are kept per worker and written to the database by
    # a thread of each worker this often (seconds), so GET /cache/stats sees
    # every answered read within about this long; 0 writes them on every read.
    "stats_flush_seconds": 0.5,
    # A page of GET /cache/entries ends early, after at least one entry, once
    # the next entry would take its entries past this many bytes (metadata
    # may make entries large); its next_cursor resumes there.
    "max_page_bytes": 1024 * 1024,
    # PostgreSQL only: "on" (the default) makes every acknowledged write wait
    # for its WAL flush, so a 2xx survives a crash of the service or of the
    # database. "off" is an opt-in faster mode for stores of entries: a crash
    # of the database can lose the last fraction of a second of acknowledged
    # stores (they become misses and are recomputed), never corrupt anything;
    # invalidations and deletions wait for their flush in either mode.
    "postgresql_synchronous_commit": "on",
    # PostgreSQL only: run the hot read and store as server-side prepared
    # statements, prepared once per connection. Turn off behind a
    # transaction-mode PgBouncer, which does not keep them.
    "postgresql_prepared_statements": True,
}


def cache_config(overrides: dict | None = None) -> dict:
    """Defaults, then ``SIM2L_CACHE_*`` environment, then ``overrides``."""
    config = load_config(SERVICE.name, DEFAULTS, overrides)
    if config["postgresql_synchronous_commit"] not in ("on", "off"):
        raise ConfigError(
            "postgresql_synchronous_commit must be on or off, not "
            f"{config['postgresql_synchronous_commit']!r}"
        )
    if not (isinstance(config["max_page_bytes"], int) and config["max_page_bytes"] >= 1):
        raise ConfigError(
            f"max_page_bytes must be a positive number of bytes, not {config['max_page_bytes']!r}"
        )
    if not 1 <= config["max_key_length"] <= MAX_KEY_LENGTH:
        raise ConfigError(
            f"max_key_length must be between 1 and {MAX_KEY_LENGTH} (the key column's width), "
            f"not {config['max_key_length']!r}"
        )
    return config


def connection_url(config: dict) -> str:
    """The database URL with the session settings the service wants on every connection."""
    url = config["database_url"]
    if is_sqlite_url(url):
        return url
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query)
    if any(name == "options" for name, _ in query):
        return url  # the operator's own connection options win
    # Named explicitly either way: a server configured with
    # synchronous_commit=off must not silently weaken the default.
    query.append(("options", f"-c synchronous_commit={config['postgresql_synchronous_commit']}"))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
