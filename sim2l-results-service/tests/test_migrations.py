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


def test_value_rows_get_their_runs_creation_time_and_the_filter_indexes_carry_it(database_url):
    database = database_from_url(database_url)
    migrate(database, "sim2l_results_service.migrations")
    module = importlib.import_module("sim2l_results_service.migrations.0006_value_created_at")
    # Back to the schema before 0006: no created_at in the value rows.
    for index in module.INDEXED_VALUES:
        database.execute_sql(f"DROP INDEX {index}")
    database.execute_sql("ALTER TABLE results_parameter_value DROP COLUMN created_at")
    marker = database.param
    for execution_id, created_at in (("run-1", 1796097600.5), ("run-2", 1796097700.0)):
        values = [
            execution_id, "sim", "1", "completed", created_at, 1.0, 1, 10, "0" * 64, 0, 0, 0,
            "{}", "{}", "{}", "[]", "[]",
        ]  # fmt: skip
        database.execute_sql(
            "INSERT INTO results_result (execution_id, simulation_name, simulation_version, "  # noqa: S608 (only markers)
            "status, created_at, registered_at, schema_version, file_size, sha256, input_count, "
            "output_count, artifact_count, inputs_json, outputs_json, units_json, "
            f"artifacts_json, schema_keys_json) VALUES ({', '.join([marker] * len(values))})",
            values,
        )
    database.execute_sql(
        "INSERT INTO results_parameter_value (result_id, simulation_name, param_class, name, "
        "value_type, num_value, str_value) "
        "SELECT id, 'sim', 'input', 'x', 'float', 1.0, NULL FROM results_result"
    )
    module.up(database, None)
    rows = database.execute_sql(
        "SELECT r.execution_id, v.created_at FROM results_parameter_value v "
        "JOIN results_result r ON r.id = v.result_id ORDER BY r.execution_id"
    ).fetchall()
    assert rows == [("run-1", 1796097600.5), ("run-2", 1796097700.0)]
    if database.param == "?":
        columns = [row[2] for row in database.execute_sql("PRAGMA index_info(results_value_num)")]
    else:
        definition = database.execute_sql(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'results_value_num'"
        ).fetchone()[0]
        columns = definition[definition.index("(") + 1 : definition.rindex(")")].split(", ")
    assert columns == [
        "simulation_name", "param_class", "name", "num_value", "created_at", "result_id",
    ]  # fmt: skip
    database.close()
