"""The dashboard's pages, one blueprint per page family."""

from sim2l_web.views.admin import admin_blueprint
from sim2l_web.views.cache import cache_blueprint
from sim2l_web.views.catalog import catalog_blueprint
from sim2l_web.views.compare import compare_blueprint
from sim2l_web.views.overview import overview_blueprint
from sim2l_web.views.run import run_blueprint
from sim2l_web.views.runs import runs_blueprint

BLUEPRINTS = (
    overview_blueprint,
    catalog_blueprint,
    runs_blueprint,
    run_blueprint,
    compare_blueprint,
    cache_blueprint,
    admin_blueprint,
)


def register_views(app) -> None:
    """Register every page blueprint on ``app``."""
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
