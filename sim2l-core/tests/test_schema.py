"""The run file schema: description, version, and migrating older files."""

import sqlite3
from pathlib import Path

import pytest
from sim2l.rundb import SCHEMA_VERSION
from sim2l.rundb import RunDatabase
from sim2l.rundb import SchemaVersionError
from sim2l.rundb.schema import TABLES
from sim2l.rundb.schema import describe

OLD_SCHEMAS = Path(__file__).parent / "old_schemas"


def build_v1_file(path: Path) -> Path:
    """A run file exactly as schema version 1 wrote it."""
    connection = sqlite3.connect(path)
    connection.executescript((OLD_SCHEMAS / "schema_v1.sql").read_text())
    connection.close()
    return path


def test_describe_names_every_table():
    description = describe()
    assert description["schema_version"] == SCHEMA_VERSION
    assert set(TABLES) <= set(description["tables"])
    assert len(TABLES) >= 17


def test_new_file_has_every_table_and_the_version(tmp_path):
    with RunDatabase("exec-1", base_path=tmp_path) as run:
        run.initialize_run("thermal_sim", "1.0.0", capture_environment=False)
    connection = sqlite3.connect(tmp_path / "exec-1.db")
    names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert set(TABLES) <= names
    assert "run_summary" in names
    assert connection.execute("SELECT max(version) FROM schema_version").fetchone()[0] == 2
    connection.close()


def test_opening_a_version_1_file_migrates_it(tmp_path):
    path = build_v1_file(tmp_path / "exec-old.db")
    with RunDatabase("exec-old", path=path) as run:
        summary = run.get_summary()
        assert summary["simulation_name"] == "thermal_sim"
        assert summary["duration_seconds"] == 42.5
        assert summary["input_count"] == 3
        assert summary["output_count"] == 1
        assert summary["log_count"] == 2
        assert summary["error_count"] == 1
        assert summary["artifact_count"] == 1
        assert run.get_input_values() == {"temperature": 350, "enabled": True, "label": "run a"}
        assert run.get_output_values() == {"max_stress": 1.5e8}
        assert run.read_artifact("output.dat") == b"hello"
        # Tables new in version 2 work on the migrated file.
        run.add_dependency("run", "exec-older")
        run.save_checkpoint("state", {"step": 1})
        run.log("ERROR", "another")
        assert run.get_summary()["error_count"] == 2
    connection = sqlite3.connect(path)
    numbers = dict(connection.execute("SELECT name, value_number FROM inputs").fetchall())
    assert numbers == {"temperature": 350.0, "enabled": 1.0, "label": None}
    versions = [row[0] for row in connection.execute("SELECT version FROM schema_version")]
    assert versions == [1, 2]
    connection.close()


def test_read_only_open_of_an_old_file_says_to_migrate(tmp_path):
    path = build_v1_file(tmp_path / "exec-old.db")
    with pytest.raises(SchemaVersionError, match="migrat"):
        RunDatabase("exec-old", path=path, read_only=True)


def test_newer_schema_is_refused(tmp_path):
    with RunDatabase("exec-1", base_path=tmp_path) as run:
        run.initialize_run("thermal_sim", "1.0.0", capture_environment=False)
    connection = sqlite3.connect(tmp_path / "exec-1.db")
    connection.execute("INSERT INTO schema_version VALUES (99, 0, 'future')")
    connection.commit()
    connection.close()
    with pytest.raises(SchemaVersionError, match="newer"):
        RunDatabase("exec-1", base_path=tmp_path)


def test_foreign_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "exec-x.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE something (x)")
    connection.close()
    with pytest.raises(SchemaVersionError, match="not a sim2l run file"):
        RunDatabase("exec-x", path=path)
