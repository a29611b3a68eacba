"""The shared skeleton of every sim2l service (distribution ``sim2l-service-kit``).

- ``create_service_app``: the app skeleton every service shares.
- ``require_privilege``, ``require_session``, ``public``, ``current_session``:
  authentication of requests.
- ``APIError`` and ``json_response``: answers in the shared JSON shapes.
- ``load_config``: layered configuration.
- ``format_timestamp``: the one timestamp format of every answer (RFC 3339, UTC, ``Z``).
- ``ServiceCommandLine``: ``serve`` and ``migrate``.
"""

from sim2l_sessions.timestamps import format_timestamp

from sim2l_service_kit.auth import current_session
from sim2l_service_kit.auth import public
from sim2l_service_kit.auth import require_privilege
from sim2l_service_kit.auth import require_session
from sim2l_service_kit.auth import route_privileges
from sim2l_service_kit.cli import ServiceCommandLine
from sim2l_service_kit.config import ConfigError
from sim2l_service_kit.config import load_config
from sim2l_service_kit.errors import APIError
from sim2l_service_kit.jsonio import json_response
from sim2l_service_kit.jsonio import raw_json_response
from sim2l_service_kit.jsonio import request_json
from sim2l_service_kit.service import create_service_app

__all__ = [
    "APIError",
    "ConfigError",
    "ServiceCommandLine",
    "create_service_app",
    "current_session",
    "format_timestamp",
    "json_response",
    "load_config",
    "public",
    "raw_json_response",
    "request_json",
    "require_privilege",
    "require_session",
    "route_privileges",
]
