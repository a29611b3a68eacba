"""``sim2l-results-service serve|migrate`` (flags alone mean serve)."""

from sim2l_service_kit import ServiceCommandLine

from sim2l_results_service.config import SERVICE

command_line = ServiceCommandLine(SERVICE)


def main(argv=None) -> int:
    """Run the command line."""
    return command_line.main(argv)
