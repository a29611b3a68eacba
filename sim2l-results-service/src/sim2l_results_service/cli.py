"""``sim2l-results-service serve|migrate`` (flags alone mean serve)."""

from sim2l_service_kit import ServiceCommandLine

from sim2l_results_service.config import PORT


def main(argv=None) -> int:
    """Run the command line."""
    return ServiceCommandLine(
        "results", "sim2l_results_service.app:create_app", "sim2l_results_service.migrations", PORT
    ).main(argv)
