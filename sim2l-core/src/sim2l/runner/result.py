"""``RunResult``: what ``Simulation.run`` returns."""

from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import NamedTuple


class Quantity(NamedTuple):
    """An output value with its units."""

    value: object
    units: str | None

    def __str__(self):
        return f"{self.value} {self.units}" if self.units else str(self.value)


class SimulationFailedError(RuntimeError):
    """The simulation raised or returned bad outputs; ``result`` is the recorded failed run."""

    def __init__(self, result: "RunResult"):
        super().__init__(
            f"{result.simulation_name} {result.simulation_version} failed "
            f"(execution {result.execution_id}): {result.error}"
        )
        self.result = result


@dataclass
class RunResult:
    """One run of a simulation: its outputs (with units) and where it is recorded.

    ``from_cache`` says whether it was re-used rather than executed;
    ``pending`` lists what could not be sent to a service and waits in the
    outbox for ``sim2l sync``; ``warnings`` says why.
    """

    simulation_name: str
    simulation_version: str
    execution_id: str | None
    status: str
    inputs: dict
    outputs: dict
    units: dict
    input_hash: str
    cache_key: str
    from_cache: bool = False
    run_db_path: Path | None = None
    duration_seconds: float | None = None
    error: str | None = None
    pending: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    _run_db: object = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """Whether the run completed."""
        return self.status == "completed"

    @property
    def quantities(self) -> dict:
        """``{name: Quantity(value, units)}`` of every output."""
        return {name: Quantity(value, self.units.get(name)) for name, value in self.outputs.items()}

    def __getitem__(self, name):
        return self.outputs[name]

    @property
    def run_db(self):
        """The run's ``RunDatabase`` (opened on first use; ``close()`` closes it)."""
        if self._run_db is None:
            if self.run_db_path is None:
                raise ValueError("this run was not recorded in a run database")
            from sim2l.rundb import RunDatabase

            self._run_db = RunDatabase(path=self.run_db_path, create=False)
        return self._run_db

    def close(self) -> None:
        """Close the run database if it was opened."""
        if self._run_db is not None:
            self._run_db.close()
            self._run_db = None

    def to_dict(self) -> dict:
        """A JSON-able summary (for ``sim2l run --json``)."""
        return {
            "simulation_name": self.simulation_name,
            "simulation_version": self.simulation_version,
            "execution_id": self.execution_id,
            "status": self.status,
            "from_cache": self.from_cache,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "units": self.units,
            "input_hash": self.input_hash,
            "cache_key": self.cache_key,
            "run_db_path": None if self.run_db_path is None else str(self.run_db_path),
            "duration_seconds": self.duration_seconds,
            "error": self.error,
            "pending": list(self.pending),
            "warnings": list(self.warnings),
        }

    def __str__(self):
        source = "cache hit" if self.from_cache else self.status
        shown = ", ".join(f"{name}={quantity}" for name, quantity in self.quantities.items())
        return f"{self.simulation_name} {self.simulation_version} [{source}] {shown}"
