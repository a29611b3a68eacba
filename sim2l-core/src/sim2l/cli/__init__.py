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

Every listing prints a table, or JSON with ``--json``.
"""

import argparse
import sys

from sim2l.cli import commands
from sim2l.cli import results_export
from sim2l.cli import sweep_command


def parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    json_flag = argparse.ArgumentParser(add_help=False)
    json_flag.add_argument("--json", action="store_true", help="print JSON instead of a table")

    top = argparse.ArgumentParser(prog="sim2l", description="Run, cache and search simulations.")
    sub = top.add_subparsers(dest="command", required=True)

    services = sub.add_parser("services", help="start, stop or check the local services")
    services_sub = services.add_subparsers(dest="action", required=True)
    up = services_sub.add_parser(
        "up", help="start the three services and the dashboard (sim2l-web) under gunicorn"
    )
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--cache-port", type=int, default=8001)
    up.add_argument("--catalog-port", type=int, default=8002)
    up.add_argument("--results-port", type=int, default=8003)
    up.add_argument("--web-port", type=int, default=8000, help="the dashboard's port")
    up.add_argument("--no-web", action="store_true", help="do not start the dashboard")
    up.add_argument("--workers", type=int, default=2)
    services_sub.add_parser("down", help="stop the services `up` started")
    services_sub.add_parser("status", help="show the local services", parents=[json_flag])

    sub.add_parser("list", help="declared and installed simulations", parents=[json_flag])

    run = sub.add_parser("run", help="run a simulation", parents=[json_flag])
    run.add_argument("name")
    run.add_argument("inputs", nargs="*", metavar="key=value")
    run.add_argument("--version", dest="sim_version", default=None)
    run.add_argument("--no-cache", action="store_true", help="execute even when cached")

    sweep_command.add_parser(sub, json_flag)

    runs = sub.add_parser("runs", help="runs recorded on this machine")
    runs_sub = runs.add_subparsers(dest="action", required=True)
    runs_list = runs_sub.add_parser("list", help="recent runs", parents=[json_flag])
    runs_list.add_argument("--limit", type=int, default=20)
    runs_list.add_argument("--simulation", default=None)
    runs_show = runs_sub.add_parser("show", help="one run in detail", parents=[json_flag])
    runs_show.add_argument("execution_id")

    results = sub.add_parser("results", help="search the results service")
    results_sub = results.add_subparsers(dest="action", required=True)
    search = results_sub.add_parser("search", help="runs by parameter values", parents=[json_flag])
    search.add_argument("simulation")
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
    search.add_argument("--limit", type=int, default=50)
    stats = results_sub.add_parser("stats", help="statistics of one parameter", parents=[json_flag])
    stats.add_argument("simulation")
    stats.add_argument("parameter")
    stats.add_argument("--class", dest="param_class", choices=["input", "output"], default="output")
    results_export.add_parser(results_sub)

    catalog = sub.add_parser("catalog", help="search the catalog")
    catalog_sub = catalog.add_subparsers(dest="action", required=True)
    catalog_search = catalog_sub.add_parser(
        "search", help="simulations by text and tags", parents=[json_flag]
    )
    catalog_search.add_argument("query", nargs="?", default=None)
    catalog_search.add_argument("--tag", action="append", default=[])
    catalog_show = catalog_sub.add_parser(
        "show", help="one simulation and its statistics", parents=[json_flag]
    )
    catalog_show.add_argument("name")
    catalog_show.add_argument("version", nargs="?", default=None)

    sub.add_parser(
        "sync", help="send the calls queued while a service was down", parents=[json_flag]
    )
    return top


def main(argv=None) -> int:
    """Entry point of the ``sim2l`` console script."""
    args = parser().parse_args(argv)
    try:
        return commands.dispatch(args) or 0
    except KeyboardInterrupt:
        return 130
    except commands.CommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
