"""The ``sim2l`` command line.

::

    sim2l services up|down|status        the three services and the dashboard on this machine
    sim2l list                           declared and installed simulations
    sim2l run NAME key=value ...         run a simulation (or re-use its cached result)
    sim2l sweep NAME t=300:450:16 m=a,b  every combination, here, on --workers N or --scheduler
    sim2l runs list | show ID            runs recorded on this machine
    sim2l results search NAME --input 'temperature>300' --output 'max_stress<2e8'
    sim2l results stats NAME PARAM       count, min, max, average of a parameter
    sim2l results export NAME --where 'temperature>300' --format csv|parquet|json --output FILE
    sim2l catalog search [QUERY] --tag T simulations in the catalog
    sim2l sync                           send what could not be sent when a service was down
    sim2l login USERNAME | logout | whoami   a session kept for every later command

Every listing prints a table, or JSON with ``--json``. The exit status says
what happened (``sim2l.cli.errors``): 0 done, 1 failed, 2 bad command line,
3 service unavailable, 4 not found, 5 not allowed, 130 interrupted.
"""

import argparse
import importlib.metadata
import os
import sys

from sim2l_sessions.services import SERVICES
from sim2l_sessions.services import WEB

from sim2l.cli import commands
from sim2l.cli import login
from sim2l.cli import results_export
from sim2l.cli import sweep_command
from sim2l.cli.errors import EXIT_BROKEN_PIPE
from sim2l.cli.errors import EXIT_CODES_HELP
from sim2l.cli.errors import EXIT_INTERRUPTED


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def port(text: str) -> int:
    """An argparse type: a TCP port number."""
    value = positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is at most 65535, not {value}")
    return value


def _version() -> str:
    try:
        return importlib.metadata.version("sim2l-core")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    json_flag = argparse.ArgumentParser(add_help=False)
    json_flag.add_argument("--json", action="store_true", help="print JSON instead of a table")

    top = argparse.ArgumentParser(
        prog="sim2l",
        description="Run, cache and search simulations.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--version", action="version", version=f"sim2l {_version()}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    services = sub.add_parser("services", help="start, stop or check the local services")
    services_sub = services.add_subparsers(dest="action", required=True)
    up = services_sub.add_parser(
        "up", help="start the three services and the dashboard (sim2l-web) under gunicorn"
    )
    up.add_argument(
        "--host", default="127.0.0.1", help="address the services listen on (default 127.0.0.1)"
    )
    for name, info in SERVICES.items():
        up.add_argument(
            f"--{name}-port", type=port, default=info.port, help=f"the {name}'s port ({info.port})"
        )
    up.add_argument(
        "--web-port", type=port, default=WEB.port, help=f"the dashboard's port ({WEB.port})"
    )
    up.add_argument("--no-web", action="store_true", help="do not start the dashboard")
    up.add_argument(
        "--workers", type=positive_int, default=2, help="gunicorn workers per service (2)"
    )
    services_sub.add_parser("down", help="stop the services `up` started", parents=[json_flag])
    services_sub.add_parser("status", help="show the local services", parents=[json_flag])

    sub.add_parser("list", help="declared and installed simulations", parents=[json_flag])

    run = sub.add_parser("run", help="run a simulation", parents=[json_flag])
    run.add_argument("name", help="the simulation's name (see `sim2l list`)")
    run.add_argument("inputs", nargs="*", metavar="key=value", help="input values")
    run.add_argument(
        "--version", dest="sim_version", default=None, help="the simulation's version (latest)"
    )
    run.add_argument("--no-cache", action="store_true", help="execute even when cached")

    sweep_command.add_parser(sub, json_flag)

    runs = sub.add_parser("runs", help="runs recorded on this machine")
    runs_sub = runs.add_subparsers(dest="action", required=True)
    runs_list = runs_sub.add_parser("list", help="recent runs", parents=[json_flag])
    runs_list.add_argument(
        "--limit", type=positive_int, default=20, help="how many runs, newest first (20)"
    )
    runs_list.add_argument("--simulation", default=None, help="only runs of this simulation")
    runs_show = runs_sub.add_parser("show", help="one run in detail", parents=[json_flag])
    runs_show.add_argument("execution_id", help="the run's execution id")

    results = sub.add_parser("results", help="search the results service")
    results_sub = results.add_subparsers(dest="action", required=True)
    search = results_sub.add_parser("search", help="runs by parameter values", parents=[json_flag])
    search.add_argument("simulation", help="the simulation's name")
    search.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="EXPR",
        help="an input filter: name=value, name>value, name<=value, ...",
    )
    search.add_argument(
        "--output",
        action="append",
        default=[],
        metavar="EXPR",
        help="an output filter, like --input",
    )
    search.add_argument("--limit", type=positive_int, default=50, help="most runs to show (50)")
    stats = results_sub.add_parser("stats", help="statistics of one parameter", parents=[json_flag])
    stats.add_argument("simulation", help="the simulation's name")
    stats.add_argument("parameter", help="an input or output name")
    stats.add_argument(
        "--class",
        dest="param_class",
        choices=["input", "output"],
        default=None,
        help="whether PARAMETER is an input or an output (default: whichever the "
        "simulation declares; needed only when it has both)",
    )
    results_export.add_parser(results_sub)

    catalog = sub.add_parser("catalog", help="search the catalog")
    catalog_sub = catalog.add_subparsers(dest="action", required=True)
    catalog_search = catalog_sub.add_parser(
        "search", help="simulations by text and tags", parents=[json_flag]
    )
    catalog_search.add_argument("query", nargs="?", default=None, help="text to look for")
    catalog_search.add_argument(
        "--tag", action="append", default=[], help="a tag the simulations must have (repeatable)"
    )
    catalog_search.add_argument(
        "--limit", type=positive_int, default=50, help="most versions to show, best first (50)"
    )
    catalog_show = catalog_sub.add_parser(
        "show", help="one simulation and its statistics", parents=[json_flag]
    )
    catalog_show.add_argument("name", help="the simulation's name")
    catalog_show.add_argument("version", nargs="?", default=None, help="a version (the latest)")

    sub.add_parser(
        "sync", help="send the calls queued while a service was down", parents=[json_flag]
    )

    login_parser = sub.add_parser(
        "login", help="log in and keep the session for later commands", parents=[json_flag]
    )
    login_parser.add_argument("username", help="a sim2l user")
    login_parser.add_argument(
        "--url",
        default=None,
        help="any sim2l service to log in at (default SIM2L_SESSIONS_URL, else this machine)",
    )
    login_parser.add_argument(
        "--ttl-hours", type=float, default=None, help="how long the session lasts"
    )
    login_parser.set_defaults(handler=login.login)
    sub.add_parser("logout", help="end the kept session everywhere").set_defaults(
        handler=login.logout
    )
    sub.add_parser(
        "whoami", help="who the kept session is, and whether it is valid", parents=[json_flag]
    ).set_defaults(handler=login.whoami)
    return top


def main(argv=None) -> int:
    """Entry point of the ``sim2l`` console script."""
    try:
        return _run(argv)
    except BrokenPipeError:
        return _reader_went_away()


def _run(argv) -> int:
    try:
        args = parser().parse_args(argv)
        return commands.dispatch(args) or 0
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except commands.CommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    finally:
        # Output to a pipe is buffered: a reader that went away shows here,
        # where ``main`` handles it, rather than in the interpreter's flush
        # at exit (status 120), whatever the output's size.
        sys.stdout.flush()


def _reader_went_away() -> int:
    """Stop quietly when what reads our output closed it (``sim2l runs list | head``).

    Python ignores SIGPIPE, so a write to a closed pipe raises instead of
    ending the process as it ends a C tool. Standard output is pointed at
    /dev/null so that the interpreter's own flush at exit does not raise again,
    and the exit status is the one a shell reports for a tool SIGPIPE stopped.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_BROKEN_PIPE
