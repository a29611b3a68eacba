"""Third-party browser assets, served from the registry packages that ship them.

``/assets/plotly.min.js`` is the file the ``plotly`` package on PyPI bundles
(``plotly/package_data/plotly.min.js``): the dashboard never loads a script
from a CDN, so it works offline and under a ``script-src 'self'`` policy.

``/assets/plotly.css`` holds the style rules plotly.js would otherwise inject
as an inline ``<style>`` element at load time (which a ``style-src 'self'``
policy refuses). They are read out of that same file, so they always match
the installed plotly.js; a page that links them with
``id="plotly.js-style-global" class="no-inline-styles"`` tells plotly.js
(since 2.35) not to inject its own.
"""

import functools
import importlib.metadata
import importlib.resources
import logging

from flask import Blueprint
from flask import Response
from flask import abort
from flask import send_file

from sim2l_web.plotly_css import global_rules
from sim2l_web.plotly_css import injected_sheets

assets_blueprint = Blueprint("assets", __name__)
logger = logging.getLogger(__name__)
YEAR = 365 * 24 * 3600

# name served -> (package, path inside it)
BUNDLED_ASSETS = {"plotly.min.js": ("plotly", "package_data/plotly.min.js")}


@functools.cache
def asset_version(name: str) -> str:
    """The version of the package that ships ``name`` (busts browser caches on upgrade).

    Kept per process: ``importlib.metadata`` scans the installed packages
    (about 2 ms here) and a plots page asks three or four times; an upgrade
    restarts the process anyway.
    """
    return importlib.metadata.version(BUNDLED_ASSETS[name][0])


def asset_path(name: str):
    """The file of a bundled asset inside its installed package."""
    package, inner = BUNDLED_ASSETS[name]
    return importlib.resources.files(package).joinpath(inner)


@functools.cache
def _plotly_source() -> str:
    return asset_path("plotly.min.js").read_text(encoding="utf-8")


@functools.cache
def _plotly_css() -> str:
    css = global_rules(_plotly_source())
    if not css:
        logger.warning("no style rules found in plotly.min.js; plots will lack their modebar style")
    return css


@functools.cache
def plotly_injected_sheets() -> dict[str, str]:
    """``{element id: css}`` of the sheets plotly.js's bundled libraries would inject inline."""
    return injected_sheets(_plotly_source())


def _stylesheet(css: str) -> Response:
    response = Response(css, mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = YEAR  # its URL carries the plotly version
    return response


@assets_blueprint.get("/assets/plotly.css")
def plotly_css():
    """plotly.js's own global style rules as a stylesheet."""
    return _stylesheet(_plotly_css())


@assets_blueprint.get("/assets/injected/<sheet_id>.css")
def injected_css(sheet_id):
    """A style sheet a library inside plotly.js would inject under ``sheet_id``."""
    sheets = plotly_injected_sheets()
    if sheet_id not in sheets:
        abort(404)
    return _stylesheet(sheets[sheet_id])


@assets_blueprint.get("/assets/<name>")
def bundled_asset(name):
    """A bundled asset, cacheable for a year (its URL carries the package version)."""
    if name not in BUNDLED_ASSETS:
        abort(404)
    path = asset_path(name)
    if not path.is_file():
        abort(404, description=f"{BUNDLED_ASSETS[name][0]} does not ship {name}")
    return send_file(str(path), mimetype="text/javascript", max_age=YEAR)
