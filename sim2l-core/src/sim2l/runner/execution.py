"""Executing a simulation on a cache miss, with everything recorded in its run database.

The run file gets: run metadata (name, version, input hash, cache key), the
parameter schemas, the inputs, environment and installed packages, where the
code came from, everything logged or printed, metrics (wall and CPU time,
peak Python memory, peak process memory), the files the simulation wrote in
its working folder (as artifacts), the outputs, and the final status with
the error and traceback of a failed run.
"""

import datetime
import functools
import getpass
import hashlib
import inspect
import os
import resource
import secrets
import sys
import threading
import time
import traceback
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

from sim2l.rundb import RunDatabase
from sim2l.rundb.values import UnsupportedValueError
from sim2l.runner import workdirs
from sim2l.runner.capture import capture_output
from sim2l.runner.result import RunResult
from sim2l.settings import get_settings

# os.chdir is process-wide: runs that change directory take turns.
_cwd_lock = threading.Lock()


class RunContext:
    """Given to a simulation that takes a ``context`` parameter.

    With ``use_run_database`` off there is no run database (``run_db`` is
    None): the recording methods then do nothing, so the same simulation code
    runs either way.
    """

    def __init__(self, simulation, execution_id: str, run_db: RunDatabase, workdir: Path):
        self.simulation = simulation
        self.execution_id = execution_id
        self.run_db = run_db
        self.workdir = workdir

    def metric(
        self,
        name: str,
        value,
        unit: str | None = None,
        step: int | None = None,
        category: str = "simulation",
    ) -> None:
        """Record a metric (a convergence residual, an iteration count...)."""
        if self.run_db is None:
            return
        self.run_db.save_metric(name, value, unit=unit, category=category, step=step)

    def artifact(self, path, name: str | None = None, description: str | None = None) -> dict:
        """Store a file now (files left in the working folder are stored at the end anyway)."""
        path = Path(path)
        if self.run_db is None:
            return {}
        return self.run_db.save_artifact(name or path.name, path=path, description=description)

    def checkpoint(self, name: str, state=None, step: int | None = None) -> None:
        """Record a named state of the computation."""
        if self.run_db is None:
            return
        self.run_db.save_checkpoint(name, state, step=step)


def new_execution_id(simulation_name: str) -> str:
    """``{name}-{UTC time}-{random}``: sortable by time, unique, a plain file name."""
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S")
    return f"{simulation_name[:80]}-{stamp}-{secrets.token_hex(4)}"


def _username() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return None


def _run_db_schema(simulation) -> dict:
    """The declaration in the form ``RunDatabase.save_parameter_schemas`` takes."""
    inputs = {}
    for name, spec in simulation.inputs.items():
        inputs[name] = {
            "type": spec.type,
            "units": spec.units,
            "min": spec.min,
            "max": spec.max,
            "default": None if spec.required else spec.default,
            "description": spec.description or None,
            "options": spec.options,
            "required": spec.required,
        }
    outputs = {
        name: {"type": spec.type, "units": spec.units, "description": spec.description or None}
        for name, spec in simulation.outputs.items()
    }
    return {"inputs": inputs, "outputs": outputs}


@functools.lru_cache(maxsize=256)
def _source_of(function) -> tuple[str | None, str | None]:
    """(sha256 of the source, source file) of a function; read once per function."""
    try:
        source = inspect.getsource(function)
        return hashlib.sha256(source.encode("utf-8")).hexdigest(), inspect.getsourcefile(function)
    except (OSError, TypeError):  # built in, or defined where no source is kept
        return None, None


def _record_provenance(run_db: RunDatabase, simulation) -> None:
    function = simulation.function
    function = getattr(function, "__func__", function)
    entity = f"{getattr(function, '__module__', '?')}:{getattr(function, '__qualname__', '?')}"
    digest, source_file = _source_of(function)
    details = {"simulation": simulation.name, "version": simulation.version, "file": source_file}
    run_db.add_provenance(
        "source_code",
        entity,
        sha256=digest,
        details=details,
        description="the function that computed this run",
    )


@contextmanager
def working_directory(path: Path):
    """Run the block in ``path`` (runs that change directory take turns)."""
    with _cwd_lock:
        previous = os.getcwd()
        os.chdir(path)
        try:
            yield
        finally:
            os.chdir(previous)


def _store_artifacts(run_db: RunDatabase, workdir: Path) -> None:
    """Every file the simulation left in its working folder, as an artifact."""
    for path in sorted(p for p in workdir.rglob("*") if p.is_file()):
        relative = path.relative_to(workdir).as_posix()
        # Artifact names are plain file names; a file in a sub-folder keeps
        # its path in the description.
        name = relative.replace("/", "__")
        run_db.save_artifact(name, path=path, description=relative if "/" in relative else None)


def _peak_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak if sys.platform == "darwin" else peak * 1024


def _described(values: dict, declared: dict) -> list[dict]:
    """``values`` as the run file's rows: each with its declared type, units and description."""
    return [
        {
            "name": name,
            "value": value,
            "type": declared[name].type,
            "units": declared[name].units,
            "description": declared[name].description or None,
        }
        for name, value in values.items()
    ]


def execute(simulation, inputs: dict, input_hash: str, cache_key: str, settings) -> RunResult:
    """Run ``simulation`` on validated ``inputs``, recorded in a new run database."""
    execution_id = new_execution_id(simulation.name)
    run_db = RunDatabase(execution_id, base_path=settings.run_db_base_path)
    status, error, error_trace, outputs = "failed", None, None, {}
    # Leaving the block on an exception ends the run as failed (cancelled on
    # Ctrl-C) once it is initialised: a run file never says "running" after
    # its process gave up on it, whatever step raised.
    with run_db:
        run_db.initialize_run(
            simulation.name,
            simulation.version,
            description=simulation.description or None,
            username=_username(),
            input_hash=input_hash,
            squid_id=cache_key,
            metadata={"cache_key": cache_key, "tags": list(simulation.tags)},
        )
        run_db.save_parameter_schemas(_run_db_schema(simulation))
        run_db.save_inputs(_described(inputs, simulation.inputs))
        for tag in simulation.tags:
            run_db.add_tag(str(tag))
        _record_provenance(run_db, simulation)

        workdir = workdirs.take_folder()
        arguments = dict(inputs)
        if simulation.takes_context:
            arguments["context"] = RunContext(simulation, execution_id, run_db, workdir)
        # Only when asked (trace_python_memory): tracing slows allocation-heavy
        # simulations several times over. One that another caller already
        # traces is measured, not stopped.
        trace_memory = get_settings().trace_python_memory
        tracing = trace_memory and not tracemalloc.is_tracing()
        if tracing:
            tracemalloc.start()
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            with capture_output(run_db), working_directory(workdir):
                returned = simulation.function(**arguments)
            outputs = simulation.declaration.validate_outputs(returned)
            status = "completed"
        except Exception as exception:
            error = f"{exception.__class__.__name__}: {exception}"
            error_trace = traceback.format_exc()
            run_db.log("ERROR", error_trace, source="sim2l")
        except BaseException as exception:  # KeyboardInterrupt, SystemExit: record, re-raise
            run_db.complete_run(
                "cancelled", error_message=repr(exception), traceback=traceback.format_exc()
            )
            raise
        finally:
            duration = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            peak_python = (
                tracemalloc.get_traced_memory()[1]
                if trace_memory and tracemalloc.is_tracing()
                else None
            )
            if tracing:
                tracemalloc.stop()
        metrics = [
            {"name": "wall_time", "value": duration, "unit": "s", "category": "performance"},
            {"name": "cpu_time", "value": cpu, "unit": "s", "category": "performance"},
            {
                "name": "peak_rss",
                "value": _peak_rss_bytes(),
                "unit": "bytes",
                "category": "performance",
            },
        ]
        if peak_python is not None:
            metrics.append(
                {
                    "name": "peak_memory",
                    "value": peak_python,
                    "unit": "bytes",
                    "category": "performance",
                }
            )
        run_db.save_metrics(metrics)
        run_db.save_resource_usage(memory_bytes=_peak_rss_bytes(), peak_memory_bytes=peak_python)
        try:
            _store_artifacts(run_db, workdir)
        finally:
            workdirs.give_back(workdir)
        if status == "completed":
            try:
                run_db.save_outputs(_described(outputs, simulation.outputs))
            except UnsupportedValueError as exception:  # valid, but with no faithful encoding
                status, outputs = "failed", {}
                error = f"{exception.__class__.__name__}: {exception}"
                error_trace = traceback.format_exc()
                run_db.log("ERROR", error_trace, source="sim2l")
        run_db.complete_run(
            status, duration_seconds=duration, error_message=error, traceback=error_trace
        )
    return RunResult(
        simulation_name=simulation.name,
        simulation_version=simulation.version,
        execution_id=execution_id,
        status=status,
        inputs=dict(inputs),
        outputs=outputs,
        units={name: spec.units for name, spec in simulation.outputs.items()},
        input_hash=input_hash,
        cache_key=cache_key,
        run_db_path=run_db.path,
        duration_seconds=duration,
        error=error,
    )
