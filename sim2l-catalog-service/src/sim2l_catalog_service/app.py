"""``create_app(config=None)``: the catalog service's Flask app.

Defaults, then ``SIM2L_CATALOG_*`` environment, then ``config``. Works as the
gunicorn entry ``sim2l_catalog_service.app:create_app()`` from the
environment alone.
"""

import peewee
from sim2l_service_kit import create_service_app
from sim2l_sessions.database import database_from_url

from sim2l_catalog_service import sql
from sim2l_catalog_service.config import SERVICE
from sim2l_catalog_service.config import catalog_config
from sim2l_catalog_service.models import database_proxy
from sim2l_catalog_service.views import views


def _gauges() -> dict:
    """Counts for ``/metrics`` (no names of anyone's data)."""
    row = sql.fetchone(
        "SELECT (SELECT COUNT(*) FROM catalog_simulation), "
        "(SELECT COUNT(*) FROM catalog_simulation WHERE status = 'deprecated'), "
        "(SELECT COUNT(*) FROM catalog_execution)"
    )
    return {
        "sim2l_catalog_simulation_versions": row[0],
        "sim2l_catalog_deprecated_versions": row[1],
        "sim2l_catalog_executions": row[2],
    }


def create_app(config: dict | None = None):
    """Build the catalog service app."""
    settings = catalog_config(config)
    database: peewee.Database = database_from_url(
        settings["database_url"], max_connections=settings["pool_size"]
    )
    database_proxy.initialize(database)
    app = create_service_app(
        import_name=__name__,
        info=SERVICE,
        config=settings,
        database=database,
        blueprints=(views,),
        gauges=_gauges,
    )
    return app
