"""``/simulations``: the catalog (search by text and tags, sortable) and one simulation's page."""

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from sim2l_web import services
from sim2l_web.auth import login_required
from sim2l_web.auth import privilege_required
from sim2l_web.paging import page_limit

catalog_blueprint = Blueprint("catalog", __name__)

PAGE_SIZE = 50
MAX_PAGE_SIZE = 100  # the catalog service's largest page
VERSIONS_SHOWN = 100
SORTS = {
    "relevance": None,
    "name": lambda item: (item.get("name") or "").lower(),
    "-updated": lambda item: str(item.get("updated_at") or item.get("created_at") or ""),
    "version": lambda item: str(item.get("version") or ""),
}


@catalog_blueprint.get("/simulations")
@login_required
def simulations():
    """Search the catalog by text and tags, a page at a time; sort a page by name, version, time.

    Pages follow the service's cursor: "Next page" carries the page's
    ``next_cursor``, "First page" drops it.
    """
    query = request.args.get("q", "").strip() or None
    tags = [tag.strip() for tag in request.args.get("tags", "").split(",") if tag.strip()]
    status = request.args.get("status") or None
    sort = request.args.get("sort", "relevance")
    if sort not in SORTS:
        abort(400, description=f"sort by one of {', '.join(SORTS)}")
    limit = page_limit(PAGE_SIZE, MAX_PAGE_SIZE)
    cursor = request.args.get("cursor") or None
    answer = services.catalog().search_page(
        query=query, tags=tags or None, status=status, limit=limit, cursor=cursor
    )
    items = answer["items"]
    if SORTS[sort]:
        items = sorted(items, key=SORTS[sort], reverse=sort.startswith("-"))
    search = {
        "q": query,
        "tags": ",".join(tags) or None,
        "status": status,
        "sort": sort if sort != "relevance" else None,
        "limit": request.args.get("limit") or None,
    }
    following = answer["next_cursor"]
    return render_template(
        "simulations.html",
        items=items,
        query=query or "",
        tags=",".join(tags),
        status=status or "",
        sort=sort,
        sorts=list(SORTS),
        next_url=url_for("catalog.simulations", **search, cursor=following) if following else None,
        first_url=url_for("catalog.simulations", **search) if cursor else None,
    )


def schema_rows(schema: dict | None) -> list[dict]:
    """The catalog schema as table rows: direction, name, type, units, range, default."""
    rows = []
    for direction in ("inputs", "outputs"):
        for name, spec in ((schema or {}).get(direction) or {}).items():
            spec = spec if isinstance(spec, dict) else {}
            rows.append({"direction": direction[:-1], "name": name, **spec})
    return rows


@catalog_blueprint.get("/simulations/<name>")
@login_required
def simulation(name):
    """One simulation: versions, description, tags, schema, execution statistics."""
    version = request.args.get("version") or None
    record = services.catalog().get_simulation(name, version)
    versions = services.catalog().versions_page(name, limit=VERSIONS_SHOWN)
    stats, _ = services.attempt(services.catalog().get_simulation_stats, record["id"])
    all_stats, _ = services.attempt(services.catalog().get_name_stats, name)
    return render_template(
        "simulation.html",
        record=record,
        versions=versions["items"],
        more_versions=versions["next_cursor"] is not None,
        stats=stats,
        all_stats=all_stats,
        schema=schema_rows(record.get("schema")),
    )


@catalog_blueprint.post("/simulations/<name>/versions/<version>/deprecate")
@privilege_required("update_catalog")
def deprecate(name, version):
    """Mark one version deprecated (developers)."""
    services.catalog().deprecate_simulation(name, version)
    flash(f"{name} {version} is now deprecated.")
    return redirect(url_for("catalog.simulation", name=name, version=version))
