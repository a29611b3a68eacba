"""The simulation runner: declare a simulation, run it, re-use and publish its results.

``sim2l`` re-exports what users need: ``simulation``, ``Simulation``,
``Input``, ``Output``, ``load``, ``sweep``, ``sync`` and ``RunResult``.
"""

from sim2l.runner.engine import run_simulation
from sim2l.runner.engine import sync
from sim2l.runner.execution import RunContext
from sim2l.runner.hashing import cache_key
from sim2l.runner.hashing import canonical_json
from sim2l.runner.hashing import input_hash
from sim2l.runner.outbox import Outbox
from sim2l.runner.parameters import REQUIRED
from sim2l.runner.parameters import Input
from sim2l.runner.parameters import InputValidationError
from sim2l.runner.parameters import Output
from sim2l.runner.parameters import OutputValidationError
from sim2l.runner.parameters import SimulationDefinitionError
from sim2l.runner.registry import SimulationNotFoundError
from sim2l.runner.registry import registered
from sim2l.runner.result import Quantity
from sim2l.runner.result import RunResult
from sim2l.runner.result import SimulationFailedError
from sim2l.runner.simulation import Simulation
from sim2l.runner.simulation import load
from sim2l.runner.simulation import simulation
from sim2l.runner.sweep import SweepResults
from sim2l.runner.sweep import sweep

__all__ = [
    "REQUIRED",
    "Input",
    "InputValidationError",
    "Outbox",
    "Output",
    "OutputValidationError",
    "Quantity",
    "RunContext",
    "RunResult",
    "Simulation",
    "SimulationDefinitionError",
    "SimulationFailedError",
    "SimulationNotFoundError",
    "SweepResults",
    "cache_key",
    "canonical_json",
    "input_hash",
    "load",
    "registered",
    "run_simulation",
    "simulation",
    "sweep",
    "sync",
]
