"""The three services, reached only through their clients, with the signed-in user's token.

One client of each kind per request (``cache()``, ``catalog()``,
``results()``), built lazily and closed when the request ends. A service that
cannot be reached raises the client's ``ServiceConnectionError`` (or
``ServiceUnavailableError``); the error pages name the service from the
error's URL and say what still works.
"""

from flask import current_app
from flask import g
from flask import session
from sim2l_cache_client import CacheClient
from sim2l_catalog_client import CatalogClient
from sim2l_results_client import ResultsClient
from sim2l_sessions.client_errors import ServiceConnectionError
from sim2l_sessions.client_errors import ServiceError
from sim2l_sessions.client_errors import ServiceUnavailableError

_CLIENT_CLASSES = {"cache": CacheClient, "catalog": CatalogClient, "results": ResultsClient}


def service_url(service: str) -> str:
    """The configured base URL of ``service`` (cache, catalog or results)."""
    return current_app.config["SIM2L_WEB"][f"{service}_url"]


def token() -> str | None:
    """The signed-in user's session token, or None."""
    return session.get("token")


def _client(service: str):
    clients = g.setdefault("sim2l_clients", {})
    if service not in clients:
        config = current_app.config["SIM2L_WEB"]
        # One retry at most: a page waiting on a dead service should fail in
        # seconds and say so, not back off for half a minute.
        clients[service] = _CLIENT_CLASSES[service](
            service_url(service),
            session_id=token(),
            timeout=(config["connect_timeout"], config["read_timeout"]),
            retries=1,
        )
    return clients[service]


def cache() -> CacheClient:
    """The cache client of this request."""
    return _client("cache")


def catalog() -> CatalogClient:
    """The catalog client of this request."""
    return _client("catalog")


def results() -> ResultsClient:
    """The results client of this request."""
    return _client("results")


def close_clients(_error=None) -> None:
    """Close this request's clients (teardown)."""
    for client in g.pop("sim2l_clients", {}).values():
        client.close()


def service_of(error: ServiceError) -> str:
    """Which configured service a client error came from (by its URL), or "a service"."""
    for service in _CLIENT_CLASSES:
        if error.url and error.url.startswith(service_url(service) + "/"):
            return service
    return "a service"


def is_down(error: Exception) -> bool:
    """Whether a client error means the service is unreachable or unavailable."""
    return isinstance(error, (ServiceConnectionError, ServiceUnavailableError))


def attempt(call, *args, **kwargs):
    """``(answer, None)``, or ``(None, service name)`` when that service is down.

    For pages that show what still works when one service is down.
    """
    try:
        return call(*args, **kwargs), None
    except (ServiceConnectionError, ServiceUnavailableError) as error:
        return None, service_of(error)
