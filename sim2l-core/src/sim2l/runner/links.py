"""The runner's connections to the cache, catalog and results services.

Every call the runner makes to a service goes through ``ServiceLinks``, which
builds the clients from the settings (one client per URL and session, kept for
the process so connections stay open), and through ``guarded()``, so that a
service that is down, slow or refusing never fails a simulation: the error
becomes a warning, and a call that should have changed something is queued in
the outbox for ``sim2l sync``.

The publishing calls are ``ACTIONS``: functions of ``(links, payload)``, so
the runner and ``sync`` send exactly the same thing.
"""

import logging
import os
import threading

from sim2l_sessions.client_errors import ConflictError
from sim2l_sessions.client_errors import NotFoundError
from sim2l_sessions.client_errors import RateLimitedError
from sim2l_sessions.client_errors import ServerError
from sim2l_sessions.client_errors import ServiceConnectionError
from sim2l_sessions.client_errors import ServiceError

logger = logging.getLogger("sim2l.runner")

SERVICES = ("cache", "catalog", "results")
_DISTRIBUTIONS = {
    "cache": "sim2l-cache-client",
    "catalog": "sim2l-catalog-client",
    "results": "sim2l-results-client",
}

# Errors after which the service is not asked again during this run: it is
# down, overloaded or broken, and each further call would only add a timeout.
UNAVAILABLE_ERRORS = (ServiceConnectionError, ServerError, RateLimitedError)

_clients: dict = {}
_clients_lock = threading.Lock()
_simulation_ids: dict = {}


def service_timeout() -> tuple[float, float]:
    """(connect, read) timeout of the runner's service calls: ``SIM2L_SERVICE_TIMEOUT`` seconds."""
    read = float(os.environ.get("SIM2L_SERVICE_TIMEOUT") or 10)
    return (min(2.0, read), read)


def _client_class(service: str):
    try:
        if service == "cache":
            from sim2l_cache_client import CacheClient

            return CacheClient
        if service == "catalog":
            from sim2l_catalog_client import CatalogClient

            return CatalogClient
        from sim2l_results_client import ResultsClient

        return ResultsClient
    except ImportError as error:
        raise ImportError(
            f"the {service} service is configured but its client is not installed: "
            f"pip install {_DISTRIBUTIONS[service]}"
        ) from error


_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def _stop_rereading_environment(client) -> None:
    """Make ``requests`` read its environment once, not on every call.

    requests looks up proxy and CA bundle variables on every request (about
    1 ms each here, most of a cache hit's budget). Without proxy variables
    the answer never changes, so the CA bundle, if any, is set once instead.
    """
    if any(name.lower() in _PROXY_VARIABLES for name in os.environ):
        return
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    client.http.trust_env = False
    if bundle:
        client.http.verify = bundle


def make_client(service: str, url: str, session_id: str | None, run_db_base_path, timeout=None):
    """A client for ``service`` at ``url``, shared by every run of this process."""
    timeout = timeout or service_timeout()
    key = (service, url, session_id, str(run_db_base_path), timeout)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            cls = _client_class(service)
            options = {"session_id": session_id, "timeout": timeout, "retries": 0}
            if service == "results":
                options["run_db_base_path"] = str(run_db_base_path)
            client = _clients[key] = cls(url, **options)
            _stop_rereading_environment(client)
        return client


def forget_clients() -> None:
    """Close and forget every cached client (tests, or after the services moved)."""
    with _clients_lock:
        for client in _clients.values():
            client.close()
        _clients.clear()
        _simulation_ids.clear()


def _drop_inherited_clients() -> None:
    """In a forked child (a sweep's process pool): never reuse the parent's connections.

    Parent and child would otherwise write to the same kept-alive sockets and
    read each other's answers. The clients are dropped, not closed: closing
    would close the parent's connections too.
    """
    global _clients_lock
    _clients_lock = threading.Lock()  # the parent may have held it while forking
    _clients.clear()


os.register_at_fork(after_in_child=_drop_inherited_clients)


def describe_error(error: BaseException) -> str:
    """One line saying what went wrong with a service call."""
    if isinstance(error, ServiceError):
        return str(error)
    return f"{error.__class__.__name__}: {error}"


class ServiceLinks:
    """The configured services of one run, and what went wrong with them during it."""

    def __init__(self, settings, timeout=None, unavailable: dict | None = None):
        self.settings = settings
        self.timeout = timeout
        self.urls = {
            "cache": settings.cache_service_url,
            "catalog": settings.catalog_service_url,
            "results": settings.results_service_url,
        }
        self.sessions = {
            "cache": settings.cache_session_id,
            "catalog": settings.catalog_session_id,
            "results": settings.results_session_id,
        }
        # Services found down: shared between the links of many runs (a sweep),
        # so a down service costs one timeout, not one per point.
        self.unavailable: dict[str, str] = {} if unavailable is None else unavailable
        self.warnings: list[str] = []

    def configured(self, service: str) -> bool:
        """Whether a URL is set for ``service``."""
        return bool(self.urls[service])

    def client(self, service: str):
        """The client of a configured service."""
        return make_client(
            service,
            self.urls[service],
            self.sessions[service],
            self.settings.run_db_base_path,
            self.timeout,
        )

    def warn(self, message: str) -> None:
        """Record a warning for the run's result and log it."""
        self.warnings.append(message)
        logger.warning(message)

    def guarded(self, service: str, what: str, call):
        """``call(client)``; on any failure a warning, ``None``, and the error returned second."""
        if service in self.unavailable:
            return None, self.unavailable[service]
        try:
            return call(self.client(service)), None
        except (ServiceError, OSError, ImportError, ValueError) as error:
            message = describe_error(error)
            if isinstance(error, UNAVAILABLE_ERRORS + (OSError, ImportError)):
                self.unavailable[service] = message
            self.warn(f"{service} service: {what} failed: {message}")
            return None, message

    # The catalog's id of a simulation, looked up once per process.

    def simulation_id(self, simulation: dict, auto_sync: bool):
        """The catalog id of ``simulation`` (name, version, ...), registering it when allowed."""
        key = (self.urls["catalog"], simulation["name"], simulation["version"])
        if key in _simulation_ids:
            return _simulation_ids[key]
        catalog = self.client("catalog")
        try:
            found = catalog.get_simulation(simulation["name"], simulation["version"])
        except NotFoundError:
            found = None
        if not found:
            if not auto_sync:
                raise NotFoundError(
                    f"simulation {simulation['name']} {simulation['version']} is not in the "
                    "catalog (register it, or configure(catalog_auto_sync=True))"
                )
            try:
                found = catalog.register_simulation(
                    name=simulation["name"],
                    version=simulation["version"],
                    description=simulation.get("description") or "",
                    tags=simulation.get("tags") or [],
                    schema=simulation.get("schema") or {},
                )
            except ConflictError:  # registered meanwhile by someone else
                found = catalog.get_simulation(simulation["name"], simulation["version"])
        _simulation_ids[key] = found["id"]
        return found["id"]


# ---------------------------------------------------------------- actions


def _record_execution(links: ServiceLinks, payload: dict):
    simulation_id = links.simulation_id(payload["simulation"], payload.get("auto_sync", False))
    try:
        return links.client("catalog").record_execution(
            simulation_id=simulation_id,
            execution_id=payload["execution_id"],
            status=payload["status"],
            duration_seconds=payload.get("duration_seconds"),
        )
    except ConflictError:
        return None  # recorded already (say, by an earlier sync): nothing left to do


def _register_result(links: ServiceLinks, payload: dict):
    try:
        return links.client("results").register_result(payload["execution_id"])
    except ConflictError:
        return None


def _cache_set(links: ServiceLinks, payload: dict):
    simulation = payload["simulation"]
    # The cache groups entries by the catalog's id. Without a catalog (or
    # when it cannot answer now) the entry is stored under id 0, "not in a
    # catalog": it is still a valid cache entry for its key.
    simulation_id = 0
    if links.configured("catalog") and "catalog" not in links.unavailable:
        try:
            simulation_id = links.simulation_id(simulation, auto_sync=False)
        except (ServiceError, OSError):
            simulation_id = 0
    return links.client("cache").set(
        cache_key=payload["cache_key"],
        simulation_id=simulation_id,
        simulation_name=simulation["name"],
        simulation_version=simulation["version"],
        execution_id=payload["execution_id"],
        squid_id=payload.get("squid_id") or payload["cache_key"],
        input_hash=payload["input_hash"],
        run_db_path=payload["run_db_path"],
        result_id=payload.get("result_id"),
        metadata=payload.get("metadata"),
    )


ACTIONS = {
    ("catalog", "record_execution"): _record_execution,
    ("results", "register_result"): _register_result,
    ("cache", "set"): _cache_set,
}
