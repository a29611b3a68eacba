"""``ResultsClient``: register runs with the sim2l results service and search them by value."""

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

from sim2l_results_client.client import ResultsClient

__all__ = [
    "ConflictError",
    "ForbiddenError",
    "InvalidRequestError",
    "NotFoundError",
    "PayloadTooLargeError",
    "RateLimitedError",
    "ResultsClient",
    "ServerError",
    "ServiceConnectionError",
    "ServiceError",
    "ServiceUnavailableError",
    "UnauthenticatedError",
]
