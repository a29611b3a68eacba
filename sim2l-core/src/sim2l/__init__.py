"""sim2l: record, cache, catalog and search simulation runs.

``configure()`` sets where runs are recorded and which services to use;
``sim2l.database`` holds ``RunDatabase`` and ``FileManager``.
"""

import importlib.metadata

from sim2l.settings import Settings
from sim2l.settings import SettingsError
from sim2l.settings import configure
from sim2l.settings import get_settings
from sim2l.settings import reset_settings

try:
    __version__ = importlib.metadata.version("sim2l-core")
except importlib.metadata.PackageNotFoundError:  # running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "Settings",
    "SettingsError",
    "__version__",
    "configure",
    "get_settings",
    "reset_settings",
]
