"""Data migrations of the results service."""

import importlib

import orjson
from sim2l_sessions.database import database_from_url
from sim2l_sessions.migrations import migrate


def test_artifact_times_are_rewritten_to_the_one_timestamp_format(database_url):
    database = database_from_url(database_url)
    migrate(database, "sim2l_results_service.migrations")
    marker = database.param
    artifacts = [{"name": "a.dat", "created_at": 1796097600.5}, {"name": "b", "created_at": None}]
    values = [
        "run-1", "sim", "1", "completed", 1.0, 1, 10, "0" * 64, 0, 0, 2,
        "{}", "{}", "{}", orjson.dumps(artifacts).decode(), "[]",
    ]  # fmt: skip
    database.execute_sql(
        "INSERT INTO results_result (execution_id, simulation_name, simulation_version, status, "  # noqa: S608 (only markers)
        "registered_at, schema_version, file_size, sha256, input_count, output_count, "
        "artifact_count, inputs_json, outputs_json, units_json, artifacts_json, schema_keys_json) "
        f"VALUES ({', '.join([marker] * len(values))})",
        values,
    )
    module = importlib.import_module("sim2l_results_service.migrations.0003_rfc3339_artifact_times")
    module.up(database, None)
    (stored,) = database.execute_sql("SELECT artifacts_json FROM results_result").fetchone()
    assert [a["created_at"] for a in orjson.loads(stored)] == ["2026-12-01T04:00:00.500000Z", None]
    database.close()
