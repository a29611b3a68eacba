"""Running a simulation over a grid or a list of inputs, here or fanned out to workers.

``sim2l.sweep(sim, grid={"temperature": [300, 350, 400], "material": ["steel"]})``
runs every combination (``points=[{...}, ...]`` runs a list instead) and
returns the results in the order of the points. ``workers=4`` runs them in 4
local processes; ``executor=`` takes any ``concurrent.futures.Executor`` or a
Dask ``distributed.Client`` (a ``LocalCluster``, Kubernetes, an HPC queue).

Every point runs with the settings of the calling process (run folder,
service URLs, sessions), writes its run file, asks and fills the cache and
publishes to the services, wherever the executor puts it. The cache is asked
here first, so a cached point never reaches a worker, and a point repeated in
the sweep runs once. A failing point does not stop the others unless
``stop_on_error=True``. Ctrl-C (or a ``KeyboardInterrupt`` from
``on_progress``) cancels the points not started, lets the running ones
finish, and returns what finished; a second Ctrl-C stops waiting.
"""

import dataclasses
import itertools
import logging

from sim2l.runner import registry
from sim2l.runner.dispatch import InlineDispatcher
from sim2l.runner.dispatch import dispatcher_for
from sim2l.runner.engine import cached_run
from sim2l.runner.engine import run_simulation
from sim2l.runner.hashing import cache_key
from sim2l.runner.hashing import input_hash
from sim2l.runner.interrupts import InterruptFlag
from sim2l.runner.parameters import InputValidationError
from sim2l.runner.portable import reference_to
from sim2l.runner.progress import ProgressCounter
from sim2l.runner.progress import progress_display
from sim2l.runner.result import RunResult
from sim2l.runner.result import SimulationFailedError
from sim2l.runner.worker import run_point
from sim2l.settings import get_settings
from sim2l.settings import settings_in_force

logger = logging.getLogger("sim2l.runner")

# How long a sweep waits for a point before looking at its Ctrl-C flag again.
_POLL_SECONDS = 0.1


def grid_points(grid: dict, fixed: dict | None = None) -> list[dict]:
    """Every combination of the values in ``grid`` (plus the ``fixed`` inputs)."""
    names = list(grid)
    for name in names:
        if isinstance(grid[name], (str, bytes)) or not hasattr(grid[name], "__iter__"):
            raise TypeError(f"grid[{name!r}] must be a list of values")
    return [
        {**(fixed or {}), **dict(zip(names, values, strict=True))}
        for values in itertools.product(*(list(grid[name]) for name in names))
    ]


class SweepResults(list):
    """The ``RunResult`` of every finished point, in the order of the points.

    After a complete sweep it holds one result per point. After an interrupt
    ``interrupted`` is True and it holds the finished points only (still in
    point order); ``not_run`` lists the inputs of the others.
    """

    def __init__(self, results=(), interrupted: bool = False, not_run=()):
        super().__init__(results)
        self.interrupted = interrupted
        self.not_run = list(not_run)


def _validated_points(simulation, points: list[dict]) -> list[dict]:
    """Every point checked before anything runs: a typo in the last point fails at once."""
    validated = []
    for index, point in enumerate(points):
        try:
            validated.append(simulation.validate(**point))
        except InputValidationError as error:
            raise InputValidationError(
                error.simulation,
                error.input_name,
                error.rule,
                f"{error.detail} (sweep point {index})",
            ) from None
    return validated


def _run_here(simulation, inputs: dict, settings) -> RunResult:
    # The cache was asked a moment ago in this very process: no second lookup.
    with settings_in_force(settings):
        return run_simulation(simulation, inputs, use_cache=False, raise_on_failure=False)


class _StopSweep(Exception):
    """A point failed and the sweep was asked to stop on the first failure."""

    def __init__(self, result: RunResult):
        super().__init__(result.error)
        self.result = result


class _Sweep:
    """One sweep in progress: what is submitted, what finished, and the counts."""

    def __init__(
        self,
        simulation,
        inputs,
        settings,
        dispatcher,
        counter,
        stop_on_error,
        use_cache,
        interrupts,
    ):
        self.simulation = simulation
        self.inputs = inputs
        self.settings = settings
        self.dispatcher = dispatcher
        self.counter = counter
        self.stop_on_error = stop_on_error
        self.use_cache = use_cache
        self.results: list[RunResult | None] = [None] * len(inputs)
        self.repeats: dict[int, list[int]] = {}  # point -> later points with the same inputs
        self.unavailable: dict = {}  # services found down while asking the cache
        self.failure: RunResult | None = None
        self.interrupts = interrupts
        self.winding_down = False

    def check_interrupt(self) -> None:
        """Raise KeyboardInterrupt here, where nothing is half recorded, after a Ctrl-C."""
        if self.interrupts.requested and not self.winding_down:
            raise KeyboardInterrupt

    def submit_all(self) -> None:
        """Answer cached and repeated points here; send the others to the dispatcher."""
        first_with_hash: dict[str, int] = {}
        remote = not isinstance(self.dispatcher, InlineDispatcher)
        reference = reference_to(self.simulation) if remote else None
        for index, inputs in enumerate(self.inputs):
            self.check_interrupt()
            if self.use_cache:
                hash_ = input_hash(self.simulation.name, self.simulation.version, inputs)
                if hash_ in first_with_hash:
                    self.repeats.setdefault(first_with_hash[hash_], []).append(index)
                    continue
                first_with_hash[hash_] = index
                hit = cached_run(
                    self.simulation, inputs, self.settings, unavailable=self.unavailable
                )
                if hit is not None:
                    self.finish(index, hit)
                    continue
            if remote:
                # The worker asks the cache again: another sweep may have run the
                # point since this one asked.
                self.dispatcher.submit(
                    index, run_point, reference, inputs, self.settings, self.use_cache
                )
            else:
                self.dispatcher.submit(index, _run_here, self.simulation, inputs, self.settings)

    def collect_all(self) -> None:
        """Take finished points from the dispatcher until none is outstanding."""
        while self.dispatcher.outstanding():
            self.check_interrupt()
            outcome = self.dispatcher.next_done(_POLL_SECONDS)
            if outcome is None or outcome.cancelled:
                continue
            if outcome.error is not None:
                self.finish(outcome.index, self._worker_failure(outcome.index, outcome.error))
            else:
                self.finish(outcome.index, outcome.value)

    def finish(self, index: int, result: RunResult) -> None:
        """Record a finished point (and the repeats of its inputs), then count them."""
        finished = [(index, result)]
        for repeat in self.repeats.pop(index, []):
            # The same inputs: the run just made (or failed) serves this point too.
            reused = dataclasses.replace(
                result,
                from_cache=result.from_cache or result.ok,
                warnings=list(result.warnings),
                pending=list(result.pending),
            )
            finished.append((repeat, reused))
        # Recorded before anything is counted: a progress callback that raises
        # KeyboardInterrupt must not lose a point that finished.
        for position, outcome in finished:
            self.results[position] = outcome
        for position, outcome in finished:
            self.counter.finished(position, outcome)
        if not result.ok and self.stop_on_error and self.failure is None:
            self.failure = result
            raise _StopSweep(result)

    def _worker_failure(self, index: int, error: BaseException) -> RunResult:
        """A failed result for a point whose worker raised (lost, killed, could not import)."""
        simulation, inputs = self.simulation, self.inputs[index]
        hash_ = input_hash(simulation.name, simulation.version, inputs)
        return RunResult(
            simulation_name=simulation.name,
            simulation_version=simulation.version,
            execution_id=None,
            status="failed",
            inputs=dict(inputs),
            outputs={},
            units={name: spec.units for name, spec in simulation.outputs.items()},
            input_hash=hash_,
            cache_key=cache_key(simulation.name, simulation.version, hash_),
            error=f"the worker could not run this point: {error.__class__.__name__}: {error}",
        )

    def wind_down(self) -> bool:
        """Cancel what has not started and wait for what runs; False if interrupted again."""
        self.winding_down = True
        cancelled = self.dispatcher.cancel_pending()
        logger.warning(
            "sweep of %s stopping: %d point(s) cancelled, waiting for %d running",
            self.simulation.name,
            len(cancelled),
            self.dispatcher.outstanding() - len(cancelled),
        )
        while True:
            try:
                self.collect_all()
                return True
            except KeyboardInterrupt:
                return False
            except _StopSweep:  # stopping anyway: keep collecting the running points
                continue

    def finished_results(self, interrupted: bool) -> SweepResults:
        """The finished points in point order, and the inputs of those that did not run."""
        return SweepResults(
            [result for result in self.results if result is not None],
            interrupted=interrupted,
            not_run=[
                dict(self.inputs[index])
                for index, result in enumerate(self.results)
                if result is None
            ],
        )


def sweep(
    simulation,
    grid: dict | None = None,
    points=None,
    *,
    fixed: dict | None = None,
    workers: int | None = None,
    executor=None,
    progress=True,
    on_progress=None,
    stop_on_error: bool = False,
    use_cache: bool = True,
) -> SweepResults:
    """Run ``simulation`` at every point; returns the ``RunResult`` of each, in point order.

    ``simulation`` is a simulation or its name. Give ``grid={name: [values]}``
    (every combination) or ``points=[{inputs}, ...]``; ``fixed`` inputs are
    added to every point. ``workers=N`` runs the points in N local processes;
    ``executor=`` in a ``concurrent.futures.Executor`` or a
    ``distributed.Client`` you made (left open). ``progress`` is True (a bar on
    stderr when it is a terminal), False, or a stream to draw on;
    ``on_progress(state)`` is called with a ``SweepProgress`` after each point.
    ``stop_on_error=True`` raises ``SimulationFailedError`` at the first failed
    point (its ``results`` attribute holds what finished). ``use_cache=False``
    runs every point even when cached. After Ctrl-C the returned
    ``SweepResults`` holds the finished points and ``interrupted`` is True.
    """
    if (grid is None) == (points is None):
        raise TypeError("give exactly one of grid= or points=")
    if isinstance(simulation, str):
        simulation = registry.load(simulation)
    given = (
        grid_points(grid, fixed)
        if grid is not None
        else [{**(fixed or {}), **point} for point in points]
    )
    inputs = _validated_points(simulation, given)
    label = f"{simulation.name} sweep"
    display = progress_display(progress, len(inputs), label)
    dispatcher = dispatcher_for(workers, executor, f"{simulation.name}-sweep")
    interrupted = abandoned = False
    with InterruptFlag() as interrupts:
        run = _Sweep(
            simulation,
            inputs,
            get_settings(),
            dispatcher,
            ProgressCounter(len(inputs), display, on_progress),
            stop_on_error,
            use_cache,
            interrupts,
        )
        try:
            run.submit_all()
            run.collect_all()
        except KeyboardInterrupt:
            interrupted = True
            abandoned = not run.wind_down()
        except _StopSweep:
            abandoned = not run.wind_down()
        finally:
            dispatcher.close(abandon=abandoned)
            run.counter.close()
    if run.failure is not None:
        error = SimulationFailedError(run.failure)
        error.results = run.finished_results(interrupted)
        raise error
    return run.finished_results(interrupted)
