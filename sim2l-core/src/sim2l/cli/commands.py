"""What each ``sim2l`` command does."""

import datetime
import json
import math
import re
import sys
from pathlib import Path

from sim2l_sessions.client_errors import VALIDATION_ERROR

from sim2l.cli import local_services
from sim2l.cli import output
from sim2l.cli.context import client
from sim2l.cli.context import configure_from_local_services
from sim2l.cli.errors import EXIT_NOT_FOUND
from sim2l.cli.errors import CommandError
from sim2l.cli.errors import UsageError
from sim2l.cli.errors import exit_code_for_service_error

# ---------------------------------------------------------------- services


def services(args) -> int:
    if args.action == "up":
        ports = {
            "cache": args.cache_port,
            "catalog": args.catalog_port,
            "results": args.results_port,
            local_services.WEB: args.web_port,
        }
        try:
            state = local_services.up(
                host=args.host, ports=ports, workers=args.workers, web=not args.no_web
            )
        except RuntimeError as error:
            raise CommandError(str(error)) from None
        print("\nThe services are up. `sim2l run ...` on this machine uses them; elsewhere:")
        for name in local_services.SERVICE_NAMES:
            print(f"  export SIM2L_{name.upper()}_SERVICE_URL={state[name]['url']}")
        if local_services.WEB in state:
            print(f"The dashboard: {state[local_services.WEB]['url']} (sign in as a sim2l user)")
        return 0
    if args.action == "down":
        stopped = local_services.down(say=(lambda message: None) if args.json else print)
        if args.json:
            output.as_json({"stopped": stopped})
        elif not stopped:
            print("no local services are running (nothing to stop)")
        return 0
    rows = local_services.status()
    if args.json:
        output.as_json(rows)
    else:
        output.table(rows, ["service", "url", "pid", "running", "healthy"])
    return 0 if all(row["healthy"] for row in rows) else 3


# ---------------------------------------------------------------- simulations


def list_simulations(args) -> int:
    import sim2l.examples  # noqa: F401 - declares the shipped examples
    from sim2l.runner import registry

    for entry_point in registry.entry_points(group=registry.ENTRY_POINT_GROUP):
        try:
            registry.load(entry_point.name)
        except Exception as error:  # one broken package must not hide the others
            output.warn(f"cannot load simulation {entry_point.name!r}: {error}")
    simulations = registry.registered()
    if args.json:
        output.as_json([_simulation_description(sim) for sim in simulations])
        return 0
    rows = [
        {
            "name": sim.name,
            "version": sim.version,
            "inputs": ", ".join(sim.inputs),
            "outputs": ", ".join(sim.outputs),
            "description": sim.description,
        }
        for sim in simulations
    ]
    output.table(rows, ["name", "version", "inputs", "outputs", "description"])
    return 0


def _simulation_description(simulation) -> dict:
    """A simulation as structured JSON: each input and output with its declared fields."""

    def fields(spec) -> dict:
        described = {"type": spec.type, "units": spec.units, "description": spec.description}
        for name in ("default", "min", "max", "options"):
            value = getattr(spec, name, None)
            if value is not None and repr(value) != "REQUIRED":
                described[name] = value
        return described

    return {
        "name": simulation.name,
        "version": simulation.version,
        "description": simulation.description,
        "inputs": {name: fields(spec) for name, spec in simulation.inputs.items()},
        "outputs": {name: fields(spec) for name, spec in simulation.outputs.items()},
    }


def split_input(simulation, text: str):
    """``name=raw`` -> (name, its declared ``Input``, raw text); CommandError names a bad one."""
    name, separator, raw = text.partition("=")
    if not separator or not name:
        raise UsageError(f"inputs are given as key=value, not {text!r}")
    spec = simulation.inputs.get(name)
    if spec is None:
        raise UsageError(
            f"{simulation.name} has no input {name!r} (inputs: {', '.join(simulation.inputs)})"
        )
    return name, spec, raw


def typed_value(name: str, spec, raw: str):
    """``raw`` as the declared type of input ``name`` (``"350"`` -> 350.0 for a number)."""
    try:
        if spec.type == "number":
            return float(raw)
        if spec.type == "integer":
            return int(raw)
        if spec.type == "boolean":
            lowered = raw.lower()
            if lowered not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(raw)
            return lowered in ("true", "1", "yes")
        if spec.type in ("list", "dict"):
            return json.loads(raw)
    except ValueError:
        raise UsageError(f"input {name!r} must be a {spec.type}, not {raw!r}") from None
    return raw


def parse_input(simulation, text: str) -> tuple[str, object]:
    """``name=value`` as the input's declared type (``temperature=350`` -> 350.0)."""
    name, spec, raw = split_input(simulation, text)
    return name, typed_value(name, spec, raw)


def run(args) -> int:
    from sim2l.runner import InputValidationError
    from sim2l.runner import SimulationNotFoundError
    from sim2l.runner import load

    try:
        simulation = load(args.name, args.sim_version)
    except SimulationNotFoundError as error:
        raise CommandError(str(error), EXIT_NOT_FOUND) from None
    inputs = dict(parse_input(simulation, text) for text in args.inputs)
    configure_from_local_services()
    try:
        result = simulation.run_with(inputs, use_cache=not args.no_cache, raise_on_failure=False)
    except InputValidationError as error:
        raise UsageError(str(error)) from None
    for warning in result.warnings:
        output.warn(warning)
    if args.json:
        output.as_json(result.to_dict())
    else:
        source = "from the cache" if result.from_cache else result.status
        print(f"{result.simulation_name} {result.simulation_version}: {source}")
        output.pairs({"execution": result.execution_id, "run file": result.run_db_path})
        print()
        output.table(
            [
                {"output": name, "value": value, "units": result.units.get(name)}
                for name, value in result.outputs.items()
            ],
            ["output", "value", "units"],
        )
        if result.error:
            print(f"\nerror: {result.error}", file=sys.stderr)
    return 0 if result.ok else 1


# ---------------------------------------------------------------- local runs


def _run_folder() -> Path:
    from sim2l.settings import get_settings

    return Path(get_settings().run_db_base_path)


def _status_text(summary: dict) -> str:
    """The status, and for a crashed run when its writer was last seen (UTC)."""
    if summary.get("last_seen_at") is None:
        return summary.get("status")
    seen = datetime.datetime.fromtimestamp(summary["last_seen_at"], datetime.UTC)
    return f"{summary['status']}, last seen {seen:%Y-%m-%d %H:%M:%S} UTC"


def runs(args) -> int:
    from sim2l.rundb import RunDatabase
    from sim2l.rundb import RunDatabaseError
    from sim2l.rundb.errors import InvalidExecutionIdError
    from sim2l.rundb.errors import RunNotFoundError

    if args.action == "show":
        try:
            run_db = RunDatabase(args.execution_id, base_path=_run_folder(), read_only=True)
        except RunNotFoundError as error:
            raise CommandError(str(error), EXIT_NOT_FOUND) from None
        except InvalidExecutionIdError as error:
            raise UsageError(str(error)) from None
        except RunDatabaseError as error:
            raise CommandError(str(error)) from None
        with run_db:
            details = {
                "summary": run_db.get_run(),
                "inputs": run_db.get_inputs(),
                "outputs": run_db.get_outputs(),
                "artifacts": run_db.get_artifacts(),
                "metrics": run_db.get_metrics(),
                "logs": run_db.get_logs(),
            }
        if args.json:
            output.as_json(details)
            return 0
        summary = {**details["summary"], "status": _status_text(details["summary"])}
        output.pairs(
            formats={"duration_seconds": output.duration},
            values={
                key: summary[key]
                for key in (
                    "execution_id",
                    "simulation_name",
                    "simulation_version",
                    "status",
                    "duration_seconds",
                    "error_message",
                    "input_hash",
                    "username",
                )
            },
        )
        for title, key, columns in (
            ("Inputs", "inputs", ["name", "value", "units"]),
            ("Outputs", "outputs", ["name", "value", "units"]),
            ("Artifacts", "artifacts", ["name", "size", "content_type"]),
            ("Metrics", "metrics", ["name", "value", "unit", "category"]),
            ("Logs", "logs", ["level", "source", "message"]),
        ):
            print(f"\n{title}")
            output.table(details[key], columns)
        return 0

    rows = []
    files = sorted(_run_folder().glob("*.db"), key=lambda path: path.stat().st_mtime, reverse=True)
    for path in files:
        if len(rows) >= args.limit:
            break
        try:
            with RunDatabase(path=path, read_only=True) as run_db:
                summary = run_db.get_summary()
        except (RunDatabaseError, OSError, ValueError) as error:
            rows.append({"execution_id": path.stem, "status": f"unreadable: {error}"})
            continue
        if args.simulation and summary["simulation_name"] != args.simulation:
            continue
        rows.append(summary if args.json else {**summary, "status": _status_text(summary)})
    if args.json:
        output.as_json(rows)
    else:
        output.table(
            rows,
            ["execution_id", "simulation_name", "simulation_version", "status", "duration_seconds"],
            ["EXECUTION", "SIMULATION", "VERSION", "STATUS", "DURATION"],
            formats={"duration_seconds": output.duration},
        )
    return 0


# ---------------------------------------------------------------- services' data

_FILTER = re.compile(r"^\s*([A-Za-z_][\w.\-]*)\s*(==|=|!=|>=|<=|>|<)\s*(.*?)\s*$")
_OPERATORS = {"=": "eq", "==": "eq", "!=": "ne", ">": "gt", ">=": "ge", "<": "lt", "<=": "le"}


def _literal(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text  # a bare word is a string: material=steel


def parse_filters(expressions: list[str]) -> dict:
    """``["temperature>300", "temperature<=400", "material=steel"]`` -> the service's filters.

    A wrong expression is a ``UsageError`` (exit status 2) naming it: no
    operator, no value, a value that starts with an operator (a typo such as
    ``temperature>>300`` would otherwise compare with the text ``">300"`` and
    match nothing), a number that is not finite (``1e999``, which JSON cannot
    carry), or the same operator twice on one name (the second would
    silently replace the first).
    """
    filters: dict = {}
    for expression in expressions:
        match = _FILTER.match(expression)
        if not match:
            raise UsageError(
                f"a filter is name<op>value with op one of = != > >= < <=, not {expression!r}"
            )
        name, operator, value = match.groups()
        if not value:
            raise UsageError(f"{expression!r} has no value after {operator!r}")
        if value[0] in "=!<>":
            raise UsageError(
                f"{expression!r}: the value {value!r} starts with an operator "
                "(quote it as JSON to mean the text: 'name=\"<text\"')",
            )
        literal = _literal(value)
        if isinstance(literal, float) and not math.isfinite(literal):
            raise UsageError(f"{expression!r}: {value} is not a finite number")
        operators = filters.setdefault(name, {})
        if _OPERATORS[operator] in operators:
            raise UsageError(f"{name} has two {operator!r} filters: keep one")
        operators[_OPERATORS[operator]] = literal
    return filters


def results(args) -> int:
    results_client = client("results")
    if args.action == "stats":
        param_class = args.param_class or _declared_class(
            results_client, args.simulation, args.parameter
        )
        stats = results_client.get_parameter_stats(
            args.simulation, args.parameter, param_class=param_class
        )
        if args.json:
            output.as_json(stats)
        else:
            output.pairs(stats)
        return 0
    items = results_client.search(
        simulation_name=args.simulation,
        input_filters=parse_filters(args.input) or None,
        output_filters=parse_filters(args.output) or None,
        limit=args.limit,
    )
    if args.json:
        output.as_json(items)
        return 0
    rows = []
    for item in items:
        row = {"execution_id": item.get("execution_id"), "status": item.get("status")}
        row.update({f"in:{k}": v for k, v in (item.get("input_params") or {}).items()})
        row.update({f"out:{k}": v for k, v in (item.get("output_params") or {}).items()})
        rows.append(row)
    columns = ["execution_id", "status"]
    for row in rows:
        columns += [key for key in row if key not in columns]
    output.table(rows, columns)
    return 0


def _declared_class(results_client, simulation: str, parameter: str) -> str:
    """``input`` or ``output``: what the registered runs of ``simulation`` call ``parameter``."""
    schemas = results_client.parameter_schemas(simulation)
    classes = sorted({entry["param_class"] for entry in schemas if entry["name"] == parameter})
    if len(classes) == 1:
        return classes[0]
    if len(classes) > 1:
        raise UsageError(
            f"{simulation} has both an input and an output named {parameter!r}: "
            "choose one with --class input or --class output",
        )
    known = sorted({entry["name"] for entry in schemas})
    if not known:
        raise CommandError(f"no registered runs of {simulation!r}", EXIT_NOT_FOUND)
    raise CommandError(
        f"{simulation} has no parameter {parameter!r} (its parameters: {', '.join(known)})",
        EXIT_NOT_FOUND,
    )


def catalog(args) -> int:
    catalog_client = client("catalog")
    if args.action == "show":
        simulation = catalog_client.get_simulation(args.name, args.version)
        simulation["stats"] = catalog_client.get_simulation_stats(simulation["id"])
        if args.json:
            output.as_json(simulation)
        else:
            output.pairs(simulation)
        return 0
    # One more than shown: whether to say that more match.
    found = catalog_client.search(query=args.query, tags=args.tag or None, limit=args.limit + 1)
    if len(found) > args.limit:
        found = found[: args.limit]
        print(f"(the first {args.limit} matches; --limit shows more)", file=sys.stderr)
    if args.json:
        output.as_json(found)
    else:
        output.table(found, ["id", "name", "version", "status", "tags", "description"])
    return 0


def sync(args) -> int:
    from sim2l.runner import sync as sync_outbox

    configure_from_local_services()
    report = sync_outbox()
    if args.json:
        output.as_json(report)
    else:
        print(
            f"sent {report['sent']}, failed {report['failed']}, "
            f"{len(report['remaining'])} still waiting"
        )
        if report["remaining"]:
            output.table(
                report["remaining"],
                ["id", "service", "action", "execution_id", "attempts", "last_error"],
            )
    return 0 if not report["remaining"] else 1


def dispatch(args) -> int:
    """Run the command ``args`` names."""
    from sim2l_sessions.client_errors import ServiceError

    handlers = {
        "services": services,
        "list": list_simulations,
        "run": run,
        "runs": runs,
        "results": results,
        "catalog": catalog,
        "sync": sync,
    }
    # A command declared in a module of its own names its handler on the parser.
    handler = getattr(args, "handler", None) or handlers[args.command]
    try:
        return handler(args)
    except ServiceError as error:
        # The details say what was wrong where the message alone does not (a
        # validation error's field messages are in the message already).
        shown = error.details and error.code != VALIDATION_ERROR
        details = f": {json.dumps(error.details)}" if shown else ""
        raise CommandError(f"{error}{details}", exit_code_for_service_error(error)) from None
