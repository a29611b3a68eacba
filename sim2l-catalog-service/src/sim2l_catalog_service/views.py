"""The catalog's HTTP API: thin handlers that validate, call the registry, answer.

Every view declares the privilege it needs (``read_catalog``,
``register_simulation``, ``update_catalog``, ``record_execution``).
"""

from flask import Blueprint
from flask import request
from sim2l_service_kit import APIError
from sim2l_service_kit import actor
from sim2l_service_kit import current_session
from sim2l_service_kit import json_response
from sim2l_service_kit import request_json
from sim2l_service_kit import require_privilege
from sim2l_service_kit import service_state

from sim2l_catalog_service import catalog
from sim2l_catalog_service import executions
from sim2l_catalog_service import search
from sim2l_catalog_service.schemas import MAX_ID
from sim2l_catalog_service.schemas import ExecutionSchema
from sim2l_catalog_service.schemas import OverviewArgsSchema
from sim2l_catalog_service.schemas import PageArgsSchema
from sim2l_catalog_service.schemas import RegisterSchema
from sim2l_catalog_service.schemas import SearchArgsSchema
from sim2l_catalog_service.schemas import UpdateSchema
from sim2l_catalog_service.schemas import query_args

views = Blueprint("catalog", __name__)

_register_schema = RegisterSchema()
_update_schema = UpdateSchema()
_search_schema = SearchArgsSchema()
_page_schema = PageArgsSchema()
_overview_schema = OverviewArgsSchema()
_execution_schema = ExecutionSchema()


def _who() -> str:
    return actor(current_session())


def _no_query_args() -> None:
    if request.args:
        raise APIError(
            400,
            "validation_error",
            "this endpoint takes no query parameters",
            {name: ["Unknown field."] for name in request.args},
        )


def _simulation_id(simulation_id: int) -> int:
    if simulation_id > MAX_ID:
        raise APIError(404, "not_found", f"no simulation with id {simulation_id} in the catalog")
    return simulation_id


@views.post("/simulations")
@require_privilege("register_simulation")
def register_simulation():
    """Register a version; 201 when new, 200 when identical to "
    "the stored one, 409 when different."""
    values = _register_schema.load(request_json(request))
    record, created = catalog.register(values, _who())
    return json_response({**record, "created": created}, status=201 if created else 200)


@views.get("/simulations")
@require_privilege("read_catalog")
def search_simulations():
    """Search by free text, tags (all must match) and status; ranked and paginated."""
    args = _search_schema.load(query_args(request))
    page = search.search(
        args.get("query"), args.get("tags"), args.get("status"), args["limit"], args["offset"]
    )
    return json_response(page)


@views.get("/simulations/by-id/<int:simulation_id>")
@require_privilege("read_catalog")
def get_simulation_by_id(simulation_id):
    """One version by id."""
    _no_query_args()
    record = catalog.get_by_id(_simulation_id(simulation_id))
    if record is None:
        raise APIError(404, "not_found", f"no simulation with id {simulation_id} in the catalog")
    return json_response(record)


@views.get("/simulations/by-id/<int:simulation_id>/stats")
@require_privilege("read_catalog")
def simulation_stats(simulation_id):
    """Executions, success rate, mean and p95 duration, last run, distinct users."""
    _no_query_args()
    return json_response(executions.stats(_simulation_id(simulation_id)))


@views.get("/simulations/<name>")
@require_privilege("read_catalog")
def get_latest(name):
    """The latest version of ``name`` (highest active semantic version, else highest)."""
    _no_query_args()
    record = catalog.get(name)
    if record is None:
        raise catalog.not_found(name)
    return json_response(record)


@views.get("/simulations/<name>/stats")
@require_privilege("read_catalog")
def name_stats(name):
    """Statistics of every version of ``name`` together."""
    _no_query_args()
    usage = executions.name_stats(name)
    if usage is None:
        raise catalog.not_found(name)
    return json_response(usage)


@views.get("/simulations/<name>/versions")
@require_privilege("read_catalog")
def list_versions(name):
    """The versions of ``name``, newest first, paginated."""
    args = _page_schema.load(query_args(request, ()))
    page = catalog.list_versions(name, args["limit"], args["offset"])
    if page["total"] == 0:
        raise catalog.not_found(name)
    return json_response(page)


@views.get("/simulations/<name>/versions/<version>")
@require_privilege("read_catalog")
def get_version(name, version):
    """One version of ``name``."""
    _no_query_args()
    record = catalog.get(name, version)
    if record is None:
        raise catalog.not_found(name, version)
    return json_response(record)


@views.patch("/simulations/<name>/versions/<version>")
@require_privilege("update_catalog")
def update_version(name, version):
    """Change a version's description, tags, authors, schema, metadata or status."""
    _no_query_args()
    changes = _update_schema.load(request_json(request))
    return json_response(catalog.update(name, version, changes, _who()))


@views.post("/simulations/<name>/versions/<version>/deprecate")
@require_privilege("update_catalog")
def deprecate_version(name, version):
    """Mark a version deprecated (idempotent)."""
    _no_query_args()
    if request.get_data(cache=True):
        body = request_json(request)
        if body:
            raise APIError(
                400,
                "validation_error",
                "deprecate takes no body fields",
                {name: ["Unknown field."] for name in body},
            )
    return json_response(catalog.deprecate(name, version, _who()))


@views.post("/executions")
@require_privilege("record_execution")
def record_execution():
    """Record an execution; a retry with the same execution id is not counted twice."""
    _no_query_args()
    values = _execution_schema.load(request_json(request))
    durable = service_state().config["durable_execution_records"]
    record, created = executions.record(values, _who(), _who(), durable=durable)
    return json_response(record, status=201 if created else 200)


@views.get("/executions/<path:execution_id>")
@require_privilege("read_catalog")
def get_execution(execution_id):
    """One recorded execution."""
    _no_query_args()
    record = executions.get(execution_id)
    if record is None:
        raise APIError(404, "not_found", f"no execution {execution_id!r} recorded")
    return json_response(record)


@views.get("/overview")
@require_privilege("read_catalog")
def overview():
    """Catalog totals, most used tools, executions per day."""
    args = _overview_schema.load(query_args(request, ()))
    return json_response(executions.overview(args["days"], args["limit"]))
