"""``create_app(config=None)``: the catalog service's Flask app.

Defaults, then ``SIM2L_CATALOG_*`` environment, then ``config``. Works as the
gunicorn entry ``sim2l_catalog_service.app:create_app()`` from the
environment alone.
"""

import importlib.metadata

import peewee
from sim2l_service_kit import create_service_app
from sim2l_sessions.database import database_from_url

from sim2l_catalog_service import sql
from sim2l_catalog_service.config import catalog_config
from sim2l_catalog_service.models import database_proxy
from sim2l_catalog_service.openapi import catalog_document
from sim2l_catalog_service.views import views

SERVICE = "catalog"
DISTRIBUTION = "sim2l-catalog-service"


def _version() -> str:
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "0"


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
        service=SERVICE,
        distribution=DISTRIBUTION,
        config=settings,
        database=database,
        migrations_package="sim2l_catalog_service.migrations",
        openapi=catalog_document(_version()),
        gauges=_gauges,
    )
    app.register_blueprint(views)
    return app
