"""``create_app(config=None)``: the cache service's Flask application.

For gunicorn: ``gunicorn 'sim2l_cache_service.app:create_app()'``, configured
by ``SIM2L_CACHE_*`` environment variables alone.
"""

import atexit
import time

from flask import Flask
from sim2l_service_kit import create_service_app
from sim2l_service_kit.routing import path_converter_excluding
from sim2l_sessions.database import database_from_url

from sim2l_cache_service.config import SERVICE
from sim2l_cache_service.config import cache_config
from sim2l_cache_service.config import connection_url
from sim2l_cache_service.counters import HitCounter
from sim2l_cache_service.store import CacheStore
from sim2l_cache_service.tables import database_proxy
from sim2l_cache_service.views import LITERAL_CACHE_ROUTES
from sim2l_cache_service.views import CacheState
from sim2l_cache_service.views import blueprint


def create_app(config: dict | None = None) -> Flask:
    """The cache service: defaults, then ``SIM2L_CACHE_*`` environment, then ``config``."""
    settings = cache_config(config)
    database = database_from_url(connection_url(settings), max_connections=settings["pool_size"])
    database_proxy.initialize(database)
    store = CacheStore(
        database,
        settings["database_url"],
        prepared_statements=settings["postgresql_prepared_statements"],
    )
    store.disable_automatic_checkpoints()
    counter = HitCounter(settings["stats_flush_seconds"])

    def gauges() -> dict:
        counts = store.counts(None, time.time())
        return {
            "sim2l_cache_entries": counts["entries"],
            "sim2l_cache_stored_entries": counts["stored_entries"],
            "sim2l_cache_hits": counts["hits"],
            "sim2l_cache_misses": counts["misses"],
        }

    app = create_service_app(
        import_name=__name__,
        info=SERVICE,
        config=settings,
        database=database,
        blueprints=(blueprint,),
        # /cache/stats, /cache/entries, ... belong to their own routes for every
        # method, never to /cache/<path:cache_key> (Allow names only theirs).
        converters={"path": path_converter_excluding(*LITERAL_CACHE_ROUTES)},
        # Keys may hold "//"; merging slashes would redirect them to another key.
        merge_slashes=False,
        gauges=gauges,
        state=CacheState(settings, store, counter),
    )
    # Counts not yet flushed when a worker stops are written on the way out.
    atexit.register(counter.flush_at_exit, store)
    return app
