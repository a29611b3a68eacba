"""The whole path of one run: validate, hash, ask the cache, execute, publish.

``run_simulation`` is what ``Simulation.run`` calls. On a cache hit it
returns the earlier run's outputs without executing, fetching the earlier run
file from the results service when it is not on this machine. On a miss it
executes (``execution.execute``), then sends the run to each configured
service: the catalog records the execution, the results service registers the
run file, the cache stores the entry (only for a completed run). A call that
fails is queued in the outbox and said in ``RunResult.pending`` and
``RunResult.warnings``; ``sync()`` sends it later.
"""

import socket
from pathlib import Path

from sim2l.rundb import RunDatabase
from sim2l.rundb import RunDatabaseError
from sim2l.rundb.execution_ids import run_file_path
from sim2l.runner import workdirs
from sim2l.runner.execution import RunContext
from sim2l.runner.execution import execute
from sim2l.runner.execution import working_directory
from sim2l.runner.hashing import cache_key as make_cache_key
from sim2l.runner.hashing import input_hash as make_input_hash
from sim2l.runner.links import ACTIONS
from sim2l.runner.links import UNAVAILABLE_ERRORS
from sim2l.runner.links import ServiceLinks
from sim2l.runner.links import describe_error
from sim2l.runner.outbox import Outbox
from sim2l.runner.result import RunResult
from sim2l.runner.result import SimulationFailedError
from sim2l.settings import get_settings

SYNC_TIMEOUT = (5.0, 300.0)


def run_simulation(
    simulation, given: dict, *, use_cache: bool = True, raise_on_failure: bool = True
) -> RunResult:
    """Run ``simulation`` with the inputs ``given``; see the module docstring."""
    settings = get_settings()
    inputs = simulation.declaration.validate_inputs(given)
    input_hash = make_input_hash(simulation.name, simulation.version, inputs)
    key = make_cache_key(simulation.name, simulation.version, input_hash)
    links = ServiceLinks(settings)

    if not settings.use_run_database:
        return _run_unrecorded(simulation, inputs, input_hash, key, links, raise_on_failure)

    if use_cache and links.configured("cache"):
        hit = _cached_result(simulation, inputs, input_hash, key, links, settings)
        if hit is not None:
            return hit

    result = execute(simulation, inputs, input_hash, key, settings)
    _publish(simulation, result, links, settings)
    result.warnings.extend(links.warnings)
    if not result.ok and raise_on_failure:
        raise SimulationFailedError(result)
    return result


def cached_run(simulation, inputs: dict, settings=None, *, unavailable=None) -> RunResult | None:
    """The cached earlier run of these validated ``inputs``, or None.

    None on a miss, without a cache service, without a run database, or when
    the entry cannot be used. A sweep asks this in the calling process before
    sending a point to a worker, so a cache hit never reaches one.
    ``unavailable`` is shared by many calls: once the cache is found down it
    is not asked again.
    """
    settings = settings or get_settings()
    links = ServiceLinks(settings, unavailable=unavailable)
    if not settings.use_run_database or not links.configured("cache"):
        return None
    input_hash = make_input_hash(simulation.name, simulation.version, inputs)
    key = make_cache_key(simulation.name, simulation.version, input_hash)
    return _cached_result(simulation, inputs, input_hash, key, links, settings)


def _run_unrecorded(simulation, inputs, input_hash, key, links, raise_on_failure) -> RunResult:
    """``use_run_database=False``: compute only; nothing recorded, cached or published."""
    status, error, outputs = "completed", None, {}
    arguments = dict(inputs)
    with workdirs.run_folder() as workdir:
        if simulation.takes_context:
            arguments["context"] = RunContext(simulation, None, None, workdir)
        try:
            with working_directory(workdir):
                returned = simulation.function(**arguments)
            outputs = simulation.declaration.validate_outputs(returned)
        except Exception as exception:
            status, error = "failed", f"{exception.__class__.__name__}: {exception}"
    result = RunResult(
        simulation_name=simulation.name,
        simulation_version=simulation.version,
        execution_id=None,
        status=status,
        inputs=inputs,
        outputs=outputs,
        units={name: spec.units for name, spec in simulation.outputs.items()},
        input_hash=input_hash,
        cache_key=key,
        error=error,
    )
    if any(links.configured(service) for service in ("cache", "catalog", "results")):
        result.warnings.append(
            "use_run_database is off: the run was not cached, "
            "recorded in the catalog or registered as a result"
        )
    if not result.ok and raise_on_failure:
        raise SimulationFailedError(result)
    return result


# ---------------------------------------------------------------- cache hits


def _cached_result(simulation, inputs, input_hash, key, links, settings) -> RunResult | None:
    """The earlier run of these inputs, or None (a miss, or an entry that cannot be used)."""
    entry, _ = links.guarded("cache", "lookup", lambda cache: cache.get(key))
    if not entry:
        return None
    execution_id = entry.get("execution_id")
    found = _local_run_file(entry, settings, links)
    if found is None:
        return None
    path, fetched = found
    recorded = _outputs_from_entry(simulation, entry)
    if recorded is not None and not fetched:
        # The entry carries the outputs it was stored with, and the run file
        # is here: no need to open it (about 1 ms, a fifth of a hit).
        outputs, units, duration = recorded
    else:
        try:
            with RunDatabase(path=path, read_only=True) as run_db:
                summary = run_db.get_summary()
                stored = run_db.get_outputs()
        except (RunDatabaseError, OSError, ValueError) as error:
            links.warn(
                f"cache entry {key} points at an unreadable run file ({error}); running again"
            )
            return None
        if summary["status"] != "completed" or summary["execution_id"] != execution_id:
            links.warn(
                f"cache entry {key} points at run {execution_id} that did not complete; "
                "running again"
            )
            return None
        outputs = {output["name"]: output["value"] for output in stored}
        units = {output["name"]: output["units"] for output in stored}
        duration = summary["duration_seconds"]
    return RunResult(
        simulation_name=simulation.name,
        simulation_version=simulation.version,
        execution_id=execution_id,
        status="completed",
        inputs=dict(inputs),
        outputs=outputs,
        units=units,
        input_hash=input_hash,
        cache_key=key,
        from_cache=True,
        run_db_path=Path(path),
        duration_seconds=duration,
        warnings=list(links.warnings),
    )


def _outputs_from_entry(simulation, entry: dict):
    """(outputs, units, duration) the runner stored in the entry's metadata, or None."""
    metadata = entry.get("metadata") or {}
    outputs = metadata.get("outputs")
    if not isinstance(outputs, dict) or set(outputs) != set(simulation.outputs):
        return None
    try:
        outputs = simulation.declaration.validate_outputs(outputs)
    except ValueError:
        return None
    units = {name: spec.units for name, spec in simulation.outputs.items()}
    return outputs, units, metadata.get("duration_seconds")


def _local_run_file(entry: dict, settings, links) -> tuple[Path, bool] | None:
    """Where the cached run's file is on this machine, and whether it was just fetched."""
    execution_id = entry.get("execution_id")
    try:
        local = run_file_path(execution_id, Path(settings.run_db_base_path))
    except (RunDatabaseError, TypeError):
        links.warn(f"cache entry has an invalid execution id {execution_id!r}; running again")
        return None
    if local.exists():
        return local, False
    # The path the entry was stored with, when this machine can see it (a shared disk).
    recorded = entry.get("run_db_path")
    if recorded and Path(recorded).name == local.name and Path(recorded).is_file():
        return Path(recorded), False
    if not links.configured("results"):
        links.warn(
            f"cached run {execution_id} is not on this machine and no results service is "
            "configured to fetch it; running again"
        )
        return None
    local.parent.mkdir(parents=True, exist_ok=True)
    # The client writes beside the destination and renames, so a half-fetched
    # file is never taken for a run file.
    _, error = links.guarded(
        "results",
        f"fetching run {execution_id}",
        lambda results: results.download(execution_id, local),
    )
    if error is not None:
        return None
    return local, True


# ---------------------------------------------------------------- publishing


def _simulation_record(simulation) -> dict:
    return {
        "name": simulation.name,
        "version": simulation.version,
        "description": simulation.description,
        "tags": list(simulation.tags),
        "schema": simulation.schema(),
    }


def publication_plan(simulation, result: RunResult, links: ServiceLinks, settings) -> list:
    """The ``(service, action, payload)`` calls a finished run needs, in order."""
    record = _simulation_record(simulation)
    plan = []
    if links.configured("catalog"):
        plan.append(
            (
                "catalog",
                "record_execution",
                {
                    "simulation": record,
                    "execution_id": result.execution_id,
                    "status": result.status,
                    "duration_seconds": result.duration_seconds,
                    "auto_sync": settings.catalog_auto_sync,
                },
            )
        )
    if not result.ok:
        return plan  # a failed run is recorded, never registered or cached
    if links.configured("results"):
        plan.append(("results", "register_result", {"execution_id": result.execution_id}))
    if links.configured("cache"):
        plan.append(
            (
                "cache",
                "set",
                {
                    "simulation": {"name": simulation.name, "version": simulation.version},
                    "cache_key": result.cache_key,
                    "execution_id": result.execution_id,
                    "squid_id": result.cache_key,
                    "input_hash": result.input_hash,
                    "run_db_path": str(result.run_db_path),
                    "metadata": {
                        "host": socket.gethostname(),
                        "outputs": result.outputs,
                        "units": result.units,
                        "duration_seconds": result.duration_seconds,
                    },
                },
            )
        )
    return plan


def _publish(simulation, result: RunResult, links: ServiceLinks, settings) -> None:
    outbox = Outbox(settings.run_db_base_path)
    result_id = None
    for service, action, payload in publication_plan(simulation, result, links, settings):
        if service == "cache" and result_id is not None:
            payload["result_id"] = result_id  # links the cache entry to the searchable result
        answer, error = links.guarded(
            service,
            action.replace("_", " "),
            lambda client, s=service, a=action, p=payload: ACTIONS[s, a](links, p),
        )
        if service == "results" and isinstance(answer, dict):
            result_id = answer.get("result_id")
        if error is not None:
            outbox.add(service, action, result.execution_id, payload, error)
            result.pending.append(f"{service}.{action}")
    if result.pending:
        links.warn(
            f"run {result.execution_id} completed locally; {len(result.pending)} service call(s) "
            f"queued for later ({', '.join(result.pending)}): run `sim2l sync` when the services "
            "are back"
        )


# ---------------------------------------------------------------- sync


def sync(settings=None) -> dict:
    """Send what the outbox holds; returns ``{"sent": n, "failed": n, "remaining": [...]}``.

    Calls are sent oldest first. After a service fails to answer, its other
    calls wait for the next sync instead of each waiting for a timeout.
    """
    settings = settings or get_settings()
    outbox = Outbox(settings.run_db_base_path)
    # Nobody waits on a sync the way a run waits on its result: give a large
    # upload (a run file with big artifacts) the time the run could not.
    links = ServiceLinks(settings, timeout=SYNC_TIMEOUT)
    sent = failed = 0
    for entry in outbox.entries():
        service, action = entry["service"], entry["action"]
        if not links.configured(service):
            reason = f"no {service} service configured"
        elif service in links.unavailable:
            reason = links.unavailable[service]
        else:
            reason = None
        if reason is None:
            try:
                ACTIONS[service, action](links, entry["payload"])
            except Exception as error:  # whatever it was, the entry stays for the next sync
                reason = describe_error(error)
                if isinstance(error, UNAVAILABLE_ERRORS + (OSError,)):
                    links.unavailable[service] = reason
        if reason is None:
            outbox.remove(entry["id"])
            sent += 1
        else:
            outbox.record_failure(entry["id"], reason)
            failed += 1
    return {"sent": sent, "failed": failed, "remaining": outbox.entries()}
