"""``sim2l sweep``: run a simulation over a grid of inputs, here, in local processes or on Dask.

::

    sim2l sweep thermal_sim temperature=300:450:16 material=steel,copper --workers 2
    sim2l sweep thermal_sim temperature=300,350 --scheduler tcp://dask-scheduler:8786 --json

Each ``name=...`` gives the values of one input: ``START:STOP:COUNT`` is COUNT
evenly spaced numbers from START to STOP, both included (``300:450:16`` is 300,
310, ..., 450); ``a,b,c`` a list; a single value fixes the input. The sweep
runs every combination.
"""

import math
import sys

from sim2l.cli import output
from sim2l.cli.commands import split_input
from sim2l.cli.commands import typed_value
from sim2l.cli.context import configure_from_local_services
from sim2l.cli.errors import EXIT_INTERRUPTED
from sim2l.cli.errors import EXIT_NOT_FOUND
from sim2l.cli.errors import CommandError
from sim2l.cli.errors import UsageError

# The most points one ``sim2l sweep`` runs. Each point is a run file and a row
# in the table printed at the end; past this a typo in COUNT
# (``300:450:1000000000``) would build its grid until memory ran out.
MAX_POINTS = 100_000


def add_parser(subparsers, json_flag) -> None:
    """Declare ``sim2l sweep`` among the ``sim2l`` commands."""
    sweep = subparsers.add_parser(
        "sweep",
        help="run a simulation over a grid of inputs",
        parents=[json_flag],
        description=(
            "Run every combination of the given input values. name=START:STOP:COUNT is COUNT "
            "evenly spaced numbers from START to STOP (both included), name=a,b,c a list, "
            "name=value one value."
        ),
    )
    sweep.add_argument("name", help="the simulation's name (see `sim2l list`)")
    sweep.add_argument(
        "axes", nargs="+", metavar="name=values", help="START:STOP:COUNT, a,b,c or one value"
    )
    sweep.add_argument(
        "--version", dest="sim_version", default=None, help="the simulation's version (latest)"
    )
    where = sweep.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None, help="run in N local processes")
    where.add_argument(
        "--scheduler", default=None, metavar="ADDRESS", help="run on this Dask scheduler"
    )
    sweep.add_argument("--no-cache", action="store_true", help="execute even when cached")
    sweep.set_defaults(handler=run)


def linspace(start: float, stop: float, count: int) -> list[float]:
    """``count`` evenly spaced numbers from ``start`` to ``stop``, both included."""
    if count == 1:
        return [start]
    step = (stop - start) / (count - 1)
    # The last value is ``stop`` itself, not start + step * (count - 1) with its rounding.
    return [start + step * index for index in range(count - 1)] + [stop]


def _range_values(simulation, name: str, raw: str) -> list:
    start_text, stop_text, count_text = raw.split(":")
    spec = simulation.inputs[name]
    try:
        start, stop = float(start_text), float(stop_text)
        count = int(count_text)
    except ValueError:
        raise UsageError(
            f"{name}={raw}: a range is START:STOP:COUNT with numbers and a whole COUNT"
        ) from None
    if not 1 <= count <= MAX_POINTS:
        raise UsageError(f"{name}={raw}: COUNT must be 1 to {MAX_POINTS:,}")
    values = linspace(start, stop, count)
    if spec.type == "integer":
        if any(not value.is_integer() for value in values):
            raise UsageError(
                f"{name}={raw}: {name} is an integer, and these {count} values from "
                f"{start_text} to {stop_text} are not all whole numbers",
            )
        return [int(value) for value in values]
    return values


def parse_axis(simulation, text: str) -> tuple[str, list]:
    """``temperature=300:450:16`` or ``material=steel,copper`` -> (name, typed values)."""
    name, spec, raw = split_input(simulation, text)
    if spec.type in ("list", "dict"):
        return name, [typed_value(name, spec, raw)]  # one JSON value: its commas are its own
    if spec.type in ("number", "integer") and raw.count(":") == 2:
        return name, _range_values(simulation, name, raw)
    if raw == "":
        raise UsageError(f"{name}= gives no value")
    return name, [typed_value(name, spec, item) for item in raw.split(",")]


def _dask_client(address: str):
    try:
        from distributed import Client
    except ImportError:
        raise CommandError(
            "--scheduler needs Dask's distributed package: pip install 'sim2l-core[dask]'"
        ) from None
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError) as error:
        raise CommandError(f"cannot reach the Dask scheduler at {address}: {error}") from None


def _print_table(simulation, results, axes: list[str]) -> None:
    rows = []
    for result in results:
        row = {name: result.inputs.get(name) for name in axes}
        row["status"] = "cached" if result.from_cache else result.status
        row.update(result.outputs)
        row["execution"] = result.execution_id
        rows.append(row)
    columns = [*axes, "status", *simulation.outputs, "execution"]
    output.table(rows, columns)


def run(args) -> int:
    """Run the sweep the arguments describe and print its results."""
    from sim2l.runner import InputValidationError
    from sim2l.runner import SimulationNotFoundError
    from sim2l.runner import load
    from sim2l.runner import sweep

    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1")
    try:
        simulation = load(args.name, args.sim_version)
    except SimulationNotFoundError as error:
        raise CommandError(str(error), EXIT_NOT_FOUND) from None
    grid = {}
    for text in args.axes:
        name, values = parse_axis(simulation, text)
        if name in grid:
            raise UsageError(f"input {name!r} is given twice")
        grid[name] = values
    points = math.prod(len(values) for values in grid.values())
    if points > MAX_POINTS:
        raise UsageError(
            f"this grid has {points:,} points, more than the {MAX_POINTS:,} a sweep from the "
            "command line runs: split it, or call sim2l.sweep(..., points=...) from Python",
        )
    configure_from_local_services()
    client = _dask_client(args.scheduler) if args.scheduler else None
    try:
        results = sweep(
            simulation,
            grid=grid,
            workers=args.workers,
            executor=client,
            use_cache=not args.no_cache,
        )
    except InputValidationError as error:
        raise UsageError(str(error)) from None
    finally:
        if client is not None:
            client.close()
    failed = [result for result in results if not result.ok]
    if args.json:
        output.as_json(
            {
                "simulation": simulation.name,
                "version": simulation.version,
                "points": len(results) + len(results.not_run),
                "done": len(results),
                "cached": sum(result.from_cache for result in results),
                "failed": len(failed),
                "interrupted": results.interrupted,
                "not_run": results.not_run,
                "results": [result.to_dict() for result in results],
            }
        )
    else:
        _print_table(simulation, results, list(grid))
        for result in failed:
            print(f"error: {result.inputs}: {result.error}", file=sys.stderr)
    if results.interrupted:
        output.warn(f"interrupted: {len(results.not_run)} point(s) not run")
        return EXIT_INTERRUPTED
    return 1 if failed else 0
