"""``CacheClient`` for the sim2l cache service, and the errors it raises.

Installs with ``requests`` and ``sim2l-sessions`` only.
"""

from sim2l_sessions.client_errors import ConflictError
from sim2l_sessions.client_errors import ForbiddenError
from sim2l_sessions.client_errors import InvalidRequestError
from sim2l_sessions.client_errors import NotFoundError
from sim2l_sessions.client_errors import PayloadTooLargeError
from sim2l_sessions.client_errors import RateLimitedError
from sim2l_sessions.client_errors import ServerError
from sim2l_sessions.client_errors import ServiceConnectionError
from sim2l_sessions.client_errors import ServiceError
from sim2l_sessions.client_errors import ServiceUnavailableError
from sim2l_sessions.client_errors import UnauthenticatedError

from sim2l_cache_client.client import CacheClient
from sim2l_cache_client.client import key_path

__all__ = [
    "CacheClient",
    "ConflictError",
    "ForbiddenError",
    "InvalidRequestError",
    "NotFoundError",
    "PayloadTooLargeError",
    "RateLimitedError",
    "ServerError",
    "ServiceConnectionError",
    "ServiceError",
    "ServiceUnavailableError",
    "UnauthenticatedError",
    "key_path",
]
