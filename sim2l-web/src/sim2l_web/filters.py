"""The runs explorer's filter state, kept in the URL so a view can be bookmarked and shared.

A filter is three query parameters in a row, ``p`` (a column:
``inputs.temperature`` or ``outputs.max_stress``), ``op`` (one of the
search operators) and ``v`` (the value)::

    ?p=inputs.temperature&op=between&v=300,400&p=outputs.max_stress&op=lt&v=2e8

``in`` takes a comma-separated list, ``between`` two values separated by a
comma. Values are read by the column's declared type (numbers as numbers, so
``temperature > 300`` compares numerically). This module has no Flask in
it: it turns query parameters into the results service's
``input_filters``/``output_filters`` and back.
"""

import dataclasses
import math
import urllib.parse

OPERATORS = {
    "eq": "=",
    "ne": "≠",
    "gt": ">",
    "ge": "≥",
    "lt": "<",
    "le": "≤",
    "in": "in",
    "between": "between",
}
CLASSES = {"inputs": "input", "outputs": "output"}
NUMERIC_TYPES = frozenset({"int", "float", "integer", "number", "numeric", "real", "double"})
BOOLEAN_TYPES = frozenset({"bool", "boolean"})
MAX_FILTERS = 20
MAX_IN_VALUES = 100


class FilterError(ValueError):
    """A filter in the URL that cannot be read; the message says which and why."""


@dataclasses.dataclass(frozen=True)
class Filter:
    """One condition: ``column`` (``inputs.x``), ``operator``, ``value`` (typed)."""

    column: str
    operator: str
    value: object

    @property
    def text(self) -> str:
        """The raw value as it goes back into the URL."""
        if self.operator in ("in", "between"):
            return ",".join(_text(item) for item in self.value)
        return _text(self.value)

    def describe(self) -> str:
        """``inputs.temperature between 300 and 400``: for the page's chips."""
        if self.operator == "between":
            return f"{self.column} between {_text(self.value[0])} and {_text(self.value[1])}"
        return f"{self.column} {OPERATORS[self.operator]} {self.text}"


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def split_column(column: str) -> tuple[str, str]:
    """``inputs.temperature`` -> ``("input", "temperature")``; an error for anything else."""
    prefix, _, name = column.partition(".")
    if prefix not in CLASSES or not name:
        raise FilterError(f"unknown column {column!r}: use inputs.NAME or outputs.NAME")
    return CLASSES[prefix], name


def _scalar(raw: str, column: str, kind: str | None):
    raw = raw.strip()
    if raw == "":
        raise FilterError(f"the filter on {column} has an empty value")
    if kind in BOOLEAN_TYPES or (kind is None and raw.lower() in ("true", "false")):
        if raw.lower() not in ("true", "false", "1", "0"):
            raise FilterError(f"{column} is a boolean: use true or false, not {raw!r}")
        return raw.lower() in ("true", "1")
    if kind in NUMERIC_TYPES or kind is None:
        try:
            number = float(raw)
        except ValueError:
            if kind is not None:
                raise FilterError(f"{column} is a number; {raw!r} is not one") from None
            return raw
        if not math.isfinite(number):
            raise FilterError(f"the filter on {column} needs a finite number, not {raw!r}")
        return int(number) if kind in ("int", "integer") and number.is_integer() else number
    return raw


def parse_filter(column: str, operator: str, raw: str, kind: str | None = None) -> Filter:
    """One filter from its three URL parts; ``kind`` is the column's declared type, if known."""
    split_column(column)
    if operator not in OPERATORS:
        raise FilterError(f"unknown operator {operator!r}: use one of {', '.join(OPERATORS)}")
    if operator == "in":
        items = [item for item in raw.split(",") if item.strip()]
        if not items:
            raise FilterError(f"'in' on {column} needs at least one value")
        if len(items) > MAX_IN_VALUES:
            raise FilterError(f"'in' on {column} takes at most {MAX_IN_VALUES} values")
        return Filter(column, operator, tuple(_scalar(item, column, kind) for item in items))
    if operator == "between":
        items = raw.split(",")
        if len(items) != 2:
            raise FilterError(f"'between' on {column} needs two values: low,high")
        low, high = (_scalar(item, column, kind) for item in items)
        if isinstance(low, str) or isinstance(high, str):
            raise FilterError(f"'between' on {column} needs two numbers")
        if low > high:
            low, high = high, low
        return Filter(column, operator, (low, high))
    return Filter(column, operator, _scalar(raw, column, kind))


def parse_filters(args, kinds: dict | None = None) -> list[Filter]:
    """Every filter in a query string's ``p``/``op``/``v`` lists (rows with no column skipped)."""
    kinds = kinds or {}
    columns, operators, values = args.getlist("p"), args.getlist("op"), args.getlist("v")
    if not len(columns) == len(operators) == len(values):
        raise FilterError("each filter needs a column (p), an operator (op) and a value (v)")
    filters = []
    for column, operator, raw in zip(columns, operators, values):
        if not column and not raw.strip():
            continue  # the filter builder's empty row
        filters.append(parse_filter(column, operator, raw, kinds.get(column)))
    if len(filters) > MAX_FILTERS:
        raise FilterError(f"at most {MAX_FILTERS} filters")
    return filters


def search_filters(filters: list[Filter]) -> tuple[dict, dict]:
    """``(input_filters, output_filters)`` in the results service's search format."""
    by_class = {"input": {}, "output": {}}
    for item in filters:
        param_class, name = split_column(item.column)
        conditions = by_class[param_class].setdefault(name, {})
        value = list(item.value) if isinstance(item.value, tuple) else item.value
        if item.operator in conditions and conditions[item.operator] != value:
            raise FilterError(f"{item.column} has two different '{item.operator}' conditions")
        conditions[item.operator] = value
    return by_class["input"], by_class["output"]


def query_pairs(filters: list[Filter]) -> list[tuple[str, str]]:
    """The filters as ``p``/``op``/``v`` query pairs, in order."""
    pairs = []
    for item in filters:
        pairs += [("p", item.column), ("op", item.operator), ("v", item.text)]
    return pairs


def url_with(base: str, pairs: list[tuple[str, str]]) -> str:
    """``base?`` followed by the encoded pairs (no ``?`` when there are none)."""
    query = urllib.parse.urlencode(pairs)
    return f"{base}?{query}" if query else base


def service_sort(sort: str | None) -> str | None:
    """The explorer's sort (``-outputs.max_stress``, ``created_at``) in the service's terms."""
    if not sort:
        return None
    descending = sort.startswith("-")
    key = sort[1:] if descending else sort
    if "." in key:
        param_class, name = split_column(key)
        key = f"{param_class}.{name}"
    elif key not in (
        "created_at",
        "completed_at",
        "registered_at",
        "duration_seconds",
        "execution_id",
    ):
        raise FilterError(f"cannot sort by {key!r}")
    return ("-" if descending else "") + key
