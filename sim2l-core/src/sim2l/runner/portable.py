"""Sending a simulation to another process: by name where it can be imported, else by value.

A sweep's worker (a process of a pool, a Dask worker on another machine)
needs the simulation object. One declared in an importable module travels as
its name, version and module: the worker imports the module, which declares
it, and takes it from the registry. One declared where no worker can import
it (a script's or a notebook's ``__main__``, inside a function, or with
``register=False``) travels by value, pickled with cloudpickle, and is
rebuilt on the worker, unregistered, so that an edited notebook cell is never
shadowed by an older declaration a long-lived worker still holds.
"""

import functools
import importlib
from dataclasses import dataclass

from sim2l.runner import registry

_MAIN_MODULES = ("__main__", "__mp_main__")


@dataclass(frozen=True)
class SimulationReference:
    """What a worker needs to find or rebuild a simulation."""

    name: str
    version: str
    module: str | None
    by_value: bytes | None = None


def _declaring_code(simulation):
    """The class or function whose module declares ``simulation``."""
    cls = type(simulation)
    if cls.__module__ != "sim2l.runner.simulation":  # a Simulation subclass
        return cls
    return getattr(simulation.function, "__func__", simulation.function)


def _importable(simulation, code) -> bool:
    module = getattr(code, "__module__", None)
    if module is None or module in _MAIN_MODULES:
        return False
    if "<locals>" in getattr(code, "__qualname__", "<locals>"):
        return False
    # Importing the module must declare this very simulation, which it does
    # only if it is registered (a register=False one never is).
    return registry.lookup(simulation.name, simulation.version) is simulation


def _by_value(simulation) -> bytes:
    import cloudpickle

    cls = type(simulation)
    function = simulation.function
    bound_to_self = getattr(function, "__self__", None) is simulation
    declaration = {
        "class": cls,
        # A subclass computes with its compute() method: the class carries it.
        "function": None if bound_to_self else function,
        "options": {
            "name": simulation.name,
            "version": simulation.version,
            "description": simulation.description,
            "tags": list(simulation.tags),
            "inputs": dict(simulation.inputs),
            "outputs": dict(simulation.outputs),
        },
    }
    return cloudpickle.dumps(declaration)


def reference_to(simulation) -> SimulationReference:
    """How ``simulation`` travels to a worker (computed once per simulation object)."""
    cached = simulation.__dict__.get("_portable_reference")
    if cached is not None:
        return cached
    code = _declaring_code(simulation)
    if _importable(simulation, code):
        reference = SimulationReference(simulation.name, simulation.version, code.__module__)
    else:
        reference = SimulationReference(
            simulation.name, simulation.version, None, by_value=_by_value(simulation)
        )
    simulation.__dict__["_portable_reference"] = reference
    return reference


@functools.lru_cache(maxsize=64)  # keyed by the pickled bytes: a changed declaration misses
def _rebuild(by_value: bytes):
    import cloudpickle

    declaration = cloudpickle.loads(by_value)
    return declaration["class"](declaration["function"], register=False, **declaration["options"])


def resolve(reference: SimulationReference):
    """The simulation ``reference`` names, in this process."""
    if reference.by_value is not None:
        return _rebuild(reference.by_value)
    simulation = registry.lookup(reference.name, reference.version)
    if simulation is None and reference.module:
        importlib.import_module(reference.module)  # declares it
        simulation = registry.lookup(reference.name, reference.version)
    if simulation is None:
        # Installed packages and the examples; raises SimulationNotFoundError.
        simulation = registry.load(reference.name, reference.version)
    return simulation
