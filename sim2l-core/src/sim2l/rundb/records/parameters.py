"""Inputs, outputs and their declarations (parameter schemas).

Inputs and outputs are the same kind of record in two tables, so every
operation is written once over a ``table`` and the public calls name it.
"""

import time
from collections.abc import Mapping

from sim2l.rundb.checks import as_number
from sim2l.rundb.checks import check_name
from sim2l.rundb.checks import json_loads_or_none
from sim2l.rundb.checks import json_or_none
from sim2l.rundb.values import UnsupportedValueError
from sim2l.rundb.values import decode_value
from sim2l.rundb.values import encode_value

INPUTS, OUTPUTS = "inputs", "outputs"

# The sim2l type a value suggests when the caller names none.
_TYPE_OF_KIND = {
    "null": "null",
    "bool": "boolean",
    "int": "integer",
    "float": "number",
    "str": "string",
    "bytes": "bytes",
    "list": "list",
    "dict": "dict",
    "array": "array",
}

_VALUE_UPSERT = """
INSERT INTO {table} (name, type, value_kind, value_json, value_number, value_blob,
                     units, description, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET
    type = excluded.type, value_kind = excluded.value_kind, value_json = excluded.value_json,
    value_number = excluded.value_number, value_blob = excluded.value_blob,
    units = excluded.units, description = excluded.description, created_at = excluded.created_at
"""
_UPSERT = {table: _VALUE_UPSERT.format(table=table) for table in (INPUTS, OUTPUTS)}
_SELECT = {
    table: "SELECT name, type, value_kind, value_json, value_blob, units, description, "  # noqa: S608 (constant names)
    f"created_at FROM {table}"
    for table in (INPUTS, OUTPUTS)
}

_SCHEMA_UPSERT = (
    "INSERT OR REPLACE INTO parameter_schemas (direction, name, type, units, min_value, "
    "max_value, description, options_json, required, default_kind, default_json, "
    "default_blob) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _encoded(name, value) -> tuple:
    """``encode_value(value)``; a value that cannot be stored is named by its parameter."""
    try:
        return encode_value(value)
    except UnsupportedValueError as error:
        raise UnsupportedValueError(f"parameter {name!r}: {error}") from None


def _value_row(name, value, type, units, description, now):
    kind, value_json, number, blob = _encoded(name, value)
    return (
        check_name(name),
        type or _TYPE_OF_KIND[kind],
        kind,
        value_json,
        number,
        blob,
        units,
        description,
        now,
    )


def _value_rows(values) -> list[tuple]:
    """Rows for ``{name: value}``, dicts with ``name``/``value``/..., or tuples."""
    now = time.time()
    if isinstance(values, Mapping):
        # The common batch form; inlined because per-row Python work is
        # most of a batch write's cost.
        rows = []
        append = rows.append
        type_of_kind = _TYPE_OF_KIND
        for name, value in values.items():
            if name.__class__ is not str or not name or len(name) > 1000 or "\x00" in name:
                check_name(name)
            value_class = value.__class__
            if value_class is float and value - value == 0.0:  # finite
                append((name, "number", "float", repr(value), value, None, None, None, now))
            elif value_class is int and -(2**53) < value < 2**53:
                append((name, "integer", "int", str(value), value, None, None, None, now))
            else:
                kind, value_json, number, blob = _encoded(name, value)
                append((name, type_of_kind[kind], kind, value_json, number, blob, None, None, now))
        return rows
    rows = []
    for item in values:
        if isinstance(item, Mapping):
            rows.append(
                _value_row(
                    item["name"],
                    item.get("value"),
                    item.get("type"),
                    item.get("units"),
                    item.get("description"),
                    now,
                )
            )
        else:
            rows.append(_value_row(*item, *(None,) * (5 - len(item)), now))
    return rows


def _schema_row(
    name,
    direction,
    type=None,
    units=None,
    min_value=None,
    max_value=None,
    default=None,
    description=None,
    options=None,
    required=False,
) -> tuple:
    """A ``parameter_schemas`` row (the keywords of ``save_parameter_schema``)."""
    if direction not in ("input", "output"):
        raise ValueError(f"direction must be 'input' or 'output', got {direction!r}")
    kind, default_json, _, default_blob = encode_value(default)
    return (
        direction,
        check_name(name),
        type,
        units,
        as_number(min_value, "min_value"),
        as_number(max_value, "max_value"),
        description,
        json_or_none(list(options) if options is not None else None),
        int(bool(required)),
        kind,
        default_json,
        default_blob,
    )


class ParameterRecords:
    """Inputs, outputs and parameter schemas."""

    # ------------------------------------------------------------------ one table, written once

    def _save_value(self, table, name, value, type, units, description) -> None:
        self._write(_UPSERT[table], _value_row(name, value, type, units, description, time.time()))

    def _save_values(self, table, values) -> int:
        return self._write_many(_UPSERT[table], _value_rows(values))

    def _read_values(self, table: str, name: str | None = None) -> list[dict]:
        sql, parameters = _SELECT[table], ()
        if name is not None:
            sql += " WHERE name = ?"
            parameters = (name,)
        rows = self._execute(sql + " ORDER BY rowid", parameters).fetchall()
        return [
            {
                "name": row[0],
                "value": decode_value(row[2], row[3], row[4]),
                "type": row[1],
                "units": row[5],
                "description": row[6],
                "created_at": row[7],
            }
            for row in rows
        ]

    def _read_value(self, table: str, name: str):
        found = self._read_values(table, name)
        if not found:
            raise KeyError(name)
        return found[0]["value"]

    # ------------------------------------------------------------------ the public calls

    def save_input(
        self,
        name: str,
        value,
        type: str | None = None,
        units: str | None = None,
        description: str | None = None,
    ) -> None:
        """Record (or replace) an input value; committed when this returns."""
        self._save_value(INPUTS, name, value, type, units, description)

    def save_output(
        self,
        name: str,
        value,
        type: str | None = None,
        units: str | None = None,
        description: str | None = None,
    ) -> None:
        """Record (or replace) an output value; committed when this returns."""
        self._save_value(OUTPUTS, name, value, type, units, description)

    def save_inputs(self, values) -> int:
        """Record many inputs in one transaction; return how many.

        ``values`` is a mapping ``{name: value}``, or an iterable of dicts with
        ``name``, ``value`` and optional ``type``, ``units``, ``description``,
        or of tuples ``(name, value[, type[, units[, description]]])``.
        """
        return self._save_values(INPUTS, values)

    def save_outputs(self, values) -> int:
        """Record many outputs in one transaction (same forms as ``save_inputs``)."""
        return self._save_values(OUTPUTS, values)

    def get_inputs(self) -> list[dict]:
        """Every input: dicts with name, value, type, units, description, created_at."""
        return self._read_values(INPUTS)

    def get_outputs(self) -> list[dict]:
        """Every output, shaped like ``get_inputs()``."""
        return self._read_values(OUTPUTS)

    def get_input_values(self) -> dict:
        """``{name: value}`` of every input."""
        return {item["name"]: item["value"] for item in self.get_inputs()}

    def get_output_values(self) -> dict:
        """``{name: value}`` of every output."""
        return {item["name"]: item["value"] for item in self.get_outputs()}

    def get_input(self, name: str):
        """The value of one input; ``KeyError`` when there is none."""
        return self._read_value(INPUTS, name)

    def get_output(self, name: str):
        """The value of one output; ``KeyError`` when there is none."""
        return self._read_value(OUTPUTS, name)

    # ------------------------------------------------------------------ parameter schemas

    def save_parameter_schema(
        self,
        name: str,
        direction: str = "input",
        type: str | None = None,
        units: str | None = None,
        min_value=None,
        max_value=None,
        default=None,
        description: str | None = None,
        options=None,
        required: bool = False,
    ) -> None:
        """Declare an input or output: type, units, range, default, options."""
        self._write(
            _SCHEMA_UPSERT,
            _schema_row(
                name,
                direction,
                type,
                units,
                min_value,
                max_value,
                default,
                description,
                options,
                required,
            ),
        )

    def save_parameter_schemas(self, schema: Mapping) -> None:
        """Declare many parameters at once: ``{"inputs": {name: {...}}, "outputs": {...}}``.

        The per-parameter dicts take the keyword arguments of
        ``save_parameter_schema`` (``min``/``max`` are accepted for the range).
        """
        rows = []
        for direction in ("input", "output"):
            for name, spec in (schema.get(direction + "s") or {}).items():
                spec = dict(spec)
                spec.setdefault("min_value", spec.pop("min", None))
                spec.setdefault("max_value", spec.pop("max", None))
                rows.append(_schema_row(name, direction, **spec))
        self._write_many(_SCHEMA_UPSERT, rows)

    def get_parameter_schemas(self, direction: str | None = None) -> list[dict]:
        """Declared parameters (all, or ``"input"``/``"output"`` only)."""
        sql = (
            "SELECT direction, name, type, units, min_value, max_value, description, "
            "options_json, required, default_kind, default_json, default_blob "
            "FROM parameter_schemas"
        )
        parameters = ()
        if direction is not None:
            sql += " WHERE direction = ?"
            parameters = (direction,)
        return [
            {
                "direction": row[0],
                "name": row[1],
                "type": row[2],
                "units": row[3],
                "min_value": row[4],
                "max_value": row[5],
                "description": row[6],
                "options": json_loads_or_none(row[7]),
                "required": bool(row[8]),
                "default": decode_value(row[9], row[10], row[11]) if row[9] else None,
            }
            for row in self._execute(sql + " ORDER BY rowid", parameters).fetchall()
        ]
