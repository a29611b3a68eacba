"""sim2l-web: the dashboard of sim2l simulations and runs.

A Flask app of server-rendered pages that reaches the cache, catalog and
results services only through their clients. ``create_app()`` builds it;
``sim2l-web serve`` and ``python -m sim2l.services.web`` run it under gunicorn.
"""

import importlib.metadata

from sim2l_web.app import create_app

try:
    __version__ = importlib.metadata.version("sim2l-web")
except importlib.metadata.PackageNotFoundError:  # a source tree without metadata
    __version__ = "0"

__all__ = ["__version__", "create_app"]
