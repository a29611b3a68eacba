"""Declaring a simulation: the ``@simulation`` decorator and the ``Simulation`` class.

Either form gives an object with a name, a version, typed inputs and
outputs, and ``.run(**inputs)``::

    @sim2l.simulation(name="thermal_sim", version="1.0.0",
                      inputs={"temperature": Input("number", units="kelvin", default=300)},
                      outputs={"max_stress": Output("number", units="pascal")})
    def thermal_sim(temperature):
        return {"max_stress": 1.2e6 * (temperature - 293.15)}

    class ThermalSim(sim2l.Simulation):
        name = "thermal_sim"
        version = "1.0.0"
        inputs = {...}
        outputs = {...}

        def compute(self, temperature):
            ...

A function (or ``compute``) that takes a parameter called ``context`` is
given the run's ``RunContext`` (working folder, execution id, metrics).
"""

import inspect
import re

from sim2l.runner import registry
from sim2l.runner.engine import run_simulation
from sim2l.runner.hashing import cache_key
from sim2l.runner.hashing import input_hash
from sim2l.runner.parameters import Declaration
from sim2l.runner.parameters import SimulationDefinitionError
from sim2l.runner.portable import reference_to
from sim2l.runner.portable import resolve
from sim2l.runner.sweep import sweep as sweep_simulation

# Names end up in cache keys, execution ids and URLs: keep them plain.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
VERSION_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,49}")


class Simulation:
    """A declared simulation: metadata, typed inputs and outputs, and the code that computes it."""

    name: str | None = None
    version: str = "1.0.0"
    description: str = ""
    tags: tuple = ()
    inputs: dict = {}  # class-level declarations, copied per instance
    outputs: dict = {}

    def __init__(
        self,
        function=None,
        *,
        name=None,
        version=None,
        description=None,
        tags=None,
        inputs=None,
        outputs=None,
        register=True,
    ):
        cls = type(self)
        self.name = name or cls.name or getattr(function, "__name__", None)
        self.version = str(version or cls.version)
        if description is None:
            description = cls.description or (inspect.getdoc(function) if function else "") or ""
        self.description = description
        self.tags = list(tags if tags is not None else cls.tags)
        if function is None:
            if cls.compute is Simulation.compute:
                raise SimulationDefinitionError(
                    f"simulation {self.name!r} needs a function or a compute() method"
                )
            function = self.compute
        self.function = function
        if not isinstance(self.name, str) or not NAME_PATTERN.fullmatch(self.name):
            raise SimulationDefinitionError(
                f"invalid simulation name {self.name!r}: use letters, digits, '.', '_' or '-'"
            )
        if not VERSION_PATTERN.fullmatch(self.version):
            raise SimulationDefinitionError(f"invalid version {self.version!r} for {self.name}")
        self.declaration = Declaration(
            self.name,
            dict(inputs if inputs is not None else cls.inputs),
            dict(outputs if outputs is not None else cls.outputs),
        )
        self.inputs = self.declaration.inputs
        self.outputs = self.declaration.outputs
        self.takes_context = "context" in inspect.signature(function).parameters
        self._check_function_parameters()
        if register:
            registry.register(self)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # A subclass that names itself and computes something is declared on
        # definition, so sim2l.load(name) finds it once its module is imported.
        if cls.__dict__.get("name") and "compute" in cls.__dict__:
            cls()

    def _check_function_parameters(self) -> None:
        parameters = inspect.signature(self.function).parameters
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
            return
        missing = [name for name in self.inputs if name not in parameters]
        if missing:
            raise SimulationDefinitionError(
                f"{self.name}: the function takes no parameter for input(s) {', '.join(missing)}"
            )

    def compute(self, **inputs):
        """Override in a subclass: compute the outputs (a dict) from the inputs."""
        raise NotImplementedError

    def __repr__(self):
        return f"<Simulation {self.name} {self.version}>"

    def __reduce__(self):
        # Pickled as a reference a worker resolves: by name where its module
        # can be imported there, by value (cloudpickle) where it cannot.
        return resolve, (reference_to(self),)

    # Inputs

    def validate(self, **inputs) -> dict:
        """The checked inputs with defaults filled in; ``InputValidationError`` names a bad one."""
        return self.declaration.validate_inputs(inputs)

    def input_hash(self, **inputs) -> str:
        """The canonical hash of this simulation, version and (validated) inputs."""
        return input_hash(self.name, self.version, self.validate(**inputs))

    def cache_key(self, **inputs) -> str:
        """The cache key of a run with these inputs."""
        return cache_key(self.name, self.version, self.input_hash(**inputs))

    def schema(self) -> dict:
        """The input and output declaration as the catalog stores it."""
        return self.declaration.schema()

    # Running

    def run(self, **inputs):
        """Run with these inputs (or return the cached result); returns a ``RunResult``."""
        return run_simulation(self, inputs)

    def run_with(self, inputs: dict, *, use_cache: bool = True, raise_on_failure: bool = True):
        """``run`` with options: ``use_cache=False`` always executes; a failure can be returned."""
        return run_simulation(self, inputs, use_cache=use_cache, raise_on_failure=raise_on_failure)

    def sweep(self, grid=None, points=None, **options):
        """Run over a grid or a list of inputs, here or on workers; see ``sim2l.sweep``."""
        return sweep_simulation(self, grid=grid, points=points, **options)


def simulation(name=None, version="1.0.0", description=None, tags=None, inputs=None, outputs=None):
    """Decorator: declare the function below as a simulation (returns the ``Simulation``)."""
    if callable(name):  # used bare, as @simulation
        return Simulation(name)

    def declare(function):
        return Simulation(
            function,
            name=name,
            version=version,
            description=description,
            tags=tags,
            inputs=inputs or {},
            outputs=outputs or {},
        )

    return declare


def load(name: str, version: str | None = None) -> Simulation:
    """The declared or installed simulation called ``name`` (latest version by default)."""
    return registry.load(name, version)
