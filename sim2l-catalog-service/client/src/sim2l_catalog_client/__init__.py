"""``CatalogClient`` for the sim2l catalog service, and the errors it raises."""

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

from sim2l_catalog_client.client import CatalogClient

__all__ = [
    "CatalogClient",
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
]
