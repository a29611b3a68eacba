"""Storing an introspected run: one transaction, batched inserts, idempotent by execution id.

Registering an execution id again with the same file content (same sha256)
returns the stored result unchanged. Different content is a 409 conflict,
unless the caller asks to replace it (which needs ``delete_results`` too,
since it discards what was stored): the old rows go and the new ones come in
the same transaction, and the stored file is swapped by an atomic rename as
the transaction's last step, so a failure leaves the previous state. The
running sums of the numeric values that the statistics read
(``results_parameter_sums``) change in the same transaction, after the other rows.
"""

import hashlib
import json
import math
import time
from pathlib import Path

import orjson
import peewee
from sim2l_service_kit import format_timestamp
from sim2l_service_kit.database import write_transaction

from sim2l_results_service.models import Result
from sim2l_results_service.models import database_proxy
from sim2l_results_service.models import execute
from sim2l_results_service.models import insert_many
from sim2l_results_service.runfile import Limits
from sim2l_results_service.runfile import RunRecord
from sim2l_results_service.runfile import ValueReader
from sim2l_results_service.running_sums import update_sums
from sim2l_results_service.storage import RunFileStore
from sim2l_results_service.storage import discard

_SCHEMA_KEYS = (
    "type",
    "units",
    "min_value",
    "max_value",
    "default",
    "description",
    "options",
    "required",
)
_DUMPS_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY


class RegistrationConflict(Exception):
    """The execution id is registered with different content."""

    def __init__(self, existing: Result):
        super().__init__(
            f"execution {existing.execution_id!r} is already registered with different content"
        )
        self.existing = existing


def _dumps(value) -> str:
    try:
        return orjson.dumps(value, option=_DUMPS_OPTIONS).decode()
    except orjson.JSONEncodeError:
        # orjson stops at 64-bit integers; a run may hold bigger ones, kept
        # with every digit by the standard encoder (same key order, and
        # non-finite floats as null as orjson writes them).
        return json.dumps(_finite(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _finite(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(child) for key, child in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(child) for child in value]
    return value


def stored_artifacts(artifacts: list[dict]) -> list[dict]:
    """The artifacts as answers show them: times in the one timestamp format."""
    return [
        {**artifact, "created_at": format_timestamp(artifact["created_at"])}
        for artifact in artifacts
    ]


def summary(result: Result, created: bool) -> dict:
    """What ``POST /results`` answers."""
    return {
        "result_id": result.id,
        "execution_id": result.execution_id,
        "created": created,
        "simulation_name": result.simulation_name,
        "simulation_version": result.simulation_version,
        "status": result.status,
        "sha256": result.sha256,
        "file_size": result.file_size,
        "input_count": result.input_count,
        "output_count": result.output_count,
        "artifact_count": result.artifact_count,
        "registered_at": format_timestamp(result.registered_at),
    }


def _schema_entries(record: RunRecord) -> list[tuple[str, str, dict]]:
    """``(param_class, name, schema)`` of every declared or recorded parameter."""
    entries = {}
    for declared in record.schemas:
        entries[(declared["param_class"], declared["name"])] = {
            key: declared[key] for key in _SCHEMA_KEYS
        }
    for parameter in record.parameters:
        key = (parameter.param_class, parameter.name)
        schema = entries.setdefault(key, dict.fromkeys(_SCHEMA_KEYS))
        # A value's own type and units fill what the declaration left out.
        if schema["type"] is None:
            schema["type"] = parameter.declared_type
        if schema["units"] is None:
            schema["units"] = parameter.units
        if schema["description"] is None:
            schema["description"] = parameter.description
        if schema["required"] is None:
            schema["required"] = False
    return [(param_class, name, schema) for (param_class, name), schema in sorted(entries.items())]


def _result_row(
    record: RunRecord, execution_id: str, sha256: str, size: int, registered_by, schema_keys: list
) -> dict:
    meta = record.metadata
    now = time.time()
    inputs = {p.name: p.value for p in record.parameters if p.param_class == "input"}
    outputs = {p.name: p.value for p in record.parameters if p.param_class == "output"}
    units = {
        "input": {
            p.name: p.units for p in record.parameters if p.param_class == "input" and p.units
        },
        "output": {
            p.name: p.units for p in record.parameters if p.param_class == "output" and p.units
        },
    }
    return {
        "execution_id": execution_id,
        "simulation_name": meta["simulation_name"],
        "simulation_version": meta["simulation_version"],
        "status": meta["status"],
        "description": meta["description"],
        "username": meta["username"],
        "input_hash": meta["input_hash"],
        # never NULL, so time order is the same on both backends and in every plan
        "created_at": meta["created_at"] if meta["created_at"] is not None else now,
        "started_at": meta["started_at"],
        "completed_at": meta["completed_at"],
        "duration_seconds": meta["duration_seconds"],
        "error_message": meta["error_message"],
        "registered_at": now,
        "registered_by": registered_by,
        "schema_version": record.schema_version,
        "file_size": size,
        "sha256": sha256,
        "input_count": len(inputs),
        "output_count": len(outputs),
        "artifact_count": len(record.artifacts),
        "inputs_json": _dumps(inputs),
        "outputs_json": _dumps(outputs),
        "units_json": _dumps(units),
        "artifacts_json": _dumps(stored_artifacts(record.artifacts)),
        "schema_keys_json": _dumps(schema_keys),
    }


def _value_rows(record: RunRecord, result_id: int, created_at: float, reader: ValueReader):
    """The index rows of a run, one at a time; large lists and dicts are read again.

    Each carries the run's ``created_at``: searches take the newest matches
    of a filter from its index alone (migration 0006).
    """
    simulation = record.metadata["simulation_name"]
    for p in record.parameters:
        # json_value only for values that have neither a number nor an indexed string
        json_value = None
        if p.indexed_json:
            whole = reader.value(p.param_class, p.name) if p.truncated else p.value
            json_value = _dumps(whole)
        yield (
            result_id,
            simulation,
            p.param_class,
            p.name,
            p.value_type,
            p.num_value,
            p.str_value,
            json_value,
            created_at,
        )


def _numbers(record: RunRecord) -> list[tuple]:
    """The run's numeric values as ``update_sums`` takes them (those its value rows hold)."""
    meta = record.metadata
    return [
        (meta["simulation_name"], meta["simulation_version"], p.param_class, p.name, p.num_value)
        for p in record.parameters
        if p.num_value is not None
    ]


_VALUE_COLUMNS = (
    "result_id",
    "simulation_name",
    "param_class",
    "name",
    "value_type",
    "num_value",
    "str_value",
    "json_value",
    "created_at",
)
_SCHEMA_COLUMNS = (
    "simulation_name",
    "simulation_version",
    "param_class",
    "name",
    "fingerprint",
    "schema_json",
    "run_count",
    "first_seen",
    "last_seen",
)


def _count_schemas(
    simulation: str, version: str, entries: list, now: float, removed: Result | None = None
) -> list:
    """Count a run's parameter schemas in, and the ``removed`` run's out; return the run's keys.

    One upsert of every row either touches, in the order of their keys, each
    carrying its change of ``run_count`` (+1 counted in, -1 counted out, 0
    both): rows are locked in one order, so two registrations (a replacement
    that swaps two runs' versions and the opposite one, say) never wait for
    each other crosswise on PostgreSQL. Counting out before counting in took
    the two sets' locks in two passes, and such a pair deadlocked. A row
    counted out only is never new (its run counted it in), so what the
    upsert would insert for it is a placeholder; rows left at 0 go.
    """
    keys, changes = [], {}
    for param_class, name, schema in entries:
        text = _dumps(schema)
        fingerprint = hashlib.sha256(text.encode()).hexdigest()
        keys.append([param_class, name, fingerprint])
        changes[(simulation, version, param_class, name, fingerprint)] = [text, 1]
    if removed is not None:
        for param_class, name, fingerprint in orjson.loads(removed.schema_keys_json):
            key = (removed.simulation_name, removed.simulation_version, param_class, name)
            changes.setdefault((*key, fingerprint), ["null", 0])[1] -= 1
    rows = [(*key, text, change, now, now) for key, (text, change) in sorted(changes.items())]
    insert_many(
        "results_parameter_schema",
        _SCHEMA_COLUMNS,
        rows,
        " ON CONFLICT (simulation_name, simulation_version, param_class, name, fingerprint) "
        "DO UPDATE SET run_count = results_parameter_schema.run_count + excluded.run_count, "
        "last_seen = CASE WHEN excluded.run_count < 0 THEN results_parameter_schema.last_seen "
        "ELSE excluded.last_seen END",
    )
    if removed is not None:
        execute(
            "DELETE FROM results_parameter_schema WHERE simulation_name = ? AND run_count <= 0",
            (removed.simulation_name,),
        )
    return keys


_RESULT_FIELDS = tuple(Result._meta.sorted_field_names)


def find_result(execution_id: str) -> Result | None:
    """The stored result of ``execution_id`` (one plain SELECT), or None."""
    row = execute(
        f"SELECT {', '.join(_RESULT_FIELDS)} FROM results_result "  # noqa: S608 (fixed SQL)
        "WHERE execution_id = ?",
        (execution_id,),
    ).fetchone()
    return None if row is None else Result(**dict(zip(_RESULT_FIELDS, row)))


def registered_with_content(sha256: str, execution_id: str | None) -> Result | None:
    """The result whose stored file has exactly these bytes (and this execution id, if given).

    The cheap idempotency check: a re-upload of a registered file is answered
    from this one indexed SELECT, before anything reads the upload.
    """
    sql = f"SELECT {', '.join(_RESULT_FIELDS)} FROM results_result WHERE sha256 = ?"  # noqa: S608 (fixed SQL)
    params = [sha256]
    if execution_id is not None:
        sql += " AND execution_id = ?"
        params.append(execution_id)
    row = execute(sql + " LIMIT 1", params).fetchone()
    return None if row is None else Result(**dict(zip(_RESULT_FIELDS, row)))


def _insert_result(row: dict) -> int:
    columns = list(row)
    cursor = execute(
        f"INSERT INTO results_result ({', '.join(columns)}) "  # noqa: S608 (fixed SQL)
        f"VALUES ({', '.join('?' * len(columns))}) RETURNING id",
        [row[column] for column in columns],
    )
    return cursor.fetchone()[0]


def _delete_rows(result: Result) -> list:
    """Delete a run's rows; return its numbers, for ``update_sums`` to take out.

    Its schemas are counted out by ``_count_schemas``, with whatever the
    transaction counts in, in one pass.
    """
    # The values go explicitly (PostgreSQL cascades, but a SQLite connection
    # without foreign_keys=ON would not), and the DELETE returns the numbers.
    deleted = execute(
        "DELETE FROM results_parameter_value WHERE result_id = ? "
        "RETURNING param_class, name, num_value",
        (result.id,),
    ).fetchall()
    execute("DELETE FROM results_result WHERE id = ?", (result.id,))
    return [
        (result.simulation_name, result.simulation_version, *row)
        for row in deleted
        if row[2] is not None
    ]


def register_run(
    record: RunRecord,
    upload: Path,
    sha256: str,
    size: int,
    execution_id: str,
    store: RunFileStore,
    registered_by=None,
    replace: bool = False,
) -> tuple[Result, bool]:
    """Store ``record`` and move ``upload`` into place; return ``(result, created)``.

    The upload is consumed: moved into the store, or deleted when nothing is stored.
    """
    try:
        existing = find_result(execution_id)
        if existing is not None:
            if existing.sha256 == sha256:
                return existing, False
            if not replace:
                raise RegistrationConflict(existing)
        database = database_proxy.obj
        try:
            with database.atomic():
                removed = _delete_rows(existing) if existing is not None else []
                row = _result_row(record, execution_id, sha256, size, registered_by, [])
                row["schema_keys_json"] = _dumps(
                    _count_schemas(
                        row["simulation_name"],
                        row["simulation_version"],
                        _schema_entries(record),
                        row["registered_at"],
                        removed=existing,
                    )
                )
                result_id = _insert_result(row)
                with ValueReader(upload, record.limits or Limits()) as reader:
                    insert_many(
                        "results_parameter_value",
                        _VALUE_COLUMNS,
                        _value_rows(record, result_id, row["created_at"], reader),
                    )
                # After every other row: the sums' row locks come last (see update_sums).
                update_sums(removed, _numbers(record))
                # Last step inside the transaction: if the rename fails, nothing is stored.
                store.install(upload, execution_id)
        except peewee.IntegrityError:
            # A concurrent registration of the same execution id won the race.
            winner = find_result(execution_id)
            if winner is None:
                raise
            if winner.sha256 == sha256:
                return winner, False
            raise RegistrationConflict(winner) from None
        return Result(id=result_id, **row), True
    finally:
        discard(upload)


def delete_result(execution_id: str, store: RunFileStore) -> bool:
    """Delete a result, its values and its stored file; False when it does not exist."""
    with write_transaction(database_proxy):
        existing = find_result(execution_id)
        if existing is None:
            return False
        removed = _delete_rows(existing)
        name, version = existing.simulation_name, existing.simulation_version
        _count_schemas(name, version, [], time.time(), removed=existing)
        update_sums(removed, [])
    store.remove(execution_id)
    return True
