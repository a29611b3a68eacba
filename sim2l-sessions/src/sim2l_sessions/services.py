"""The one table of sim2l services: name, default port, distribution, package.

Everything else is derived from it, so a service's identity is written once:
its migrations package, its app factory, its command line module, its
command's name. The services themselves, their clients, sim2l-core's
launchers and ``sim2l services up`` read their defaults here; it lives in
sim2l-sessions because that is the one package all of them install.
"""

import dataclasses
import os


@dataclasses.dataclass(frozen=True)
class ServiceInfo:
    """One sim2l service: its short name, default port, distribution and package."""

    name: str
    port: int
    distribution: str
    package: str
    # ``module:function`` of the app factory when it is not ``<package>.app:create_app``.
    factory: str = ""

    @property
    def migrations_package(self) -> str:
        """The package holding the service's numbered migrations."""
        return f"{self.package}.migrations"

    @property
    def app_factory(self) -> str:
        """``module:function`` of the app factory (gunicorn's ``APP``)."""
        return self.factory or f"{self.package}.app:create_app"

    @property
    def cli_module(self) -> str:
        """The module whose ``main(argv)`` runs ``serve`` and ``migrate``."""
        return f"{self.package}.cli"

    @property
    def command(self) -> str:
        """The console command (``sim2l-cache-service``): the distribution's name."""
        return self.distribution

    @property
    def default_url(self) -> str:
        """Where the service answers on this machine by default."""
        return f"http://127.0.0.1:{self.port}"


CACHE = ServiceInfo("cache", 8001, "sim2l-cache-service", "sim2l_cache_service")
CATALOG = ServiceInfo("catalog", 8002, "sim2l-catalog-service", "sim2l_catalog_service")
RESULTS = ServiceInfo("results", 8003, "sim2l-results-service", "sim2l_results_service")

SERVICES: dict[str, ServiceInfo] = {info.name: info for info in (CACHE, CATALOG, RESULTS)}

# The dashboard: served like a service (same launcher, its own port) but it has
# no database of its own and reads the three services through their clients.
WEB = ServiceInfo("web", 8000, "sim2l-web", "sim2l_web")

# Everything sim2l serves over HTTP: the services and the dashboard.
SERVED: dict[str, ServiceInfo] = {**SERVICES, WEB.name: WEB}


# Values of SIM2L_ACCESS_LOG that turn request lines off.
_ACCESS_LOG_OFF = ("", "off", "0", "false", "no")


def access_log_enabled(default: bool, environ=None) -> bool:
    """Whether ``SIM2L_ACCESS_LOG`` asks a sim2l server for one line per request.

    One switch for every server: ``off`` (or empty, ``0``, ``false``,
    ``no``) turns the lines off, any other value on; unset gives ``default``
    (on for the services, off for the dashboard, whose pages load many assets).
    """
    value = (os.environ if environ is None else environ).get("SIM2L_ACCESS_LOG")
    if value is None:
        return default
    return value.strip().lower() not in _ACCESS_LOG_OFF
