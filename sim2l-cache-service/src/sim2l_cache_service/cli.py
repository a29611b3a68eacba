"""``sim2l-cache-service serve|migrate``: the shared service command line.

``sim2l-cache-service serve --backend sqlite --port 8001``,
``sim2l-cache-service serve --backend postgresql --db-url postgresql://... --port 8001``,
``sim2l-cache-service migrate --db-url ...``; flags alone mean ``serve``, as the
seed's ``python -m sim2l.services.cache_service --backend sqlite --port 8001``.
"""

from sim2l_service_kit import ServiceCommandLine

from sim2l_cache_service.config import SERVICE

command_line = ServiceCommandLine(SERVICE)


def main(argv=None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``)."""
    return command_line.main(argv)
