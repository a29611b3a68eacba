"""``create_service_app``: the shape every sim2l service shares.

A service's own ``create_app(config=None)`` loads its configuration, opens its
database, calls this, and registers its blueprint. This wires:

- the orjson JSON provider and the JSON error handlers;
- the session manager (shared secret, shared sessions store) and the
  sessions blueprint;
- per-request database connections (SQLite stays open per worker thread; a
  PostgreSQL connection is checked out of the pool and returned after);
- the flask-smorest ``Api`` (``api.py``), with which every blueprint is
  registered: it validates requests and writes the OpenAPI document;
- ``/health``, ``/ready``, ``/metrics``, ``/openapi.json`` and ``/docs``;
- the text rule (no NUL, no lone surrogate, UTF-8 only: ``text.py``) on
  every request and in the OpenAPI document;
- the body size limit (413) and the refusal to start on an unmigrated
  database, with the command that fixes it.
"""

import importlib.metadata
import logging

import peewee
from flask import Flask
from flask import Response
from flask import current_app
from marshmallow import fields
from sim2l_sessions.database import is_sqlite_url
from sim2l_sessions.database import redact_url
from sim2l_sessions.manager import SessionManager
from sim2l_sessions.migrations import migrate
from sim2l_sessions.migrations import pending_migrations
from sim2l_sessions.migrations import require_migrated
from sim2l_sessions.privileges import expand_privileges
from sim2l_sessions.service_client import SERVICE_HEADER
from sim2l_sessions.services import ServiceInfo
from sim2l_sessions.store import SessionStore

from sim2l_service_kit.access_log import install_access_log
from sim2l_service_kit.api import ServiceBlueprint
from sim2l_service_kit.api import create_api
from sim2l_service_kit.auth import EXTENSION_KEY
from sim2l_service_kit.auth import public
from sim2l_service_kit.docs_page import add_docs_page
from sim2l_service_kit.errors import register_error_handlers
from sim2l_service_kit.jsonio import OrjsonProvider
from sim2l_service_kit.jsonio import json_response
from sim2l_service_kit.metrics import CONTENT_TYPE
from sim2l_service_kit.metrics import RequestMetrics
from sim2l_service_kit.schemas import HealthSchema
from sim2l_service_kit.schemas import OpenAPIDocumentSchema
from sim2l_service_kit.schemas import ReadySchema
from sim2l_service_kit.sessions_blueprint import sessions_blueprint
from sim2l_service_kit.state import ServiceState
from sim2l_service_kit.state import install_state
from sim2l_service_kit.text import TextCheckedRequest
from sim2l_service_kit.text import check_request_text

logger = logging.getLogger("sim2l.service")


def service_version(info: ServiceInfo) -> str:
    """The installed version of the service's distribution ("0" from a bare source tree)."""
    try:
        return importlib.metadata.version(info.distribution)
    except importlib.metadata.PackageNotFoundError:
        return "0"


def create_service_app(
    *,
    import_name: str,
    info: ServiceInfo,
    config: dict,
    database: peewee.Database,
    blueprints: tuple = (),
    converters: dict | None = None,
    merge_slashes: bool = True,
    gauges=None,
    state: ServiceState | None = None,
) -> Flask:
    """Build the Flask app skeleton of the service ``info`` (its row of the services table).

    ``database`` is the service's Peewee database (already opened from
    ``config["database_url"]``); ``blueprints`` the service's own
    ``ServiceBlueprint``s, registered with the Api (which writes their routes
    into ``/openapi.json``) after ``converters`` (``{name: converter}``) join
    the URL map (``merge_slashes=False`` keeps ``//`` in paths); ``gauges``
    an optional callable returning ``{metric_name: value}`` for ``/metrics``;
    ``state`` what its views reach through ``service_state()`` (default: the
    config).
    """
    service = info.name
    migrations_package = info.migrations_package
    app = Flask(import_name, static_folder=None)
    app.request_class = TextCheckedRequest
    app.json = OrjsonProvider(app)
    app.config.update(
        MAX_CONTENT_LENGTH=config["max_body_bytes"],
        ANONYMOUS_SESSIONS=config["anonymous_sessions"],
        ANONYMOUS_PRIVILEGES=expand_privileges(
            [name for name in str(config["anonymous_privileges"]).split(",") if name.strip()]
        ),
    )
    register_error_handlers(app)
    install_access_log(app, service)

    @app.after_request
    def name_the_service(response):
        # Clients check it: a client pointed at another service's port says so.
        response.headers[SERVICE_HEADER] = service
        return response

    app.before_request(check_request_text)

    migrate_command = f"{info.command} migrate --db-url {redact_url(config['database_url'])}"
    _check_schema(database, migrations_package, migrate_command, config["auto_migrate"])

    store = SessionStore(config["sessions_database_url"])
    manager = SessionManager(
        store=store,
        secret_keys=config["secret_key"],
        revocation_refresh_seconds=config["revocation_refresh_seconds"],
    )
    app.extensions[EXTENSION_KEY] = manager
    app.extensions["sim2l_database"] = database
    install_state(app, state if state is not None else ServiceState(config))

    _manage_connections(app, database, store, config)
    metrics = RequestMetrics(service, gauges, config["metrics_gauge_max_age_seconds"])
    metrics.install(app)
    app.extensions["sim2l_metrics"] = metrics
    app.url_map.merge_slashes = merge_slashes
    app.url_map.converters.update(converters or {})
    api = create_api(app, f"sim2l {service} service", service_version(info))
    # In the app's context: a field may document a limit of the configuration.
    with app.app_context():
        api.register_blueprint(sessions_blueprint)
        api.register_blueprint(
            _operational_blueprint(
                service, service_version(info), database, migrations_package, api
            )
        )
        for blueprint in blueprints:
            api.register_blueprint(blueprint)
    return app


def _check_schema(database, migrations_package: str, migrate_command: str, auto_migrate: bool):
    """Refuse an unmigrated database; tolerate an unreachable one.

    A worker that gunicorn starts (or restarts) while the database is down
    must not exit: a worker that fails to boot makes gunicorn stop the whole
    service. It serves 503s and ``/ready`` says unavailable until the
    database is back. ``serve`` checks the database before gunicorn starts.
    """
    try:
        if auto_migrate:
            migrate(database, migrations_package)
        require_migrated(database, migrations_package, migrate_command)
    except (peewee.OperationalError, peewee.InterfaceError) as error:
        logger.warning(
            "database unreachable at start (%s); /ready answers 503 until it is back", error
        )
    finally:
        if not database.is_closed():
            database.close()  # gunicorn forks after this; each worker opens its own


def _manage_connections(app: Flask, database, store: SessionStore, config: dict) -> None:
    pooled = not is_sqlite_url(config["database_url"])
    store_pooled = not is_sqlite_url(store.url)

    # Connections open lazily on a request's first query (peewee's
    # autoconnect), so /health and the auth checks never touch the database.
    # SQLite keeps one connection per worker thread (reopening it per request
    # halves throughput); a PostgreSQL connection returns to the pool after
    # each request, so that after a database outage the 503 handler's flush of
    # idle connections reaches every connection the worker holds.
    @app.teardown_request
    def close_connection(exc):
        if pooled and not database.is_closed():
            database.close()
        if store_pooled:
            store.close()


def _operational_blueprint(service, version, database, migrations_package, api):
    blueprint = ServiceBlueprint("service", __name__)

    @blueprint.get("/health")
    @public
    @blueprint.response(200, HealthSchema)
    def health():
        """Alive: answers without touching the database."""
        return json_response({"status": "ok", "service": service, "version": version})

    @blueprint.get("/ready")
    @public
    @blueprint.response(200, ReadySchema)
    @blueprint.alt_response(
        503, schema=ReadySchema, description="database unreachable or unmigrated"
    )
    def ready():
        """Ready: the database answers and is migrated."""
        try:
            database.execute_sql("SELECT 1")
            pending = pending_migrations(database, migrations_package)
        except peewee.PeeweeException:
            return json_response({"status": "unavailable", "reason": "database unreachable"}, 503)
        if pending:
            return json_response({"status": "unavailable", "reason": "database not migrated"}, 503)
        return json_response({"status": "ready", "service": service, "version": version})

    @blueprint.get("/metrics")
    @public
    @blueprint.response(200, fields.String(), content_type="text/plain")
    def prometheus_metrics():
        """Request counts and durations summed over every worker, and the service's gauges."""
        metrics = current_app.extensions["sim2l_metrics"]
        return Response(metrics.render(), mimetype=None, content_type=CONTENT_TYPE)

    @blueprint.get("/openapi.json")
    @public
    @blueprint.response(200, OpenAPIDocumentSchema)
    def openapi_document():
        """This document: generated from the schemas that validate the requests."""
        if not document:
            document.update(api.spec.to_dict())
        return json_response(document)

    document = {}
    add_docs_page(blueprint, f"sim2l {service} service")
    return blueprint
