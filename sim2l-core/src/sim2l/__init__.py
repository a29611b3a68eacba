"""sim2l: record, cache, catalog and search simulation runs.

``configure()`` sets where runs are recorded and which services to use;
``sim2l.database`` holds ``RunDatabase`` and ``FileManager``.

The runner: declare a simulation with ``@sim2l.simulation(...)`` (or a
``sim2l.Simulation`` subclass) and typed ``Input``/``Output``, get one with
``sim2l.load(name)``, run it with ``sim.run(**inputs)``, sweep it with
``sim2l.sweep(sim, grid={...})``, and send what a down service missed with
``sim2l.sync()``.
"""

import importlib.metadata

from sim2l.runner import Input
from sim2l.runner import InputValidationError
from sim2l.runner import Output
from sim2l.runner import RunResult
from sim2l.runner import Simulation
from sim2l.runner import SimulationFailedError
from sim2l.runner import SimulationNotFoundError
from sim2l.runner import load
from sim2l.runner import simulation
from sim2l.runner import sweep
from sim2l.runner import sync
from sim2l.settings import Settings
from sim2l.settings import SettingsError
from sim2l.settings import configure
from sim2l.settings import get_settings
from sim2l.settings import reset_settings

try:
    __version__ = importlib.metadata.version("sim2l-core")
except importlib.metadata.PackageNotFoundError:  # running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "Input",
    "InputValidationError",
    "Output",
    "RunResult",
    "Settings",
    "SettingsError",
    "Simulation",
    "SimulationFailedError",
    "SimulationNotFoundError",
    "__version__",
    "configure",
    "get_settings",
    "load",
    "reset_settings",
    "simulation",
    "sweep",
    "sync",
]
