"""Layered service configuration: defaults, then environment, then the caller's.

Each key ``name`` of the defaults can be set by ``SIM2L_<SERVICE>_<NAME>``;
a few keys shared by every service also read the service-neutral variable
(``SIM2L_SECRET_KEY``, ``SIM2L_SESSIONS_DATABASE_URL``). Values from the
environment are parsed to the type of the default; a malformed value or an
unknown key is an error that names it.
"""

import os

from sim2l_sessions.paths import default_sqlite_url
from sim2l_sessions.privileges import USER_PRIVILEGES

# Keys every service understands. None means "computed when unset".
COMMON_DEFAULTS = {
    "database_url": None,  # default: sqlite:///<SIM2L_HOME>/<service>.db
    "sessions_database_url": None,  # default: SIM2L_SESSIONS_DATABASE_URL or the local file
    "secret_key": None,  # default: SIM2L_SECRET_KEY or the local key file
    "max_body_bytes": 1024 * 1024,
    "anonymous_sessions": True,
    "anonymous_privileges": ",".join(sorted(USER_PRIVILEGES)),
    "auto_migrate": False,
    "pool_size": 16,
    "revocation_refresh_seconds": 1.0,
    # /metrics: a service's gauges (row counts) are recomputed at most this
    # often per worker, so a scrape never scans a table.
    "metrics_gauge_max_age_seconds": 15.0,
}
_SHARED_ENVIRONMENT = {
    "secret_key": "SIM2L_SECRET_KEY",
    "sessions_database_url": "SIM2L_SESSIONS_DATABASE_URL",
    "revocation_refresh_seconds": "SIM2L_REVOCATION_REFRESH_SECONDS",
}


class ConfigError(ValueError):
    """A configuration key or value that cannot be used."""


def _parse(name: str, raw: str, default):
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name} must be true or false, not {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be an integer, not {raw!r}") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, not {raw!r}") from None
    return raw


def load_config(service: str, defaults: dict, overrides: dict | None = None) -> dict:
    """The effective configuration of ``service`` (for example ``"cache"``)."""
    merged_defaults = {**COMMON_DEFAULTS, **defaults}
    config = dict(merged_defaults)
    prefix = f"SIM2L_{service.upper()}_"
    for key, default in merged_defaults.items():
        names = [prefix + key.upper()]
        if key in _SHARED_ENVIRONMENT:
            names.append(_SHARED_ENVIRONMENT[key])
        for name in names:
            raw = os.environ.get(name)
            if raw not in (None, ""):
                config[key] = _parse(name, raw, default)
                break
    unknown = set(overrides or {}) - set(merged_defaults)
    if unknown:
        raise ConfigError(
            f"unknown configuration key(s) for the {service} service: {', '.join(sorted(unknown))}"
        )
    config.update(overrides or {})
    if not config["database_url"]:
        config["database_url"] = default_sqlite_url(service)
    return config
