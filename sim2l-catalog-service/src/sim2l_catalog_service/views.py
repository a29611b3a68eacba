"""The catalog's HTTP API: thin handlers that validate, call the registry, answer.

Every view declares the privilege it needs (``read_catalog``,
``register_simulation``, ``update_catalog``, ``record_execution``) and the
schemas of what it takes and answers (``schemas.py``), from which the OpenAPI
document is generated.
"""

from sim2l_service_kit import APIError
from sim2l_service_kit import actor
from sim2l_service_kit import current_session
from sim2l_service_kit import json_response
from sim2l_service_kit import require_privilege
from sim2l_service_kit import service_state
from sim2l_service_kit.api import ServiceBlueprint

from sim2l_catalog_service import catalog
from sim2l_catalog_service import executions
from sim2l_catalog_service import search
from sim2l_catalog_service.schemas import MAX_ID
from sim2l_catalog_service.schemas import ExecutionPath
from sim2l_catalog_service.schemas import ExecutionRecordSchema
from sim2l_catalog_service.schemas import ExecutionSchema
from sim2l_catalog_service.schemas import IdPath
from sim2l_catalog_service.schemas import NamePath
from sim2l_catalog_service.schemas import NameStatsSchema
from sim2l_catalog_service.schemas import NoArgs
from sim2l_catalog_service.schemas import OverviewArgsSchema
from sim2l_catalog_service.schemas import OverviewSchema
from sim2l_catalog_service.schemas import PageArgsSchema
from sim2l_catalog_service.schemas import RegisteredSchema
from sim2l_catalog_service.schemas import RegisterSchema
from sim2l_catalog_service.schemas import SearchArgsSchema
from sim2l_catalog_service.schemas import SearchPageSchema
from sim2l_catalog_service.schemas import SimulationSchema
from sim2l_catalog_service.schemas import StatsSchema
from sim2l_catalog_service.schemas import UpdateSchema
from sim2l_catalog_service.schemas import VersionPath
from sim2l_catalog_service.schemas import VersionsPageSchema

views = ServiceBlueprint("catalog", __name__)
no_query = views.arguments(NoArgs, location="query")


def _who() -> str:
    return actor(current_session())


def _simulation_id(simulation_id: int) -> int:
    if simulation_id > MAX_ID:
        raise APIError(404, "not_found", f"no simulation with id {simulation_id} in the catalog")
    return simulation_id


@views.post("/simulations")
@require_privilege("register_simulation")
@no_query
@views.arguments(RegisterSchema)
@views.response(201, RegisteredSchema)
@views.alt_response(200, schema=RegisteredSchema, success=True, description="already registered")
@views.errors(409)
def register_simulation(query, values):
    """Register a version: 201 when new, 200 when identical to the stored one, else 409."""
    record, created = catalog.register(values, _who())
    return json_response({**record, "created": created}, status=201 if created else 200)


@views.get("/simulations")
@require_privilege("read_catalog")
@views.arguments(SearchArgsSchema, location="query")
@views.response(200, SearchPageSchema)
def search_simulations(args):
    """Search by free text, tags (all must match) and status; ranked, a page at a time.

    Best first: exact name, name prefix, name contains, other matches, then
    newest. ``next_cursor`` (null on the last page) asks for the next page of
    the same search.
    """
    page = search.search(
        args.get("query"), args.get("tags"), args.get("status"), args["limit"], args["cursor"]
    )
    return json_response(page)


@views.get("/simulations/by-id/<int:simulation_id>")
@require_privilege("read_catalog")
@views.arguments(IdPath, location="path")
@no_query
@views.response(200, SimulationSchema)
@views.errors(404)
def get_simulation_by_id(path, query, simulation_id):
    """One version by id."""
    record = catalog.get_by_id(_simulation_id(simulation_id))
    if record is None:
        raise APIError(404, "not_found", f"no simulation with id {simulation_id} in the catalog")
    return json_response(record)


@views.get("/simulations/by-id/<int:simulation_id>/stats")
@require_privilege("read_catalog")
@views.arguments(IdPath, location="path")
@no_query
@views.response(200, StatsSchema)
@views.errors(404)
def simulation_stats(path, query, simulation_id):
    """Executions, success rate, mean and p95 duration, last run, distinct users."""
    return json_response(executions.stats(_simulation_id(simulation_id)))


@views.get("/simulations/<name>")
@require_privilege("read_catalog")
@views.arguments(NamePath, location="path")
@no_query
@views.response(200, SimulationSchema)
@views.errors(404)
def get_latest(path, query, name):
    """The latest version of ``name`` (highest active semantic version, else highest)."""
    record = catalog.get(name)
    if record is None:
        raise catalog.not_found(name)
    return json_response(record)


@views.get("/simulations/<name>/stats")
@require_privilege("read_catalog")
@views.arguments(NamePath, location="path")
@no_query
@views.response(200, NameStatsSchema)
@views.errors(404)
def name_stats(path, query, name):
    """Statistics of every version of ``name`` together."""
    usage = executions.name_stats(name)
    if usage is None:
        raise catalog.not_found(name)
    return json_response(usage)


@views.get("/simulations/<name>/versions")
@require_privilege("read_catalog")
@views.arguments(NamePath, location="path")
@views.arguments(PageArgsSchema, location="query")
@views.response(200, VersionsPageSchema)
@views.errors(404)
def list_versions(path, args, name):
    """The versions of ``name``, highest first, a page at a time."""
    page = catalog.list_versions(name, args["limit"], args["cursor"])
    if page is None:
        raise catalog.not_found(name)
    return json_response(page)


@views.get("/simulations/<name>/versions/<version>")
@require_privilege("read_catalog")
@views.arguments(VersionPath, location="path")
@no_query
@views.response(200, SimulationSchema)
@views.errors(404)
def get_version(path, query, name, version):
    """One version of ``name``."""
    record = catalog.get(name, version)
    if record is None:
        raise catalog.not_found(name, version)
    return json_response(record)


@views.patch("/simulations/<name>/versions/<version>")
@require_privilege("update_catalog")
@views.arguments(VersionPath, location="path")
@no_query
@views.arguments(UpdateSchema)
@views.response(200, SimulationSchema)
@views.errors(404)
def update_version(path, query, changes, name, version):
    """Change a version's description, tags, authors, schema, metadata or status."""
    return json_response(catalog.update(name, version, changes, _who()))


@views.post("/simulations/<name>/versions/<version>/deprecate")
@require_privilege("update_catalog")
@views.arguments(VersionPath, location="path")
@no_query
@views.arguments(NoArgs, required=False)
@views.response(200, SimulationSchema)
@views.errors(404)
def deprecate_version(path, query, body, name, version):
    """Mark a version deprecated (idempotent); no body, or an empty object."""
    return json_response(catalog.deprecate(name, version, _who()))


@views.post("/executions")
@require_privilege("record_execution")
@no_query
@views.arguments(ExecutionSchema)
@views.response(201, ExecutionRecordSchema)
@views.alt_response(
    200, schema=ExecutionRecordSchema, success=True, description="recorded before (a retry)"
)
@views.errors(404, 409)
def record_execution(query, values):
    """Record an execution; a retry with the same execution id is not counted twice."""
    durable = service_state().config["durable_execution_records"]
    record, created = executions.record(values, _who(), _who(), durable=durable)
    return json_response(record, status=201 if created else 200)


@views.get("/executions/<path:execution_id>")
@require_privilege("read_catalog")
@views.arguments(ExecutionPath, location="path")
@no_query
@views.response(200, ExecutionRecordSchema)
@views.errors(404)
def get_execution(path, query, execution_id):
    """One recorded execution."""
    record = executions.get(execution_id)
    if record is None:
        raise APIError(404, "not_found", f"no execution {execution_id!r} recorded")
    return json_response(record)


@views.get("/overview")
@require_privilege("read_catalog")
@views.arguments(OverviewArgsSchema, location="query")
@views.response(200, OverviewSchema)
def overview(args):
    """Catalog totals, most used tools, executions per day."""
    return json_response(executions.overview(args["days"], args["limit"]))
