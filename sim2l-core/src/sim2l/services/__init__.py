"""The seed's launchers: ``python -m sim2l.services.cache_service --backend sqlite --port 8001``.

Each launcher runs the real service's command line (``serve`` by default,
``migrate`` when asked) from its own distribution, which sim2l-core does not
depend on: a laptop that only runs simulations needs the clients, not the
servers. When the service is not installed the launcher says which
distribution to install instead of showing an ImportError.
"""

import importlib
import sys

# service -> (module with main(argv), distribution to install, default port)
SERVICES = {
    "cache": ("sim2l_cache_service.cli", "sim2l-cache-service", 8001),
    "catalog": ("sim2l_catalog_service.cli", "sim2l-catalog-service", 8002),
    "results": ("sim2l_results_service.cli", "sim2l-results-service", 8003),
    "web": ("sim2l_web.cli", "sim2l-web", 8000),
}


class ServiceNotInstalledError(ImportError):
    """The distribution of a service is not installed."""


def service_main(service: str):
    """The ``main(argv)`` of ``service``'s command line, or ``ServiceNotInstalledError``."""
    module_name, distribution, _ = SERVICES[service]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        # Only the service's own package missing means "not installed"; an
        # ImportError from inside an installed service is a real bug to show.
        if error.name and module_name.startswith(error.name):
            what = "dashboard" if service == "web" else f"{service} service"
            raise ServiceNotInstalledError(
                f"the sim2l {what} is not installed; install it with:\n"
                f"    pip install {distribution}\n"
                f"(or, from a source checkout: pip install -e ./{distribution})"
            ) from None
        raise
    return module.main


def launch(service: str, argv=None) -> int:
    """Run the service's command line with ``argv`` (default: this process's arguments)."""
    try:
        main = service_main(service)
    except ServiceNotInstalledError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return main(list(sys.argv[1:] if argv is None else argv)) or 0
