"""Declared inputs and outputs of a simulation, and checking values against them.

``Input("number", units="kelvin", default=300, min=0)`` declares one input;
``Output("number", units="pascal")`` one output. ``validate_inputs()`` turns
what a caller passed into the values a simulation runs with: every input
checked against its rule, defaults filled in, numbers in one canonical type
(an ``integer`` is an ``int``, a ``number`` a ``float``), so the same inputs
always run, hash and store the same way.
"""

import math
from dataclasses import dataclass
from dataclasses import field

# The declared types and the Python names people also write for them.
TYPES = ("number", "integer", "string", "boolean", "list", "dict")
_ALIASES = {
    "float": "number",
    "real": "number",
    "int": "integer",
    "str": "string",
    "text": "string",
    "bool": "boolean",
    "array": "list",
    "object": "dict",
    float: "number",
    int: "integer",
    str: "string",
    bool: "boolean",
    list: "list",
    dict: "dict",
}


class _Required:
    """The default of an input without a default: the caller must give it."""

    def __repr__(self):
        return "REQUIRED"

    def __reduce__(self):
        # Pickled by name, so a declaration shipped to a sweep's worker still
        # holds the one REQUIRED that ``is REQUIRED`` checks compare against.
        return "REQUIRED"


REQUIRED = _Required()


class SimulationDefinitionError(ValueError):
    """A simulation declared wrongly (a bad type, a default that breaks its own rule...)."""


class InputValidationError(ValueError):
    """An input that breaks its declared rule; ``input_name`` and ``rule`` say which."""

    def __init__(self, simulation: str, input_name: str, rule: str, message: str):
        super().__init__(f"{simulation}: input {input_name!r}: {message}")
        self.simulation = simulation
        self.input_name = input_name
        self.rule = rule
        self.detail = message


class OutputValidationError(ValueError):
    """A simulation that returned outputs not matching its declaration."""


def normalise_type(type_) -> str:
    """The canonical name of a declared type (``float`` -> ``"number"``)."""
    key = type_.lower() if isinstance(type_, str) else type_
    canonical = _ALIASES.get(key, key)
    if canonical not in TYPES:
        raise SimulationDefinitionError(
            f"unknown parameter type {type_!r}; use one of {', '.join(TYPES)}"
        )
    return canonical


def _is_number(value) -> bool:
    # bool is an int in Python, but True is not a temperature.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def coerce_value(type_: str, value):
    """``value`` in the canonical Python type of ``type_``, else TypeError or ValueError."""
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        value = value.item()  # numpy scalars
    if type_ == "number":
        if not _is_number(value):
            raise TypeError("must be a number")
        number = float(value)
        if math.isnan(number):
            raise ValueError("must not be NaN")
        return number
    if type_ == "integer":
        if _is_number(value) and float(value).is_integer():
            return int(value)
        raise TypeError("must be an integer")
    if type_ == "string":
        if not isinstance(value, str):
            raise TypeError("must be a string")
        return value
    if type_ == "boolean":
        if not isinstance(value, bool):
            raise TypeError("must be true or false")
        return value
    if type_ == "list":
        if hasattr(value, "tolist"):
            value = value.tolist()
        if not isinstance(value, (list, tuple)):
            raise TypeError("must be a list")
        return list(value)
    if type_ == "dict":
        if not isinstance(value, dict):
            raise TypeError("must be a dict")
        return dict(value)
    raise TypeError(f"unknown type {type_!r}")


@dataclass
class Parameter:
    """What inputs and outputs share: a type, units and a description."""

    type: str = "number"
    units: str | None = None
    description: str = ""

    def __post_init__(self):
        self.type = normalise_type(self.type)

    def schema(self) -> dict:
        """The JSON-able declaration (what the catalog stores)."""
        schema = {"type": self.type}
        if self.units:
            schema["units"] = self.units
        if self.description:
            schema["description"] = self.description
        return schema


@dataclass
class Input(Parameter):
    """One declared input: type, units, default, min, max, options, description."""

    default: object = REQUIRED
    min: float | None = None
    max: float | None = None
    options: list | None = None

    def __init__(
        self,
        type="number",
        units=None,
        default=REQUIRED,
        min=None,
        max=None,
        options=None,
        description="",
    ):
        self.type = type
        self.units = units
        self.description = description
        self.default = default
        self.min = min
        self.max = max
        self.options = list(options) if options is not None else None
        self.__post_init__()

    def __post_init__(self):
        super().__post_init__()
        if (self.min is not None or self.max is not None) and self.type not in (
            "number",
            "integer",
        ):
            raise SimulationDefinitionError(f"min/max apply to numbers, not to {self.type}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise SimulationDefinitionError(f"min {self.min} is greater than max {self.max}")

    @property
    def required(self) -> bool:
        """Whether the caller must give this input (it has no default)."""
        return self.default is REQUIRED

    def check(self, simulation: str, name: str, value):
        """The canonical value of ``value`` for this input, or ``InputValidationError``."""
        try:
            value = coerce_value(self.type, value)
        except (TypeError, ValueError) as error:
            raise InputValidationError(
                simulation, name, "type", f"{error} ({self.type}), got {value!r}"
            ) from None
        if self.min is not None and value < self.min:
            raise InputValidationError(
                simulation, name, "min", f"must be at least {self.min}, got {value!r}"
            )
        if self.max is not None and value > self.max:
            raise InputValidationError(
                simulation, name, "max", f"must be at most {self.max}, got {value!r}"
            )
        if self.options is not None and value not in self.options:
            choices = ", ".join(repr(option) for option in self.options)
            raise InputValidationError(
                simulation, name, "options", f"must be one of {choices}, got {value!r}"
            )
        return value

    def schema(self) -> dict:
        schema = super().schema()
        if not self.required:
            schema["default"] = self.default
        for key in ("min", "max", "options"):
            if getattr(self, key) is not None:
                schema[key] = getattr(self, key)
        return schema


@dataclass
class Output(Parameter):
    """One declared output: type, units, description."""

    def __init__(self, type="number", units=None, description=""):
        self.type = type
        self.units = units
        self.description = description
        self.__post_init__()

    def check(self, simulation: str, name: str, value):
        """The canonical value of a returned output, or ``OutputValidationError``."""
        try:
            return coerce_value(self.type, value)
        except (TypeError, ValueError) as error:
            raise OutputValidationError(
                f"{simulation}: output {name!r} {error} ({self.type}), got {value!r}"
            ) from None


def as_input(spec) -> Input:
    """An ``Input`` from an ``Input``, a dict of its fields, or a bare type."""
    if isinstance(spec, Input):
        return spec
    if isinstance(spec, dict):
        return Input(**spec)
    return Input(spec)


def as_output(spec) -> Output:
    """An ``Output`` from an ``Output``, a dict of its fields, or a bare type."""
    if isinstance(spec, Output):
        return spec
    if isinstance(spec, dict):
        return Output(**spec)
    return Output(spec)


@dataclass
class Declaration:
    """A simulation's inputs and outputs, checked once when it is declared."""

    simulation: str
    inputs: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)

    def __post_init__(self):
        self.inputs = {name: as_input(spec) for name, spec in self.inputs.items()}
        self.outputs = {name: as_output(spec) for name, spec in self.outputs.items()}
        for name, spec in self.inputs.items():
            if not spec.required:
                try:
                    spec.default = spec.check(self.simulation, name, spec.default)
                except InputValidationError as error:
                    raise SimulationDefinitionError(
                        f"the default breaks its own rule: {error}"
                    ) from None

    def validate_inputs(self, given: dict) -> dict:
        """Checked, canonical inputs with defaults filled in, in declaration order."""
        unknown = sorted(set(given) - set(self.inputs))
        if unknown:
            known = ", ".join(self.inputs) or "none"
            raise InputValidationError(
                self.simulation,
                unknown[0],
                "unknown",
                f"is not an input of this simulation (inputs: {known})",
            )
        values = {}
        for name, spec in self.inputs.items():
            if name in given:
                values[name] = spec.check(self.simulation, name, given[name])
            elif spec.required:
                raise InputValidationError(self.simulation, name, "required", "is required")
            else:
                values[name] = spec.default
        return values

    def validate_outputs(self, returned) -> dict:
        """Checked outputs of a simulation's return value (a dict, or the single output)."""
        if len(self.outputs) == 1:
            # One output may be returned bare; a dict is the outputs dict
            # unless the one output is itself a dict.
            (only,) = self.outputs
            is_outputs = isinstance(returned, dict) and (
                self.outputs[only].type != "dict" or set(returned) == {only}
            )
            if not is_outputs:
                returned = {only: returned}
        if not isinstance(returned, dict):
            raise OutputValidationError(
                f"{self.simulation}: the function must return a dict of outputs "
                f"({', '.join(self.outputs)}), got {type(returned).__name__}"
            )
        missing = [name for name in self.outputs if name not in returned]
        extra = sorted(set(returned) - set(self.outputs))
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing output(s) {', '.join(missing)}")
            if extra:
                parts.append(f"undeclared output(s) {', '.join(extra)}")
            raise OutputValidationError(f"{self.simulation}: {'; '.join(parts)}")
        return {
            name: spec.check(self.simulation, name, returned[name])
            for name, spec in self.outputs.items()
        }

    def schema(self) -> dict:
        """``{"inputs": {...}, "outputs": {...}}`` as the catalog stores it."""
        return {
            "inputs": {name: spec.schema() for name, spec in self.inputs.items()},
            "outputs": {name: spec.schema() for name, spec in self.outputs.items()},
        }
