"""Where ``sim2l.load(name)`` finds simulations.

A simulation is registered when it is declared (the decorator, or creating a
``Simulation``). ``load`` looks in the registry first, then in the entry point
group ``sim2l.simulations`` (an installed package publishes its tools there,
``thermal_sim = "mypackage.thermal:thermal_sim"``), then in the examples
shipped with sim2l.
"""

import importlib
import re
import threading
from importlib.metadata import entry_points

ENTRY_POINT_GROUP = "sim2l.simulations"
EXAMPLES_MODULE = "sim2l.examples"

_lock = threading.RLock()
_registry: dict[str, dict[str, object]] = {}


class SimulationNotFoundError(LookupError):
    """No simulation of that name (or version) is declared or installed."""


def version_key(version: str) -> tuple:
    """Sort key that orders ``1.10.0`` after ``1.9.0`` (numbers compared as numbers)."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"[.\-+]", version)
    )


def register(simulation) -> None:
    """Make ``simulation`` loadable by name; a re-declaration replaces the earlier one."""
    with _lock:
        _registry.setdefault(simulation.name, {})[simulation.version] = simulation


def unregister(name: str, version: str | None = None) -> None:
    """Forget a simulation (every version when ``version`` is None)."""
    with _lock:
        if version is None:
            _registry.pop(name, None)
        else:
            _registry.get(name, {}).pop(version, None)


def registered() -> list:
    """Every registered simulation, by name then version."""
    with _lock:
        return [
            _registry[name][version]
            for name in sorted(_registry)
            for version in sorted(_registry[name], key=version_key)
        ]


def lookup(name: str, version: str | None):
    """The registered simulation ``name`` (latest version when ``version`` is None), or None."""
    with _lock:
        versions = _registry.get(name)
        if not versions:
            return None
        if version is None:
            return versions[max(versions, key=version_key)]
        return versions.get(version)


def _is_simulation(candidate) -> bool:
    # Told by its shape, not its class: the registry sits below simulation.py,
    # which imports it, so importing Simulation here would close a cycle.
    return all(hasattr(candidate, attribute) for attribute in ("name", "version", "run_with"))


def _load_entry_point(name: str) -> None:
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name != name:
            continue
        loaded = entry_point.load()  # importing the module declares (registers) it
        if isinstance(loaded, type) and _is_simulation(loaded):
            loaded = loaded()
        if not isinstance(loaded, type) and _is_simulation(loaded):
            register(loaded)


def load(name: str, version: str | None = None):
    """The simulation called ``name`` (its latest version unless ``version`` is given)."""
    simulation = lookup(name, version)
    if simulation is None:
        _load_entry_point(name)
        simulation = lookup(name, version)
    if simulation is None:
        importlib.import_module(EXAMPLES_MODULE)
        simulation = lookup(name, version)
    if simulation is None:
        with _lock:
            known = sorted(_registry)
        which = f"{name!r} version {version!r}" if version else repr(name)
        raise SimulationNotFoundError(
            f"no simulation {which}; declared: {', '.join(known) or 'none'} "
            f"(installed packages publish simulations in the {ENTRY_POINT_GROUP!r} entry points)"
        )
    return simulation
