"""The catalog service's configuration (``SIM2L_CATALOG_*`` in the environment).

The catalog has no keys of its own yet: the shared ones (``database_url``,
``max_body_bytes``, ``pool_size``, ...) come from ``sim2l_sessions.web.load_config``.
"""

from sim2l_sessions.web import load_config

DEFAULTS: dict = {}


def catalog_config(overrides: dict | None = None) -> dict:
    """Defaults, then ``SIM2L_CATALOG_*`` environment, then ``overrides``."""
    return load_config("catalog", DEFAULTS, overrides)
