"""RunDatabase writers and readers, the context manager, and concurrent readers."""

import subprocess
import sys
import textwrap

import pytest
from sim2l import configure
from sim2l.database import RunDatabase
from sim2l.rundb import InvalidNameError
from sim2l.rundb import RunNotFoundError
from sim2l.rundb import RunStateError


@pytest.fixture
def run(run_folder):
    run_db = RunDatabase("exec-1")
    run_db.initialize_run("thermal_sim", "1.0.0", capture_environment=False)
    yield run_db
    run_db.close()


def test_seed_context_manager_example(run_folder):
    with RunDatabase("exec-2024-001") as run_db:
        run_db.initialize_run("thermal_sim", "1.0.0")
        run_db.save_input("temperature", 350, "number", units="kelvin")
        run_db.save_output("max_stress", 1.5e8, "number", units="pascal")
        run_db.complete_run("completed", duration_seconds=42.5)
    assert (run_folder / "exec-2024-001.db").exists()

    run_db = RunDatabase("exec-2024-001")
    summary = run_db.get_summary()
    assert summary["simulation_name"] == "thermal_sim"
    assert summary["status"] == "completed"
    assert summary["duration_seconds"] == 42.5
    assert run_db.get_inputs()[0]["units"] == "kelvin"
    assert run_db.get_outputs()[0]["value"] == 1.5e8
    assert run_db.get_logs(level="ERROR") == []
    assert run_db.get_artifacts() == []
    assert run_db.get_metrics(category="performance") == []
    run_db.close()


def started(*args, **kwargs) -> None:
    """Create a run file the way a writer does: open it and write to it."""
    with RunDatabase(*args, **kwargs) as run_db:
        run_db.initialize_run("thermal_sim", "1.0.0", capture_environment=False)


def test_default_folder_is_under_sim2l_home(sim2l_home):
    started("exec-home")
    assert (sim2l_home / "runs" / "exec-home.db").exists()


def test_environment_variable_sets_the_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("SIM2L_RUN_DB_BASE_PATH", str(tmp_path / "env"))
    started("exec-env")
    assert (tmp_path / "env" / "exec-env.db").exists()


def test_explicit_path_and_base_path(tmp_path):
    started(path=tmp_path / "exec-p.db")
    with RunDatabase(path=tmp_path / "exec-p.db") as run_db:
        assert run_db.execution_id == "exec-p"
    started("exec-b", base_path=tmp_path / "b")
    assert (tmp_path / "b" / "exec-b.db").exists()


def test_create_false_and_read_only_need_an_existing_file(run_folder):
    with pytest.raises(RunNotFoundError):
        RunDatabase("missing", create=False)
    with pytest.raises(RunNotFoundError):
        RunDatabase("missing", read_only=True)
    assert not (run_folder / "missing.db").exists()


def test_file_of_another_run_is_refused(tmp_path):
    started("exec-a", base_path=tmp_path)
    with pytest.raises(RunStateError):
        RunDatabase("exec-b", path=tmp_path / "exec-a.db")


VALUES = [
    ("integer", 350),
    ("float", 1.5e8),
    ("string", "kelvin"),
    ("true", True),
    ("false", False),
    ("none", None),
    ("list", [1, 2.5, "three", None]),
    ("dict", {"a": [1, {"b": False}]}),
    ("bytes", b"\x00\x01raw"),
    ("big", 2**80),
]


@pytest.mark.parametrize(("name", "value"), VALUES)
def test_inputs_and_outputs_keep_their_type(run, name, value):
    run.save_input(name, value)
    run.save_output(name, value, "custom", units="u", description="d")
    for got in (run.get_input(name), run.get_output(name)):
        assert got == value
        assert type(got) is type(value)
    output = run.get_outputs()[0]
    assert (output["type"], output["units"], output["description"]) == ("custom", "u", "d")


def test_saving_an_input_again_replaces_it(run):
    run.save_input("x", 1)
    run.save_input("x", "one")
    assert run.get_input_values() == {"x": "one"}
    assert run.get_summary()["input_count"] == 1


def test_batch_inputs_outputs_in_every_form(run):
    assert run.save_inputs({"a": 1, "b": 2.5, "c": "s", "d": [1]}) == 4
    run.save_inputs([{"name": "e", "value": True, "units": "flag"}, ("f", None, "null")])
    run.save_outputs([("g", {"k": 1}, "dict", "none", "a dict")])
    assert run.get_input_values() == {"a": 1, "b": 2.5, "c": "s", "d": [1], "e": True, "f": None}
    assert run.get_outputs()[0]["description"] == "a dict"
    summary = run.get_summary()
    assert (summary["input_count"], summary["output_count"]) == (6, 1)


@pytest.mark.parametrize("name", ["", None, 3, "a\x00b", "x" * 1001])
def test_bad_record_names_are_refused(run, name):
    with pytest.raises(InvalidNameError):
        run.save_input(name, 1)
    with pytest.raises(InvalidNameError):
        run.save_inputs({name: 1})


def test_unsupported_value_writes_nothing(run):
    with pytest.raises(TypeError):
        run.save_inputs({"ok": 1, "bad": object()})
    assert run.get_inputs() == []


def test_parameter_schemas(run):
    run.save_parameter_schema(
        "temperature",
        "input",
        type="number",
        units="kelvin",
        min_value=0,
        max_value=1000,
        default=300,
        description="T",
        options=None,
        required=True,
    )
    run.save_parameter_schemas(
        {"outputs": {"mode": {"type": "string", "options": ["a", "b"], "default": "a"}}}
    )
    temperature, mode = run.get_parameter_schemas()
    assert temperature["min_value"] == 0 and temperature["max_value"] == 1000
    assert temperature["default"] == 300 and temperature["required"] is True
    assert mode["options"] == ["a", "b"] and mode["direction"] == "output"
    assert run.get_parameter_schemas("output") == [mode]
    with pytest.raises(ValueError):
        run.save_parameter_schema("x", "sideways")


def test_logs_filter_by_level_and_count(run):
    run.log("info", "starting", source="solver", context={"step": 0})
    run.log("WARN", "slow")
    run.log(40, "broke")  # logging.ERROR
    run.log_many([("DEBUG", "d"), {"level": "critical", "message": "worse", "source": "io"}])
    assert [entry["message"] for entry in run.get_logs(level="ERROR")] == ["broke"]
    assert [entry["level"] for entry in run.get_logs(min_level="WARNING")] == [
        "WARNING",
        "ERROR",
        "CRITICAL",
    ]
    assert run.get_logs(source="solver")[0]["context"] == {"step": 0}
    assert len(run.get_logs(limit=2, offset=1)) == 2
    summary = run.get_summary()
    assert (summary["log_count"], summary["warning_count"], summary["error_count"]) == (5, 1, 2)


@pytest.mark.parametrize("level", ["LOUD", "", None, 3.5])
def test_bad_log_levels_are_refused(run, level):
    with pytest.raises(ValueError):
        run.log(level, "x")


def test_metrics_series_and_categories(run):
    for step in range(3):
        run.save_metric("residual", 1.0 / (step + 1), unit="1", category="performance", step=step)
    run.save_metrics([("memory", 12, "MB", "resources"), {"name": "ok", "value": True}])
    series = run.get_metrics(name="residual")
    assert [(m["step"], m["value"]) for m in series] == [(0, 1.0), (1, 0.5), (2, 1.0 / 3)]
    assert [m["name"] for m in run.get_metrics(category="resources")] == ["memory"]
    assert run.get_summary()["metric_count"] == 5
    with pytest.raises(TypeError):
        run.save_metric("bad", "high")


def test_other_records_round_trip(run):
    run.save_resource_usage(cpu_percent=55.5, memory_bytes=1024, gpu_percent=3, threads=8)
    run.add_provenance("source_code", "git:abc123", description="commit", details={"dirty": False})
    run.add_tag("project", "bridge")
    run.add_tag("reviewed")
    run.add_dependency("run", "exec-0", description="restart from")
    run.add_dependency("file", "/data/mesh.msh", sha256="0" * 64)
    run.record_cell_execution(0, "x = 1", execution_count=1, duration_seconds=0.01)
    run.save_checkpoint("state", {"t": 1.5}, step=10, content=b"binary state")
    run.capture_environment({"scheduler": "slurm"})

    usage = run.get_resource_usage()[0]
    assert usage["cpu_percent"] == 55.5 and usage["extra"] == {"threads": 8}
    assert run.get_provenance()[0]["details"] == {"dirty": False}
    assert run.get_tags() == {"project": "bridge", "reviewed": None}
    assert [d["kind"] for d in run.get_dependencies()] == ["run", "file"]
    assert run.get_cell_executions()[0]["source"] == "x = 1"
    checkpoint = run.get_checkpoints("state")[0]
    assert checkpoint["state"] == {"t": 1.5} and checkpoint["step"] == 10
    with run.open_checkpoint_content(checkpoint["id"]) as stream:
        assert stream.read() == b"binary state"
    environment = run.get_environment()
    assert environment["scheduler"] == "slurm"
    assert "python_version" in environment and "hostname" in environment
    assert environment["packages"]["sim2l-core"] == "1.0.0"
    with pytest.raises(ValueError):
        run.add_dependency("run", "../other")
    with pytest.raises(ValueError):
        run.add_dependency("friend", "x")


def test_status_life_cycle(run):
    with pytest.raises(RunStateError):
        run.initialize_run("thermal_sim", "1.0.0")
    run.set_status("running", "halfway")
    with pytest.raises(ValueError):
        run.set_status("exploded")
    with pytest.raises(ValueError):
        run.complete_run("running")
    run.complete_run("completed")
    summary = run.get_summary()
    assert summary["status"] == "completed"
    assert summary["duration_seconds"] >= 0
    assert [event["status"] for event in run.get_status_events()] == [
        "running",
        "running",
        "completed",
    ]


def test_exception_in_block_marks_failed_and_propagates(run_folder):
    with pytest.raises(ZeroDivisionError), RunDatabase("exec-fail") as run_db:
        run_db.initialize_run("thermal_sim", "1.0.0", capture_environment=False)
        1 / 0  # noqa: B018
    with RunDatabase("exec-fail") as run_db:
        details = run_db.get_run()
        assert details["status"] == "failed"
        assert "ZeroDivisionError" in details["error_message"]
        assert "Traceback" in details["traceback"] and "1 / 0" in details["traceback"]
        assert run_db.get_logs(level="CRITICAL")


def test_normal_exit_never_completes_the_run(run_folder):
    with RunDatabase("exec-open") as run_db:
        run_db.initialize_run("thermal_sim", "1.0.0", capture_environment=False)
    with RunDatabase("exec-open") as run_db:
        assert run_db.get_summary()["status"] == "running"
        assert run_db.get_summary()["completed_at"] is None


def test_summary_counts_everything(run):
    run.save_inputs({f"i{n}": n for n in range(50)})
    run.save_outputs({f"o{n}": n for n in range(20)})
    run.log_many([("INFO", "x")] * 30)
    run.save_artifact("a.txt", content=b"12345")
    summary = run.get_summary()
    assert summary["input_count"] == 50
    assert summary["output_count"] == 20
    assert summary["log_count"] == 30
    assert summary["artifact_count"] == 1
    assert summary["artifact_bytes"] == 5
    assert summary["schema_version"] == 2


def test_snapshot_is_a_single_consistent_file(run, tmp_path):
    run.save_input("x", 1)
    copy = run.snapshot(tmp_path / "copy.db")
    with RunDatabase(path=copy, read_only=True) as snapshot_db:
        assert snapshot_db.get_input_values() == {"x": 1}
    with pytest.raises(FileExistsError):
        run.snapshot(copy)


def test_configure_changes_the_folder_for_new_runs(tmp_path):
    configure(run_db_base_path=str(tmp_path / "custom"))
    started("exec-c")
    assert (tmp_path / "custom" / "exec-c.db").exists()


READER = textwrap.dedent(
    """
    import sys, time
    from sim2l.rundb import RunDatabase
    path = sys.argv[1]
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with RunDatabase(path=path, read_only=True) as run_db:
            summary = run_db.get_summary()
            logs = run_db.get_logs()
            assert len(logs) >= summary["log_count"]
            seen.append(summary["log_count"])
            if summary["status"] == "completed":
                break
    print(min(seen), max(seen), len(seen))
    """
)


def test_second_process_reads_while_the_run_is_written(run_folder):
    run_db = RunDatabase("exec-live")
    run_db.initialize_run("thermal_sim", "1.0.0", capture_environment=False)
    run_db.log("INFO", "first")
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(run_folder / "exec-live.db")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for n in range(3000):
        run_db.log("INFO", f"message {n}")
        if n % 500 == 0:
            run_db.log_many([("DEBUG", "batch")] * 100)
    run_db.complete_run("completed")
    out, err = reader.communicate(timeout=120)
    run_db.close()
    assert reader.returncode == 0, err
    assert "locked" not in err
    first, last, reads = (int(part) for part in out.split())
    assert last == 1 + 3000 + 600
    assert reads >= 1
