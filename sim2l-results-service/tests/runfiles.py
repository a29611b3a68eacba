"""Run files for the tests: real ones from sim2l-core's RunDatabase, hostile ones by hand."""

import sqlite3
from pathlib import Path

from sim2l.rundb import RunDatabase


def make_run(
    base_path,
    execution_id: str,
    inputs: dict,
    outputs: dict,
    *,
    simulation="thermal_sim",
    version="1.0.0",
    status="completed",
    duration=12.5,
    schemas=None,
    artifacts=None,
    units=None,
) -> Path:
    """A completed run file at ``{base_path}/{execution_id}.db``, written by sim2l-core."""
    units = units or {}
    with RunDatabase(execution_id, base_path=base_path) as run:
        run.initialize_run(simulation, version, username="alice", capture_environment=False)
        if schemas:
            run.save_parameter_schemas(schemas)
        run.save_inputs(
            [
                {"name": name, "value": value, "units": units.get(name)}
                for name, value in inputs.items()
            ]
        )
        run.save_outputs(
            [
                {"name": name, "value": value, "units": units.get(name)}
                for name, value in outputs.items()
            ]
        )
        for name, content in (artifacts or {}).items():
            run.save_artifact(name, content=content, content_type="text/plain")
        if status in ("completed", "failed", "cancelled", "timeout"):
            run.complete_run(status, duration_seconds=duration)
        path = run.path
    return path


def copy_of(source: Path, target: Path, edit_sql: list[str] | None = None) -> Path:
    """A byte copy of a run file, optionally edited with raw SQL (to craft hostile files)."""
    target.write_bytes(source.read_bytes())
    if edit_sql:
        connection = sqlite3.connect(target)
        for statement in edit_sql:
            connection.execute(statement)
        connection.commit()
        connection.execute("PRAGMA journal_mode=DELETE")
        connection.close()
    return target


def plain_sqlite(path: Path, statements: list[str]) -> Path:
    """A SQLite file holding whatever ``statements`` create."""
    connection = sqlite3.connect(path)
    for statement in statements:
        connection.execute(statement)
    connection.commit()
    connection.close()
    return path
