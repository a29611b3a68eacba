"""``sim2l-catalog-service serve|migrate`` (flags alone mean ``serve``)."""

from sim2l_service_kit import ServiceCommandLine

from sim2l_catalog_service.config import SERVICE

command_line = ServiceCommandLine(SERVICE)


def main(argv=None) -> int:
    """Run the catalog service's command line."""
    return command_line.main(argv)
