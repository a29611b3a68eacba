"""The dashboard's configuration: defaults, then the environment, then the caller's overrides.

The service URLs come from the settings every sim2l client reads
(``SIM2L_CACHE_SERVICE_URL``, ``SIM2L_CATALOG_SERVICE_URL``,
``SIM2L_RESULTS_SERVICE_URL``); the dashboard's own keys from
``SIM2L_WEB_<KEY>``.
"""

import hashlib
import hmac
import os

from sim2l_sessions.keys import load_secret_keys

PORT = 8000

SERVICE_URL_ENVIRONMENT = {
    "cache_url": ("SIM2L_CACHE_SERVICE_URL", "http://127.0.0.1:8001"),
    "catalog_url": ("SIM2L_CATALOG_SERVICE_URL", "http://127.0.0.1:8002"),
    "results_url": ("SIM2L_RESULTS_SERVICE_URL", "http://127.0.0.1:8003"),
}

DEFAULTS = {
    # Where logins go (any service's /sessions); empty means the results service.
    "sessions_url": "",
    # Signs the dashboard's cookie; empty means one derived from the shared
    # sim2l secret, so every replica that shares SIM2L_SECRET_KEY agrees.
    "secret_key": "",
    # Seconds to wait for a service: a page must fail fast and say which one is down.
    "connect_timeout": 2.0,
    "read_timeout": 30.0,
    # Rows per page of the runs explorer (and the most a page may ask for).
    "page_size": 100,
    "max_page_size": 1000,
    # How many run files the run pages keep downloaded (content-addressed).
    "run_file_cache_size": 64,
    # Largest artifact shown inline (bytes); larger ones are download-only.
    "preview_bytes": 256 * 1024,
    # Cookie lifetime follows the session token; Secure is forced on when set
    # (otherwise Secure is set whenever the request came over https).
    "cookie_secure": False,
}

ENV_PREFIX = "SIM2L_WEB_"


def _parse(value: str, default):
    if isinstance(default, bool):
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(f"expected a boolean, not {value!r}")
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    return value


def derived_secret_key() -> str:
    """A cookie-signing key derived from the shared sim2l secret (never the secret itself)."""
    shared = load_secret_keys()[0].encode()
    return hmac.new(shared, b"sim2l-web cookie key", hashlib.sha256).hexdigest()


def load_config(overrides: dict | None = None) -> dict:
    """The effective configuration; an unknown override key is an error naming it."""
    config = dict(DEFAULTS)
    for key, (variable, default) in SERVICE_URL_ENVIRONMENT.items():
        config[key] = os.environ.get(variable) or default
    for key, default in DEFAULTS.items():
        raw = os.environ.get(ENV_PREFIX + key.upper())
        if raw is not None:
            try:
                config[key] = _parse(raw, default)
            except ValueError as error:
                raise ValueError(f"{ENV_PREFIX}{key.upper()}: {error}") from None
    unknown = set(overrides or {}) - set(config)
    if unknown:
        raise ValueError(f"unknown sim2l-web setting(s): {', '.join(sorted(unknown))}")
    config.update(overrides or {})
    for key in SERVICE_URL_ENVIRONMENT:
        config[key] = config[key].rstrip("/")
    if not config["sessions_url"]:
        config["sessions_url"] = config["results_url"]
    if not config["secret_key"]:
        config["secret_key"] = derived_secret_key()
    return config
