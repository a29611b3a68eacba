"""``create_app(config=None)``: the results service on the shared service kit."""

import dataclasses

import peewee
from sim2l_service_kit import ServiceState
from sim2l_service_kit import create_service_app
from sim2l_service_kit.routing import string_converter_excluding
from sim2l_sessions.database import database_from_url

from sim2l_results_service.config import SERVICE
from sim2l_results_service.config import results_config
from sim2l_results_service.models import database_proxy
from sim2l_results_service.models import use_prepared_statements
from sim2l_results_service.queries import result_count
from sim2l_results_service.storage import RunFileStore
from sim2l_results_service.views import views


@dataclasses.dataclass
class ResultsState(ServiceState):
    """What the views share: the configuration and the store of run files."""

    store: RunFileStore


def create_app(config: dict | None = None):
    """The Flask app: defaults, then ``SIM2L_RESULTS_*`` environment, then ``config``."""
    settings = results_config(config)
    database = database_from_url(settings["database_url"], max_connections=settings["pool_size"])
    database_proxy.initialize(database)
    use_prepared_statements(settings["postgresql_prepared_statements"])
    if isinstance(database, peewee.SqliteDatabase) and settings["sqlite_mmap_bytes"] > 0:
        # Searches probe many pages at random; memory-mapped reads skip a
        # system call per page. Applied on every connection the pool opens.
        database.pragma("mmap_size", settings["sqlite_mmap_bytes"], permanent=True)
    store = RunFileStore(settings["storage_dir"])
    store.ensure()
    app = create_service_app(
        import_name=__name__,
        info=SERVICE,
        config=settings,
        database=database,
        blueprints=(views,),
        # /results/search and /results/columns belong to their own routes for
        # every method, never to /results/<execution_id> (Allow names only theirs).
        converters={"execution": string_converter_excluding("search", "columns")},
        gauges=lambda: {"sim2l_results_registered": result_count()},
        state=ResultsState(settings, store),
    )
    return app
