"""Reading a run never writes to it; opening a missing run creates nothing; crashed runs show.

Issue 14 ("Run files"): each test here failed before the fix.
"""

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sim2l.database import FileManager
from sim2l.database import ResultsClient
from sim2l.database import RunDatabase
from sim2l.rundb import ArtifactNotFoundError
from sim2l.rundb import RunNotFoundError
from sim2l_sessions import get_session_manager

pytest_plugins = ["runner_fixtures"]


def completed_run(execution_id="exec-2024-001"):
    """The seed's context-manager block: a completed run, duration 42.5."""
    with RunDatabase(execution_id) as run_db:
        run_db.initialize_run("thermal_sim", "1.0.0")
        run_db.save_input("temperature", 350, "number", units="kelvin")
        run_db.save_output("max_stress", 1.5e8, "number", units="pascal")
        run_db.save_artifact("result.csv", content=b"a,b\n1,2\n")
        run_db.complete_run("completed", duration_seconds=42.5)


def file_state(folder: Path) -> dict:
    """Every file in the run folder: name -> (sha256 of the bytes, mtime in ns)."""
    return {
        path.name: (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
        for path in sorted(folder.iterdir())
    }


def runs_list(run_folder: Path) -> str:
    """What ``sim2l runs list`` prints for the run folder."""
    listed = subprocess.run(
        [sys.executable, "-m", "sim2l.cli", "runs", "list"],
        env={**os.environ, "SIM2L_RUN_DB_BASE_PATH": str(run_folder)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    return listed.stdout


@pytest.fixture
def fm(run_folder, tmp_path):
    manager = FileManager(database_url=f"sqlite:///{tmp_path / 'files.db'}")
    yield manager
    manager.close()


# ---------------------------------------------------------------- reading never writes


def test_exporting_a_missing_artifact_is_an_error_and_leaves_the_run_completed(
    run_folder, fm, tmp_path
):
    completed_run()
    before = file_state(run_folder)
    with pytest.raises(ArtifactNotFoundError, match="output.dat"):
        fm.export_run_file("exec-2024-001", "output.dat", tmp_path / "x")
    assert not (tmp_path / "x").exists()
    assert file_state(run_folder) == before
    with RunDatabase("exec-2024-001", read_only=True) as run_db:
        summary = run_db.get_summary()
        assert summary["status"] == "completed"
        assert summary["duration_seconds"] == 42.5
        assert run_db.get_logs(min_level="WARNING") == []
        assert [event["status"] for event in run_db.get_status_events()] == [
            "running",
            "completed",
        ]


def test_interrupting_a_block_that_only_reads_does_not_cancel_the_run(run_folder):
    completed_run()
    before = file_state(run_folder)
    with pytest.raises(KeyboardInterrupt), RunDatabase("exec-2024-001") as run_db:
        assert run_db.get_summary()["status"] == "completed"
        raise KeyboardInterrupt
    with pytest.raises(ValueError), RunDatabase("exec-2024-001") as run_db:
        run_db.get_inputs()
        raise ValueError("a bug in the reading code")
    assert file_state(run_folder) == before
    with RunDatabase("exec-2024-001") as run_db:
        assert run_db.get_summary()["status"] == "completed"
        assert run_db.get_run()["error_message"] is None


def test_an_error_after_the_run_ended_does_not_rewrite_its_ending(run_folder):
    with pytest.raises(RuntimeError), RunDatabase("exec-end") as run_db:
        run_db.initialize_run("thermal_sim", "1.0.0", capture_environment=False)
        run_db.complete_run("completed", duration_seconds=1.0)
        raise RuntimeError("after the end")
    with RunDatabase("exec-end") as run_db:
        assert run_db.get_summary()["status"] == "completed"


def test_a_block_that_started_the_run_still_marks_it_cancelled(run_folder):
    with pytest.raises(KeyboardInterrupt), RunDatabase("exec-int") as run_db:
        run_db.initialize_run("thermal_sim", "1.0.0", capture_environment=False)
        raise KeyboardInterrupt
    with RunDatabase("exec-int") as run_db:
        assert run_db.get_summary()["status"] == "cancelled"


def test_reads_exports_and_listings_leave_the_file_untouched(run_folder, fm, tmp_path):
    completed_run()
    before = file_state(run_folder)
    run_db = RunDatabase("exec-2024-001")  # the seed's "Usage" block, opened read-write
    run_db.get_summary()
    run_db.get_run()
    run_db.get_inputs()
    run_db.get_outputs()
    run_db.get_logs(level="ERROR")
    run_db.get_artifacts()
    run_db.get_metrics(category="performance")
    run_db.get_environment()
    assert run_db.read_artifact("result.csv") == b"a,b\n1,2\n"
    run_db.close()
    assert fm.get_run_files("exec-2024-001")[0]["name"] == "result.csv"
    assert fm.export_run_file("exec-2024-001", "result.csv", tmp_path / "out.csv") is True
    assert fm.get_simulation_files("thermal_sim", "1.0.0")[0]["size"] == 8
    assert "exec-2024-001" in runs_list(run_folder)
    assert file_state(run_folder) == before


def test_the_first_write_after_reading_reopens_for_writing(run_folder):
    completed_run()
    with RunDatabase("exec-2024-001") as run_db:
        assert run_db.get_tags() == {}
        run_db.add_tag("reviewed", "yes")
        assert run_db.get_tags() == {"reviewed": "yes"}
    with RunDatabase("exec-2024-001", read_only=True) as run_db:
        assert run_db.get_tags() == {"reviewed": "yes"}
        assert run_db.get_summary()["status"] == "completed"


# ---------------------------------------------------------------- opening a missing run

TROUBLESHOOTING = """
import os
from sim2l.database import RunDatabase

# Check if database exists
db_path = os.path.expanduser(f"~/.sim2l/runs/{execution_id}.db")
if os.path.exists(db_path):
    print(f"Database exists: {db_path}")
else:
    print(f"Database not found: {db_path}")

# Try to open
try:
    run_db = RunDatabase(execution_id)
    print("Successfully opened run database")
except Exception as e:
    print(f"Error: {e}")
"""


def test_opening_a_missing_run_creates_no_file(run_folder):
    run_db = RunDatabase("exec-2024-01")  # a typo of exec-2024-001
    run_db.close()
    assert not run_folder.exists() or list(run_folder.iterdir()) == []


def test_the_troubleshooting_snippet_leaves_no_file(run_folder, capsys):
    completed_run()
    before = file_state(run_folder)
    namespace = {"execution_id": "exec-2024-01"}
    exec(compile(TROUBLESHOOTING, "<seed block>", "exec"), namespace)  # noqa: S102
    namespace["run_db"].close()
    assert file_state(run_folder) == before
    assert "Database not found" in capsys.readouterr().out


def test_reading_a_missing_run_names_the_id_and_the_path(run_folder):
    run_db = RunDatabase("exec-2024-01")
    expected = str(run_folder / "exec-2024-01.db")
    for read in (run_db.get_summary, run_db.get_inputs, run_db.get_artifacts):
        with pytest.raises(RunNotFoundError) as error:
            read()
        assert "exec-2024-01" in str(error.value) and expected in str(error.value)
    assert not (run_folder / "exec-2024-01.db").exists()


@pytest.mark.parametrize(
    "first_write",
    [
        lambda run: run.initialize_run("thermal_sim", "1.0.0", capture_environment=False),
        lambda run: run.save_input("x", 1),
        lambda run: run.save_outputs({"y": 2}),
        lambda run: run.log("INFO", "hello"),
        lambda run: run.save_metric("m", 1.0),
        lambda run: run.save_artifact("a.txt", content=b"a"),
        lambda run: run.save_checkpoint("c", {"step": 1}),
        lambda run: run.add_tag("t"),
        lambda run: run.add_provenance("source_code", "x"),
        lambda run: run.save_parameter_schema("x", "input", type="number"),
        lambda run: run.save_resource_usage(cpu_percent=1.0),
        lambda run: run.add_dependency("file", "data.csv"),
        lambda run: run.record_cell_execution(0, "1 + 1"),
        lambda run: run.capture_environment(),
    ],
)
def test_every_writer_creates_the_file(run_folder, first_write):
    with RunDatabase("exec-new") as run_db:
        first_write(run_db)
        summary = run_db.get_summary()
    assert summary["execution_id"] == "exec-new"
    connection = sqlite3.connect(run_folder / "exec-new.db")
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    connection.close()


def test_two_processes_creating_one_run_both_end_up_in_the_same_file(run_folder):
    script = textwrap.dedent(
        """
        import sys
        from sim2l.rundb import RunDatabase
        with RunDatabase("exec-race", base_path=sys.argv[1]) as run_db:
            run_db.save_input(sys.argv[2], 1)
        """
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", script, str(run_folder), name])
        for name in ("a", "b", "c")
    ]
    for process in processes:
        assert process.wait(timeout=60) == 0
    with RunDatabase("exec-race", read_only=True) as run_db:
        assert sorted(run_db.get_input_values()) == ["a", "b", "c"]


# ---------------------------------------------------------------- crashed runs

WRITER = textwrap.dedent(
    """
    import sys
    from sim2l.rundb import RunDatabase
    run_db = RunDatabase("exec-crash", base_path=sys.argv[1])
    run_db.initialize_run("thermal_sim", "1.0.0")
    n = 0
    while True:  # until killed
        run_db.save_artifact(f"part-{n % 50}.bin", content=bytes([n % 256]) * 300_000)
        run_db.log("INFO", f"wrote part {n}")
        n += 1
    """
)


def test_a_killed_writer_leaves_a_crashed_run_that_is_whole(run_folder):
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(run_folder)])
    try:
        deadline = time.monotonic() + 60
        while True:
            assert writer.poll() is None, "the writer ended by itself"
            assert time.monotonic() < deadline, "the writer never got going"
            try:
                with RunDatabase("exec-crash", read_only=True) as run_db:
                    summary = run_db.get_summary()
            except RunNotFoundError:
                continue  # not created yet
            if summary["log_count"] >= 20:
                break
        assert summary["status"] == "running"  # alive: not mistaken for crashed
        assert summary["last_seen_at"] is None
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait(timeout=30)
    killed_at = time.time()

    with RunDatabase("exec-crash", read_only=True) as run_db:
        summary = run_db.get_summary()
        assert summary["status"] == "crashed"
        assert summary["started_at"] <= summary["last_seen_at"] <= killed_at
        for artifact in run_db.get_artifacts():
            content = run_db.read_artifact(artifact["name"])
            assert len(content) == artifact["size"] == 300_000
            assert hashlib.sha256(content).hexdigest() == artifact["sha256"]
            assert len(set(content)) == 1
    connection = sqlite3.connect(f"{(run_folder / 'exec-crash.db').as_uri()}?mode=ro", uri=True)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    connection.close()
    line = next(line for line in runs_list(run_folder).splitlines() if "exec-crash" in line)
    assert "crashed" in line and "last seen" in line


def test_a_run_left_open_by_a_live_process_is_running(run_folder):
    run_db = RunDatabase("exec-open")
    run_db.initialize_run("thermal_sim", "1.0.0", capture_environment=False)
    run_db.close()  # closed, not ended: this process still runs it
    with RunDatabase("exec-open", read_only=True) as reader:
        assert reader.get_summary()["status"] == "running"


def test_a_run_whose_process_exited_without_ending_it_is_crashed(run_folder):
    script = textwrap.dedent(
        """
        import sys
        from sim2l.rundb import RunDatabase
        with RunDatabase("exec-gone", base_path=sys.argv[1]) as run_db:
            run_db.initialize_run("thermal_sim", "1.0.0", capture_environment=False)
        """
    )
    subprocess.run([sys.executable, "-c", script, str(run_folder)], check=True, timeout=60)
    with RunDatabase("exec-gone", read_only=True) as run_db:
        summary = run_db.get_summary()
    assert summary["status"] == "crashed"
    assert summary["last_seen_at"] >= summary["started_at"]


def test_a_crashed_run_is_registered_as_crashed_and_its_file_kept(run_folder, services):
    script = textwrap.dedent(
        """
        import sys
        from sim2l.rundb import RunDatabase
        run_db = RunDatabase("exec-reg", base_path=sys.argv[1])
        run_db.initialize_run("thermal_sim", "1.0.0", capture_environment=False)
        run_db.save_input("temperature", 350)
        """
    )
    subprocess.run([sys.executable, "-c", script, str(run_folder)], check=True, timeout=60)
    before = file_state(run_folder)
    session_id = get_session_manager().create_anonymous_session().session_id
    client = ResultsClient(services["results"], session_id=session_id, run_db_base_path=run_folder)
    registered = client.register_result("exec-reg")
    assert registered["execution_id"] == "exec-reg"
    stored = client.get_result("exec-reg")
    assert stored["status"] == "crashed"
    assert "last seen" in stored["error_message"]
    # The run file is as it was (reading a WAL file its writer left open may
    # add SQLite's -wal/-shm beside it; the run file's bytes do not change).
    assert file_state(run_folder)["exec-reg.db"] == before["exec-reg.db"]
    with RunDatabase("exec-reg", read_only=True) as run_db:
        assert run_db.get_run()["error_message"] is None
