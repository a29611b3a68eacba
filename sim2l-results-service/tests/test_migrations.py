"""Data migrations of the results service."""

import importlib
import statistics

import orjson
import pytest
from sim2l_sessions.database import database_from_url
from sim2l_sessions.migrations import migrate


def _insert_run(database, execution_id: str, **columns) -> int:
    """A result row of ``sim`` with what the table requires, and ``columns``; its id."""
    row = {
        "execution_id": execution_id, "simulation_name": "sim", "simulation_version": "1",
        "status": "completed", "registered_at": 1.0, "schema_version": 1, "file_size": 10,
        "sha256": "0" * 64, "input_count": 0, "output_count": 0, "artifact_count": 0,
        "inputs_json": "{}", "outputs_json": "{}", "units_json": "{}", "artifacts_json": "[]",
        "schema_keys_json": "[]", **columns,
    }  # fmt: skip
    marks = ", ".join([database.param] * len(row))
    database.execute_sql(
        f"INSERT INTO results_result ({', '.join(row)}) VALUES ({marks})",  # noqa: S608 (only markers)
        list(row.values()),
    )
    query = f"SELECT id FROM results_result WHERE execution_id = {database.param}"  # noqa: S608
    return database.execute_sql(query, [execution_id]).fetchone()[0]


def test_artifact_times_are_rewritten_to_the_one_timestamp_format(database_url):
    database = database_from_url(database_url)
    migrate(database, "sim2l_results_service.migrations")
    artifacts = [{"name": "a.dat", "created_at": 1796097600.5}, {"name": "b", "created_at": None}]
    _insert_run(
        database, "run-1", artifact_count=2, artifacts_json=orjson.dumps(artifacts).decode()
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
    for execution_id, created_at in (("run-1", 1796097600.5), ("run-2", 1796097700.0)):
        _insert_run(database, execution_id, created_at=created_at)
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


def test_the_running_sums_are_filled_from_the_values_stored_before(database_url):
    """Per version: the count of numbers, their sums of deviations from a shift inside them
    (mean and spread as the values say), and unknown sums where a value is past the bound."""
    database = database_from_url(database_url)
    migrate(database, "sim2l_results_service.migrations")
    module = importlib.import_module("sim2l_results_service.migrations.0007_parameter_sums")
    database.execute_sql("DROP TABLE results_parameter_sums")  # the schema before 0007
    stored = {  # (version, name): the values of its runs (a string is text, None no number)
        ("1", "x"): [1.5, 2.5, 10.0, "text", None],
        ("2", "x"): [1e9 + 0.25, 1e9 + 0.5, 1e9 + 0.125],
        ("1", "y"): [3.0],
        ("2", "y"): [1.7e308, 1.0],
        ("2", "z"): ["only text"],
    }
    marker = database.param
    for (version, name), values in stored.items():
        for n, value in enumerate(values):
            result_id = _insert_run(database, f"{version}-{name}-{n}", simulation_version=version)
            number = value if isinstance(value, float) else None
            text = value if isinstance(value, str) else None
            database.execute_sql(
                "INSERT INTO results_parameter_value (result_id, simulation_name, param_class, "  # noqa: S608 (only markers)
                f"name, value_type, num_value, str_value) VALUES ({marker}, 'sim', 'output', "
                f"{marker}, 'float', {marker}, {marker})",
                [result_id, name, number, text],
            )
    module.up(database, None)
    rows = database.execute_sql(
        "SELECT simulation_version, name, value_count, value_shift, value_sum, value_squares, "
        "squares_peak FROM results_parameter_sums ORDER BY simulation_version, name"
    ).fetchall()
    assert [row[:3] for row in rows] == [("1", "x", 3), ("1", "y", 1), ("2", "x", 3), ("2", "y", 2)]
    for version, name, count, shift, shifted, squares, peak in rows:
        numbers = [value for value in stored[(version, name)] if isinstance(value, float)]
        if name == "y" and version == "2":  # 1.7e308 is past the bound
            assert (shift, shifted, squares, peak) == (None, None, None, None)
            continue
        assert min(numbers) <= shift <= max(numbers) and peak == squares
        assert shift + shifted / count == pytest.approx(statistics.fmean(numbers), rel=1e-15)
        spread = squares - shifted * shifted / count
        assert spread == pytest.approx(statistics.pvariance(numbers) * count, rel=1e-9, abs=1e-12)
    database.close()


def test_the_key_index_is_postgresqls_alone_and_on_the_probes_expression(database_url):
    """``results_value_key`` (0009) indexes the expression ``parameter_key.key_of`` writes:
    if the probes' expression changed, PostgreSQL would stop using the index without a word.
    SQLite probes cheaply without it."""
    from sim2l_results_service.parameter_key import key_of

    database = database_from_url(database_url)
    migrate(database, "sim2l_results_service.migrations")
    module = importlib.import_module("sim2l_results_service.migrations.0009_value_key_index")
    assert f"({key_of('v').replace('v.', '')})" == module.KEY
    if database.param == "?":
        names = database.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index'")
        assert "results_value_key" not in {row[0] for row in names}
    else:
        (definition,) = database.execute_sql(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'results_value_key'"
        ).fetchone()
        assert "md5" in definition and "INCLUDE (param_class, name, value_type" in definition
    database.close()
