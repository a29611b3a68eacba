"""The errors a ``sim2l`` command reports, and the exit status of each kind.

Every command exits with one of these, so a script can tell them apart:

====  ==========================================================================
0     done
1     done, but something failed (a run failed, a service refused the request)
2     the command line is wrong (unknown command or option, a bad value)
3     a service is unreachable or unhealthy
4     what was asked for does not exist (a run, a simulation, a result)
5     not allowed: no valid session, or a session without the privilege
130   interrupted (Ctrl-C)
141   the output's reader went away (``| head``), as for a tool SIGPIPE stops
====  ==========================================================================
"""

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
EXIT_NOT_FOUND = 4
EXIT_NOT_ALLOWED = 5
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a C tool it stopped

EXIT_CODES_HELP = """exit status:
  0    done
  1    done, but something failed (a run failed, a service refused the request)
  2    the command line is wrong
  3    a service is unreachable or unhealthy
  4    what was asked for does not exist
  5    not allowed (no valid session, or a missing privilege)
  130  interrupted
  141  the output's reader went away (| head)"""


class CommandError(Exception):
    """A command that cannot do what was asked; the message says why.

    ``exit_code`` is one of the ``EXIT_*`` statuses above (default 1).
    """

    def __init__(self, message: str, exit_code: int = EXIT_FAILED):
        super().__init__(message)
        self.exit_code = exit_code


class UsageError(CommandError):
    """The command line is wrong (a bad value, a malformed filter); exits with status 2."""

    def __init__(self, message: str):
        super().__init__(message, EXIT_USAGE)


def exit_code_for_service_error(error) -> int:
    """The exit status for an exception a service client raised."""
    from sim2l_sessions.client_errors import ForbiddenError
    from sim2l_sessions.client_errors import NotFoundError
    from sim2l_sessions.client_errors import ServiceConnectionError
    from sim2l_sessions.client_errors import ServiceUnavailableError
    from sim2l_sessions.client_errors import UnauthenticatedError
    from sim2l_sessions.client_errors import WrongServiceError

    if isinstance(error, (ServiceConnectionError, ServiceUnavailableError, WrongServiceError)):
        return EXIT_UNAVAILABLE
    if isinstance(error, NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(error, (UnauthenticatedError, ForbiddenError)):
        return EXIT_NOT_ALLOWED
    return EXIT_FAILED
