"""Server-side helpers for sim2l services (install ``sim2l-sessions[flask]``).

- ``create_service_app``: the app skeleton every service shares.
- ``require_privilege``, ``require_session``, ``public``, ``current_session``:
  authentication of requests.
- ``APIError`` and ``json_response``: answers in the shared JSON shapes.
- ``load_config``: layered configuration.
- ``ServiceCommandLine``: ``serve`` and ``migrate``.
"""

from sim2l_sessions.web.auth import current_session
from sim2l_sessions.web.auth import public
from sim2l_sessions.web.auth import require_privilege
from sim2l_sessions.web.auth import require_session
from sim2l_sessions.web.auth import route_privileges
from sim2l_sessions.web.cli import ServiceCommandLine
from sim2l_sessions.web.config import ConfigError
from sim2l_sessions.web.config import load_config
from sim2l_sessions.web.errors import APIError
from sim2l_sessions.web.jsonio import json_response
from sim2l_sessions.web.jsonio import raw_json_response
from sim2l_sessions.web.jsonio import request_json
from sim2l_sessions.web.service import create_service_app

__all__ = [
    "APIError",
    "ConfigError",
    "ServiceCommandLine",
    "create_service_app",
    "current_session",
    "json_response",
    "load_config",
    "public",
    "raw_json_response",
    "request_json",
    "require_privilege",
    "require_session",
    "route_privileges",
]
