"""``/cache``: entries, hit rate overall and per simulation, invalidation (developers)."""

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from sim2l_web import services
from sim2l_web.auth import login_required
from sim2l_web.auth import privilege_required
from sim2l_web.paging import page_limit

cache_blueprint = Blueprint("cache", __name__)

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500  # the cache service's largest page
SIMULATIONS_WITH_STATS = 20


@cache_blueprint.get("/cache")
@login_required
def cache_page():
    """Overall figures, per-simulation hit rates and one page of live entries.

    The entries page follows the service's cursor: "Next page" carries the
    page's ``next_cursor``, "First page" drops it.
    """
    cache = services.cache()
    overall = cache.get_stats()
    name = request.args.get("simulation") or None
    limit = page_limit(PAGE_SIZE, MAX_PAGE_SIZE)
    cursor = request.args.get("cursor") or None
    entries = cache.list_entries(simulation_name=name, limit=limit, cursor=cursor)
    per_simulation, catalog_down = services.attempt(
        services.catalog().search, limit=SIMULATIONS_WITH_STATS
    )
    listing = {"simulation": name, "limit": request.args.get("limit") or None}
    rows = []
    for version in per_simulation or []:
        stats = cache.get_stats(simulation_id=version["id"])
        if stats.get("lookups") or stats.get("entries"):
            rows.append({"simulation": version, "stats": stats})
    return render_template(
        "cache.html",
        overall=overall,
        entries=entries["items"],
        next_url=(
            url_for("cache.cache_page", **listing, cursor=entries["next_cursor"])
            if entries["next_cursor"]
            else None
        ),
        first_url=url_for("cache.cache_page", **listing) if cursor else None,
        simulation=name or "",
        per_simulation=rows,
        catalog_down=catalog_down,
    )


@cache_blueprint.post("/cache/invalidate")
@privilege_required("invalidate_cache")
def invalidate():
    """Invalidate by simulation name and version, or by key pattern (developers)."""
    selectors = {
        key: request.form.get(key, "").strip() or None
        for key in ("simulation_name", "simulation_version", "key_pattern")
    }
    if not any(selectors.values()):
        flash("Name a simulation or a key pattern to invalidate.")
        return redirect(url_for("cache.cache_page"))
    answer = services.cache().invalidate(**selectors, reason=request.form.get("reason") or None)
    flash(f"Invalidated {answer.get('invalidated', 0)} cache entries.")
    return redirect(url_for("cache.cache_page"))
