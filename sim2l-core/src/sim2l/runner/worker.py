"""What runs on a sweep's worker: one point, with the caller's settings.

``run_point`` is the task a sweep submits to an executor (a process pool, a
Dask cluster). It finds or rebuilds the simulation, pins the settings of the
process that started the sweep (run folder, service URLs and sessions) for
the duration of the point, and runs it the way ``Simulation.run`` does: the
run file is written where those settings say, the cache is asked once more
(another sweep may have finished the point meanwhile) and filled, and the run
is published to the services. A failed simulation comes back as a failed
``RunResult``; only a fault of the worker itself raises.
"""

from sim2l.runner.engine import run_simulation
from sim2l.runner.portable import SimulationReference
from sim2l.runner.portable import resolve
from sim2l.runner.result import RunResult
from sim2l.settings import Settings
from sim2l.settings import settings_in_force


def run_point(
    reference: SimulationReference, inputs: dict, settings: Settings, use_cache: bool
) -> RunResult:
    """Run one sweep point here with ``settings``; returns its ``RunResult``."""
    simulation = resolve(reference)
    with settings_in_force(settings):
        return run_simulation(simulation, inputs, use_cache=use_cache, raise_on_failure=False)


def ignore_interrupts() -> None:
    """Initializer of the sweep's own pool: Ctrl-C at the terminal goes to the caller only.

    The terminal sends SIGINT to every process of the foreground group. The
    caller decides what an interrupt means (stop submitting, let running points
    finish); a worker killed halfway would leave a cancelled run behind.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
