"""``/``: counts of simulations, versions, runs and cache entries, hit rate, latest runs, failures.

Each panel asks one service; a service that is down greys out its panel
and the others still show.
"""

import time

from flask import Blueprint
from flask import render_template

from sim2l_web import services
from sim2l_web.auth import login_required
from sim2l_web.formatting import epoch

overview_blueprint = Blueprint("overview", __name__)

LATEST_RUNS = 10
RECENT_FAILURES = 50
DAY = 24 * 3600


@overview_blueprint.get("/")
@login_required
def overview():
    """The overview page."""
    catalog, catalog_down = services.attempt(services.catalog().get_overview, days=7, limit=5)
    cache, cache_down = services.attempt(services.cache().get_stats)
    latest, results_down = services.attempt(
        services.results().search, sort="-created_at", limit=LATEST_RUNS
    )
    failures = None
    if not results_down:
        recent, results_down = services.attempt(
            services.results().search, status="failed", sort="-created_at", limit=RECENT_FAILURES
        )
        since = time.time() - DAY
        failures = [run for run in recent or [] if (epoch(run.get("created_at")) or 0) >= since]
    down = [name for name in (catalog_down, cache_down, results_down) if name]
    return render_template(
        "overview.html",
        catalog=catalog,
        cache=cache,
        latest=latest,
        failures=failures,
        down=down,
    )
