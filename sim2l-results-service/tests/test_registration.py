"""Registering runs: idempotency, replacement, the stored file, the results view, deletion."""

import contextlib
import hashlib
import sqlite3
import threading

import pytest
from at_once import run_at_once
from runfiles import copy_of
from runfiles import make_run
from sim2l_results_client import ConflictError
from sim2l_results_client import ForbiddenError
from sim2l_results_client import NotFoundError
from sim2l_service_kit.testing import RFC3339_UTC

INPUTS = {"temperature": 350, "material": "steel", "refine": True, "mesh": [1, 2, 3]}
OUTPUTS = {"max_stress": 1.5e8, "converged": True, "notes": None, "field": {"a": 1.5}}


def test_register_by_path_and_view(client, tmp_path):
    path = make_run(
        tmp_path,
        "run-view",
        INPUTS,
        OUTPUTS,
        units={"temperature": "K", "max_stress": "Pa"},
        artifacts={"output.dat": b"x" * 100},
        schemas={
            "inputs": {
                "temperature": {
                    "type": "number",
                    "units": "K",
                    "min": 0,
                    "max": 1000,
                    "default": 300,
                }
            }
        },
    )
    registered = client.register_result(path)
    assert registered["execution_id"] == "run-view" and registered["created"] is True
    assert registered["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    view = client.get_result("run-view")
    assert view["result_id"] == registered["result_id"]
    assert view["input_params"] == INPUTS and view["output_params"] == OUTPUTS
    assert view["units"] == {"input": {"temperature": "K"}, "output": {"max_stress": "Pa"}}
    assert view["simulation_name"] == "thermal_sim" and view["status"] == "completed"
    assert view["duration_seconds"] == 12.5 and view["username"] == "alice"
    assert [(a["name"], a["size"]) for a in view["artifacts"]] == [("output.dat", 100)]
    times = [view[name] for name in ("created_at", "started_at", "completed_at", "registered_at")]
    times += [registered["registered_at"], view["artifacts"][0]["created_at"]]
    assert all(RFC3339_UTC.match(text) for text in times), times
    item = client.search(simulation_name="thermal_sim")[0]
    assert all(RFC3339_UTC.match(item[name]) for name in ("created_at", "registered_at"))
    schemas = client.parameter_schemas("thermal_sim")
    assert all(
        RFC3339_UTC.match(s["first_seen"]) and RFC3339_UTC.match(s["last_seen"]) for s in schemas
    )
    assert client.get_result("never-registered") is None


def test_register_by_execution_id_uses_the_run_folder(url, tokens, tmp_path):
    from sim2l_results_client import ResultsClient

    make_run(tmp_path / "elsewhere", "run-folder", {"x": 1}, {"y": 2})
    client = ResultsClient(url, session_id=tokens["user"], run_db_base_path=tmp_path / "elsewhere")
    assert client.register_result("run-folder")["execution_id"] == "run-folder"
    with pytest.raises(FileNotFoundError):
        client.register_result("not-there")


def test_reregistration_is_idempotent_and_reads_the_file_once(client, tmp_path, monkeypatch):
    from sim2l_results_service import views

    introspected = []
    real_read = views.read_run_file
    monkeypatch.setattr(
        views, "read_run_file", lambda *args: introspected.append(args) or real_read(*args)
    )
    path = make_run(tmp_path, "run-again", {"x": 1}, {"y": 2})
    first = client.register_result(path)
    second = client.register_result(path)
    assert second["created"] is False and second["result_id"] == first["result_id"]
    assert len(client.search(simulation_name="thermal_sim")) == 1
    # The re-uploads were answered from the sha256 alone, before any introspection.
    assert len(introspected) == 1


def test_different_content_conflicts_unless_replaced_by_admin(client, admin, tmp_path):
    make_run(tmp_path / "a", "run-twice", {"x": 1}, {"y": 2})
    make_run(tmp_path / "b", "run-twice", {"x": 5}, {"y": 6})
    first = client.register_result(tmp_path / "a" / "run-twice.db")
    with pytest.raises(ConflictError) as conflict:
        client.register_result(tmp_path / "b" / "run-twice.db")
    assert conflict.value.details["stored_sha256"] == first["sha256"]
    with pytest.raises(ForbiddenError):
        client.register_result(tmp_path / "b" / "run-twice.db", replace=True)
    assert client.get_result("run-twice")["input_params"] == {"x": 1}
    replaced = admin.register_result(tmp_path / "b" / "run-twice.db", replace=True)
    assert replaced["created"] is True
    assert client.get_result("run-twice")["input_params"] == {"x": 5}
    assert client.search(simulation_name="thermal_sim", input_filters={"x": 1}) == []
    assert [
        r["execution_id"]
        for r in client.search(simulation_name="thermal_sim", input_filters={"x": 5})
    ] == ["run-twice"]
    assert client.get_parameter_stats("thermal_sim", "y")["count"] == 1


def _replace_at_once(client, paths: list) -> list:
    """Send a replacing registration of each path at the same moment; the errors raised."""
    return run_at_once(
        [lambda path=path: client.register_result(path, replace=True) for path in paths]
    )


def test_opposite_replacements_at_once_both_land(
    admin, tmp_path, stored_rows, database_url, monkeypatch
):
    """Two replacements that swap two runs' versions, at the same moment, both land and
    leave the schema counts right: each locks the schema rows it touches in one order,
    so neither waits for the other crosswise. Counting the old schemas out before
    counting the new ones in deadlocked on PostgreSQL (the victim was answered 503 and
    sent again): here both transactions are held until each has begun deleting its old
    run, every round."""
    from sim2l_results_service import registration

    postgres = database_url.startswith("postgresql")
    deleting = []
    if postgres:  # (SQLite runs one write transaction at a time)
        delete_rows, both_deleting = registration._delete_rows, threading.Barrier(2)

        def delete_rows_together(result):
            deleting.append(result.execution_id)
            with contextlib.suppress(threading.BrokenBarrierError):
                both_deleting.wait(timeout=5)
            return delete_rows(result)

        monkeypatch.setattr(registration, "_delete_rows", delete_rows_together)
    inputs = {f"p{n:02d}": float(n) for n in range(40)}
    versions = {"a": "1.0.0", "b": "2.0.0"}
    for name, version in versions.items():
        admin.register_result(make_run(tmp_path, f"swap-{name}", inputs, {}, version=version))
    for round_number in range(4):
        versions = {"a": versions["b"], "b": versions["a"]}
        folder = tmp_path / f"round-{round_number}"
        paths = [
            make_run(folder, f"swap-{name}", inputs, {"round": round_number}, version=version)
            for name, version in versions.items()
        ]
        assert _replace_at_once(admin, paths) == []
    counts = stored_rows(
        "SELECT simulation_version, sum(run_count), count(*) FROM results_parameter_schema "
        "GROUP BY simulation_version ORDER BY simulation_version"
    )
    assert [tuple(row) for row in counts] == [("1.0.0", 41, 41), ("2.0.0", 41, 41)]
    assert admin.get_result("swap-a")["simulation_version"] == versions["a"]
    # Each replacement ran once: none was a deadlock's victim, answered 503 and sent again
    assert len(deleting) == (8 if postgres else 0)


def test_download_returns_the_same_bytes_and_never_overwrites(client, tmp_path, storage_dir):
    path = make_run(tmp_path, "run-file", {"x": 1}, {"y": 2}, artifacts={"a.txt": b"hello"})
    client.register_result(path)
    assert (storage_dir / "run-file.db").is_file()
    target = client.download("run-file", tmp_path / "copy.db")
    assert target.read_bytes() == path.read_bytes()
    with pytest.raises(FileExistsError):
        client.download("run-file", target)
    target.write_bytes(b"old")
    client.download("run-file", target, overwrite=True)
    assert target.read_bytes() == path.read_bytes()
    folder = tmp_path / "downloads"
    folder.mkdir()
    assert client.download("run-file", folder).name == "run-file.db"
    with pytest.raises(NotFoundError):
        client.download("nothing-here", tmp_path / "none.db")
    assert not (tmp_path / "none.db").exists()


def test_delete_needs_admin_and_removes_everything(client, admin, tmp_path, storage_dir):
    path = make_run(tmp_path, "run-delete", {"x": 1, "tag": "a"}, {"y": 2})
    client.register_result(path)
    with pytest.raises(ForbiddenError):
        client.delete_result("run-delete")
    assert admin.delete_result("run-delete") is True
    assert admin.delete_result("run-delete") is False
    assert client.get_result("run-delete") is None
    assert not (storage_dir / "run-delete.db").exists()
    assert client.get_parameter_stats("thermal_sim", "y")["count"] == 0
    assert client.distinct_values("thermal_sim", "tag") == []
    assert client.parameter_schemas("thermal_sim") == []
    # registering it again works
    assert client.register_result(path)["created"] is True


def test_run_file_kept_in_wal_mode_is_uploaded_consistently(client, tmp_path):
    from sim2l.rundb import RunDatabase

    run = RunDatabase("run-open", base_path=tmp_path)
    run.initialize_run("thermal_sim", "1.0.0", capture_environment=False)
    run.save_inputs({"temperature": 300})
    run.save_outputs({"max_stress": 1.0e8})
    run.complete_run()
    try:  # still open: recent commits may sit in the -wal file
        registered = client.register_result(run.path)
    finally:
        run.close()
    assert registered["input_count"] == 1 and registered["output_count"] == 1


def test_bulk_register_with_progress(client, tmp_path, capsys):
    paths = [make_run(tmp_path, f"bulk-{n}", {"n": n}, {"square": n * n}) for n in range(5)]
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"not a database")
    summary = client.bulk_register([*paths, broken], progress=True)
    assert summary["registered"] == 5 and summary["unchanged"] == 0
    assert [f["run"] for f in summary["failed"]] == [str(broken)]
    assert "6/6 runs" in capsys.readouterr().err
    again = client.bulk_register(paths, progress=False)
    assert again["unchanged"] == 5
    assert capsys.readouterr().err == ""


def test_failed_run_is_registered_with_its_status(client, tmp_path):
    path = make_run(tmp_path, "run-failed", {"x": 1}, {}, status="failed")
    client.register_result(path)
    assert [
        r["execution_id"] for r in client.search(simulation_name="thermal_sim", status="failed")
    ] == ["run-failed"]
    assert client.search(simulation_name="thermal_sim", status="completed") == []


def test_schema_version_1_file_is_read(client, tmp_path):
    """A file from an older sim2l-core (schema version 1: no value_number column)."""
    source = make_run(tmp_path / "v2", "run-v1", {"x": 3}, {"y": 4.5})
    path = copy_of(
        source,
        tmp_path / "run-v1.db",
        [
            "DELETE FROM schema_version WHERE version > 1",
            "INSERT OR IGNORE INTO schema_version (version, applied_at) VALUES (1, 0)",
            "ALTER TABLE inputs DROP COLUMN value_number",
            "ALTER TABLE outputs DROP COLUMN value_number",
        ],
    )
    assert (
        sqlite3.connect(path).execute("SELECT max(version) FROM schema_version").fetchone()[0] == 1
    )
    assert client.register_result(path)["created"] is True
    assert client.get_result("run-v1")["output_params"] == {"y": 4.5}
