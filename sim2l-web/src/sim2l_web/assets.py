"""Third-party browser assets, served from the registry packages that ship them.

``/assets/plotly.min.js`` is the file the ``plotly`` package on PyPI bundles
(``plotly/package_data/plotly.min.js``): the dashboard never loads a script
from a CDN, so it works offline and under a ``script-src 'self'`` policy.
"""

import importlib.metadata
import importlib.resources

from flask import Blueprint
from flask import abort
from flask import send_file

assets_blueprint = Blueprint("assets", __name__)

# name served -> (package, path inside it)
BUNDLED_ASSETS = {"plotly.min.js": ("plotly", "package_data/plotly.min.js")}


def asset_version(name: str) -> str:
    """The version of the package that ships ``name`` (busts browser caches on upgrade)."""
    return importlib.metadata.version(BUNDLED_ASSETS[name][0])


def asset_path(name: str):
    """The file of a bundled asset inside its installed package."""
    package, inner = BUNDLED_ASSETS[name]
    return importlib.resources.files(package).joinpath(inner)


@assets_blueprint.get("/assets/<name>")
def bundled_asset(name):
    """A bundled asset, cacheable for a year (its URL carries the package version)."""
    if name not in BUNDLED_ASSETS:
        abort(404)
    path = asset_path(name)
    if not path.is_file():
        abort(404, description=f"{BUNDLED_ASSETS[name][0]} does not ship {name}")
    return send_file(str(path), mimetype="text/javascript", max_age=365 * 24 * 3600)
