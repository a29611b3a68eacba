"""``sim2l-catalog-service serve|migrate`` (flags alone mean ``serve``)."""

from sim2l_service_kit import ServiceCommandLine

DEFAULT_PORT = 8002


def main(argv=None) -> int:
    """Run the catalog service's command line."""
    command_line = ServiceCommandLine(
        "catalog",
        "sim2l_catalog_service.app:create_app",
        "sim2l_catalog_service.migrations",
        DEFAULT_PORT,
    )
    return command_line.main(argv)
