"""The runner without services: declaring, validating, hashing, executing, recording."""

import concurrent.futures
import io
import logging
import multiprocessing
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import sim2l
from sim2l import configure
from sim2l.rundb import RunDatabase
from sim2l.runner import Input
from sim2l.runner import InputValidationError
from sim2l.runner import Output
from sim2l.runner import Simulation
from sim2l.runner import SimulationDefinitionError
from sim2l.runner import SimulationFailedError
from sim2l.runner import SimulationNotFoundError
from sim2l.runner import input_hash
from sim2l.runner import registry

pytest_plugins = ["runner_fixtures"]

# ---------------------------------------------------------------- declaring


def test_decorator_declares_and_registers():
    @sim2l.simulation(
        name="decorated_sim",
        version="2.1.0",
        description="adds",
        tags=["math"],
        inputs={"a": Input("integer", default=1), "b": {"type": "integer", "default": 2}},
        outputs={"total": Output("integer")},
    )
    def add(a, b):
        return a + b

    try:
        assert isinstance(add, Simulation)
        assert sim2l.load("decorated_sim") is add
        assert add.schema() == {
            "inputs": {
                "a": {"type": "integer", "default": 1},
                "b": {"type": "integer", "default": 2},
            },
            "outputs": {"total": {"type": "integer"}},
        }
    finally:
        registry.unregister("decorated_sim")


def test_class_declaration_is_loadable_by_name(run_folder):
    class Doubler(Simulation):
        name = "class_doubler"
        version = "1.0.0"
        inputs = {"x": Input("number")}
        outputs = {"double": Output("number", units="m")}

        def compute(self, x):
            return {"double": 2 * x}

    try:
        result = sim2l.load("class_doubler").run(x=4)
        assert result["double"] == 8.0
        assert result.quantities["double"].units == "m"
    finally:
        registry.unregister("class_doubler")


def test_load_picks_latest_version_or_the_one_asked(make_simulation):
    old, _ = make_simulation(name="versioned_sim", version="1.9.0")
    new, _ = make_simulation(name="versioned_sim", version="1.10.0")
    assert sim2l.load("versioned_sim") is new
    assert sim2l.load("versioned_sim", "1.9.0") is old
    with pytest.raises(SimulationNotFoundError, match="versioned_sim"):
        sim2l.load("versioned_sim", "3.0.0")


def test_examples_load_without_import():
    registry.unregister("thermal_sim")
    assert sim2l.load("thermal_sim").name == "thermal_sim"


def test_unknown_simulation_says_what_is_declared():
    with pytest.raises(SimulationNotFoundError, match="no simulation 'nope'"):
        sim2l.load("nope")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "bad name"}, "invalid simulation name"),
        ({"name": "ok", "inputs": {"x": {"type": "nonsense"}}}, "unknown parameter type"),
        ({"name": "ok", "inputs": {"x": {"type": "string", "min": 1}}}, "min/max apply to numbers"),
        (
            {"name": "ok", "inputs": {"x": {"type": "number", "min": 5, "max": 1}}},
            "greater than max",
        ),
        (
            {"name": "ok", "inputs": {"x": {"type": "number", "default": 0, "min": 1}}},
            "default breaks",
        ),
        ({"name": "ok", "inputs": {"missing": {"type": "number"}}}, "no parameter for input"),
    ],
)
def test_bad_declarations_are_refused(kwargs, message):
    with pytest.raises(SimulationDefinitionError, match=message):
        Simulation(lambda x: {}, register=False, **kwargs)


# ---------------------------------------------------------------- validating


@pytest.mark.parametrize(
    "inputs, name, rule",
    [
        ({}, "x", "required"),
        ({"x": "3"}, "x", "type"),
        ({"x": True}, "x", "type"),
        ({"x": float("nan")}, "x", "type"),
        ({"x": 1001}, "x", "max"),
        ({"x": -1001}, "x", "min"),
        ({"x": 1, "z": 2}, "z", "unknown"),
    ],
)
def test_invalid_inputs_name_the_input_and_rule(make_simulation, run_folder, inputs, name, rule):
    simulation, counter = make_simulation()
    with pytest.raises(InputValidationError) as caught:
        simulation.run(**inputs)
    assert caught.value.input_name == name
    assert caught.value.rule == rule
    assert name in str(caught.value)
    assert counter.calls == 0
    assert not list(run_folder.glob("*.db"))  # nothing recorded for a refused run


def test_options_and_integers():
    simulation = Simulation(
        lambda n, material: {"out": n},
        name="options_sim",
        register=False,
        inputs={"n": Input("integer", default=3), "material": Input("string", options=["a", "b"])},
        outputs={"out": Output("integer")},
    )
    assert simulation.validate(n=4.0, material="a") == {"n": 4, "material": "a"}
    with pytest.raises(InputValidationError, match="one of 'a', 'b'"):
        simulation.validate(material="c")
    with pytest.raises(InputValidationError, match="integer"):
        simulation.validate(n=2.5, material="a")


# ---------------------------------------------------------------- hashing


def test_hash_ignores_order_number_type_and_explicit_defaults(make_simulation):
    simulation, _ = make_simulation()
    reference = simulation.input_hash(x=1, a=2)
    assert simulation.input_hash(a=2.0, x=1.0) == reference
    assert simulation.input_hash(x=1) == reference  # a defaults to 2.0
    assert simulation.input_hash(x=2) != reference


def test_hash_changes_with_version_and_name():
    inputs = {"x": 1.0}
    assert input_hash("sim", "1.0.0", inputs) != input_hash("sim", "1.0.1", inputs)
    assert input_hash("sim", "1.0.0", inputs) != input_hash("other", "1.0.0", inputs)
    assert input_hash("sim", "1.0.0", {"x": [1, 2.0]}) == input_hash(
        "sim", "1.0.0", {"x": [1.0, 2]}
    )
    assert input_hash("sim", "1.0.0", {"d": {"b": 1, "a": 2}}) == input_hash(
        "sim", "1.0.0", {"d": {"a": 2, "b": 1.0}}
    )


def test_cache_key_is_name_version_hash(make_simulation):
    simulation, _ = make_simulation(version="3.2.1")
    key = simulation.cache_key(x=1)
    assert key == f"{simulation.name}/3.2.1/{simulation.input_hash(x=1)}"


# ---------------------------------------------------------------- executing


def test_run_records_everything(make_simulation, run_folder, capsys):
    simulation, counter = make_simulation()
    result = simulation.run(x=3)
    assert counter.calls == 1
    assert result.ok and not result.from_cache
    assert result.outputs == {"y": 6.0}
    assert result.units == {"y": "m"}
    assert str(result.quantities["y"]) == "6.0 m"
    assert result.run_db_path == run_folder / f"{result.execution_id}.db"
    assert "computing 2.0 * 3.0" in capsys.readouterr().out  # printed output still shown

    with RunDatabase(result.execution_id) as run_db:
        summary = run_db.get_summary()
        assert summary["simulation_name"] == simulation.name
        assert summary["status"] == "completed"
        assert summary["input_hash"] == result.input_hash
        assert {i["name"]: i["value"] for i in run_db.get_inputs()} == {"x": 3.0, "a": 2.0}
        outputs = run_db.get_outputs()
        assert outputs[0]["name"] == "y" and outputs[0]["units"] == "m"
        schemas = {(s["direction"], s["name"]): s for s in run_db.get_parameter_schemas()}
        assert schemas["input", "x"]["min_value"] == -1000
        assert schemas["input", "x"]["required"] is True
        assert schemas["input", "a"]["default"] == 2.0
        assert schemas["output", "y"]["units"] == "m"
        logs = run_db.get_logs(source="stdout")
        assert [log["message"] for log in logs] == ["computing 2.0 * 3.0"]
        metrics = {m["name"]: m for m in run_db.get_metrics(category="performance")}
        assert {"wall_time", "cpu_time", "peak_rss"} <= set(metrics)
        assert metrics["peak_rss"]["value"] > 0
        # Python's own peak is traced only when asked (tracing slows the function).
        assert "peak_memory" not in metrics
        assert run_db.get_provenance()[0]["kind"] == "source_code"
        assert run_db.get_environment()["python_version"]
        assert run_db.get_tags() == {"test": None}


def _allocates_and_reports_tracing(size: int = 100_000) -> dict:
    """A simulation that allocates about ``size`` small objects and says whether it was traced."""
    import tracemalloc

    kept = [str(n) for n in range(size)]
    return {"traced": float(tracemalloc.is_tracing()), "kept": float(len(kept))}


@pytest.mark.parametrize("traced", [False, True])
def test_python_memory_is_traced_only_when_asked(run_folder, traced):
    simulation = Simulation(
        _allocates_and_reports_tracing,
        name="tracing_probe",
        inputs={"size": Input("integer", default=100_000)},
        outputs={"traced": Output("number"), "kept": Output("number")},
    )
    configure(trace_python_memory=traced)
    try:
        result = simulation.run_with({}, use_cache=False)
    finally:
        configure(trace_python_memory=None)
    assert result.outputs["traced"] == float(traced)
    with RunDatabase(result.execution_id) as run_db:
        metrics = {m["name"]: m["value"] for m in run_db.get_metrics(category="performance")}
    if traced:
        # 100,000 strings of a few characters: well over a megabyte of Python objects.
        assert metrics["peak_memory"] > 1_000_000
    else:
        assert "peak_memory" not in metrics
    assert metrics["peak_rss"] > 0


def test_logging_and_files_written_are_kept(run_folder):
    def writer(n, context):
        logging.getLogger("my.solver").info("step %d", n)
        logging.getLogger("my.solver").warning("close to the limit")
        with open("result.txt", "w") as handle:
            handle.write(f"n={n}\n")
        (context.workdir / "sub").mkdir()
        (context.workdir / "sub" / "data.bin").write_bytes(b"\x00\x01")
        context.metric("residual", 1e-6, step=n)
        return {"n2": n * n}

    simulation = Simulation(
        writer,
        name="writer_sim",
        register=False,
        inputs={"n": Input("integer")},
        outputs={"n2": Output("integer")},
    )
    result = simulation.run(n=3)
    with result.run_db as run_db:
        messages = [(log["level"], log["message"]) for log in run_db.get_logs(source="my.solver")]
        assert messages == [("INFO", "step 3"), ("WARNING", "close to the limit")]
        artifacts = {a["name"]: a for a in run_db.get_artifacts()}
        assert run_db.read_artifact("result.txt") == b"n=3\n"
        assert artifacts["sub__data.bin"]["description"] == "sub/data.bin"
        assert run_db.get_metrics(name="residual")[0]["step"] == 3
    result.close()


def _folder_sim(leave=None):
    """A simulation that reports its working folder and what it found there."""

    def look(n, context):
        found = sorted(entry.name for entry in context.workdir.iterdir())
        mode = context.workdir.stat().st_mode & 0o777
        if leave:
            leave(context.workdir, n)
        return {"folder": str(context.workdir), "found": ",".join(found), "mode": mode}

    return Simulation(
        look,
        name="folder_sim",
        register=False,
        inputs={"n": Input("integer")},
        outputs={"folder": Output("string"), "found": Output("string"), "mode": Output("integer")},
    )


def test_every_run_starts_in_an_empty_private_folder(run_folder):
    def leave_a_file_on_odd_runs(folder, n):
        if n % 2:
            (folder / f"left-{n}.txt").write_text("x")

    simulation = _folder_sim(leave=leave_a_file_on_odd_runs)
    results = [simulation.run(n=n) for n in range(6)]
    assert all(r.outputs["found"] == "" and r.outputs["mode"] == 0o700 for r in results)
    # What a run leaves becomes its artifact, and that folder is not used again.
    for n in (1, 3, 5):
        with results[n].run_db as run_db:
            assert run_db.read_artifact(f"left-{n}.txt") == b"x"
        assert not Path(results[n].outputs["folder"]).exists()
    # An emptied folder is re-used (a run that left nothing changes nothing).
    assert results[0].outputs["folder"] == results[1].outputs["folder"]
    assert results[2].outputs["folder"] == results[3].outputs["folder"]
    assert results[1].outputs["folder"] != results[3].outputs["folder"]
    for result in results:
        result.close()


def test_a_folder_whose_mode_changed_is_not_reused(run_folder):
    simulation = _folder_sim(leave=lambda folder, n: folder.chmod(0o755) if n == 0 else None)
    first, second = simulation.run(n=0), simulation.run(n=1)
    assert second.outputs["mode"] == 0o700
    assert first.outputs["folder"] != second.outputs["folder"]
    assert not Path(first.outputs["folder"]).exists()


def test_folders_in_use_at_once_are_never_shared(run_folder):
    # Runs in threads each take a folder before they take turns in it.
    from sim2l.runner import workdirs

    held = [workdirs.take_folder() for _ in range(workdirs.POOL_SIZE + 2)]
    assert len(set(held)) == len(held)
    for folder in held:
        workdirs.give_back(folder)
    again = [workdirs.take_folder() for _ in range(workdirs.POOL_SIZE + 2)]
    assert len(set(again)) == len(again)
    assert len(set(again) & set(held)) == workdirs.POOL_SIZE  # the rest were removed
    for folder in again:
        workdirs.give_back(folder)


def _folder_of_a_run_in_a_worker(n: int) -> str:
    return _folder_sim().run(n=n).outputs["folder"]


def test_worker_processes_leave_no_folder_behind(run_folder, tmp_path, monkeypatch):
    # multiprocessing workers leave by os._exit, past atexit: the pool's own
    # finalizer must remove what it kept.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "scratch"))
    (tmp_path / "scratch").mkdir()
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as pool:
        folders = list(pool.map(_folder_of_a_run_in_a_worker, range(6)))
    assert all(folder.startswith(str(tmp_path / "scratch")) for folder in folders)
    assert list((tmp_path / "scratch").iterdir()) == []


def test_a_process_leaves_no_pooled_folder_behind_when_it_exits():
    script = (
        "from sim2l.runner import workdirs\n"
        "folder = workdirs.take_folder()\n"
        "workdirs.give_back(folder)\n"
        "assert folder.is_dir()\n"
        "print(folder)\n"
    )
    answer = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert answer.stdout.strip() and not Path(answer.stdout.strip()).exists()


def test_a_forked_child_never_uses_its_parents_folders(run_folder, tmp_path):
    simulation = _folder_sim()
    parent_folder = simulation.run(n=0).outputs["folder"]  # now pooled in this process
    report = tmp_path / "child.txt"
    pid = os.fork()
    if pid == 0:  # the child: run once, write where it ran, leave without cleanup
        try:
            report.write_text(simulation.run(n=1).outputs["folder"])
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert report.read_text() not in ("", parent_folder)
    assert simulation.run(n=2).outputs["folder"] == parent_folder


def test_context_stores_artifacts_and_checkpoints_on_request(run_folder, tmp_path):
    source = tmp_path / "mesh.vtk"
    source.write_text("mesh")

    def solver(steps, context):
        for step in range(steps):
            context.checkpoint("state", {"step": step}, step=step)
        context.artifact(source, description="the input mesh")
        assert context.execution_id.startswith("context_sim-")
        return {"done": steps}

    simulation = Simulation(
        solver,
        name="context_sim",
        register=False,
        inputs={"steps": Input("integer", default=2)},
        outputs={"done": Output("integer")},
    )
    result = simulation.run()
    with result.run_db as run_db:
        assert [c["state"] for c in run_db.get_checkpoints("state")] == [{"step": 0}, {"step": 1}]
        assert run_db.get_artifact("mesh.vtk")["description"] == "the input mesh"
    result.close()


def test_failed_run_is_recorded_failed_and_raises(make_simulation, run_folder):
    simulation, _ = make_simulation(fail=True)
    with pytest.raises(SimulationFailedError, match="the solver diverged") as caught:
        simulation.run(x=1)
    failed = caught.value.result
    assert failed.status == "failed" and not failed.ok
    with RunDatabase(failed.execution_id) as run_db:
        run = run_db.get_run()
        assert run["status"] == "failed"
        assert "RuntimeError: the solver diverged" in run["error_message"]
        assert "Traceback" in run["traceback"]
        assert run_db.get_logs(level="ERROR")
    # raise_on_failure=False returns it instead
    returned = simulation.run_with({"x": 1}, raise_on_failure=False)
    assert returned.status == "failed" and returned.execution_id != failed.execution_id


@pytest.mark.parametrize(
    "returned, message",
    [
        ({"y": "text"}, "must be a number"),
        ({}, "missing output"),
        ({"y": 1, "extra": 2}, "undeclared output"),
    ],
)
def test_bad_outputs_fail_the_run(run_folder, returned, message):
    simulation = Simulation(
        lambda: returned, name="bad_outputs", register=False, outputs={"y": Output("number")}
    )
    with pytest.raises(SimulationFailedError, match=message):
        simulation.run()


@pytest.mark.parametrize("returned", [{"y": {"mesh": object()}}, {"y": [1, object()]}])
def test_an_output_that_cannot_be_stored_fails_the_run(run_folder, returned):
    """Valid by its declared type, but with no faithful encoding: the run ends failed, saying
    which output, and no output is stored (the file never stays "running")."""
    simulation = Simulation(
        lambda: returned,
        name="unstorable_outputs",
        register=False,
        outputs={"y": Output("dict" if isinstance(returned["y"], dict) else "list")},
    )
    with pytest.raises(SimulationFailedError, match="parameter 'y': cannot store a value of type"):
        simulation.run()
    failed = simulation.run_with({}, raise_on_failure=False)
    assert failed.status == "failed" and failed.outputs == {}
    with RunDatabase(failed.execution_id, read_only=True) as run_db:
        run = run_db.get_run()
        assert run["status"] == "failed"
        assert "parameter 'y'" in run["error_message"]
        assert run_db.get_outputs() == []
        assert "UnsupportedValueError" in run_db.get_logs(level="ERROR")[0]["message"]


def test_a_run_whose_recording_fails_midway_ends_failed_not_running(run_folder, monkeypatch):
    """Whatever step after the start raises (here the disk refusing the metrics), the
    exception reaches the caller and the run file records the run as failed."""

    def refuse(self, metrics):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(RunDatabase, "save_metrics", refuse)
    simulation = Simulation(
        lambda: {"y": 1.0}, name="disk_full", register=False, outputs={"y": Output("number")}
    )
    with pytest.raises(OSError, match="No space left"):
        simulation.run()
    (path,) = run_folder.glob("disk_full-*.db")
    with RunDatabase(path=path, read_only=True) as run_db:
        run = run_db.get_run()
        assert run["status"] == "failed"
        assert "No space left on device" in run["error_message"]


def test_single_output_may_be_returned_bare(run_folder):
    simulation = Simulation(
        lambda x: x + 1,
        name="bare_sim",
        register=False,
        inputs={"x": Input("number")},
        outputs={"y": Output("number")},
    )
    assert simulation.run(x=1).outputs == {"y": 2.0}


def test_without_services_nothing_is_cached(make_simulation, run_folder):
    simulation, counter = make_simulation()
    first = simulation.run(x=1)
    second = simulation.run(x=1)
    assert counter.calls == 2 and not second.from_cache
    assert first.execution_id != second.execution_id
    assert first.pending == [] and first.warnings == []


def test_without_run_database_the_function_just_runs(make_simulation):
    sim2l.configure(use_run_database=False)
    simulation, counter = make_simulation()
    result = simulation.run(x=2)
    assert result.outputs == {"y": 4.0}
    assert result.execution_id is None and result.run_db_path is None


def test_without_run_database_a_context_still_works(tmp_path):
    sim2l.configure(use_run_database=False)

    def with_context(x, context):
        context.metric("m", 1.0)
        context.checkpoint("c", 1)
        with open("scratch.txt", "w") as handle:  # in a temporary working folder
            handle.write("x")
        return {"y": x}

    simulation = Simulation(
        with_context,
        name="unrecorded_context",
        register=False,
        inputs={"x": Input("number")},
        outputs={"y": Output("number")},
    )
    assert simulation.run(x=1).outputs == {"y": 1.0}


def test_examples_thermal_sim(run_folder):
    result = sim2l.load("thermal_sim").run(temperature=350)
    assert result["max_stress"] == pytest.approx(200e9 * 12e-6 * (350 - 293.15))
    assert result.units["max_stress"] == "pascal"
    with result.run_db as run_db:
        assert run_db.read_artifact("profile.csv").startswith(b"position_m,stress_pa\n")
    result.close()


# ---------------------------------------------------------------- sweeps


def test_sweep_grid_with_progress(make_simulation, run_folder):
    simulation, counter = make_simulation()
    stream = io.StringIO()
    results = sim2l.sweep(simulation, grid={"x": [1, 2, 3], "a": [1, 10]}, progress=stream)
    assert [r.outputs["y"] for r in results] == [1, 10, 2, 20, 3, 30]
    assert counter.calls == 6
    lines = stream.getvalue().splitlines()
    assert lines[-1].startswith(f"{simulation.name} sweep [") and "6/6" in lines[-1]


def test_sweep_keeps_going_after_a_failure(run_folder):
    def fragile(x):
        if x == 2:
            raise ValueError("bad point")
        return {"y": x}

    simulation = Simulation(
        fragile,
        name="fragile_sim",
        register=False,
        inputs={"x": Input("number")},
        outputs={"y": Output("number")},
    )
    results = simulation.sweep(points=[{"x": 1}, {"x": 2}, {"x": 3}], progress=False)
    assert [r.status for r in results] == ["completed", "failed", "completed"]
    with pytest.raises(SimulationFailedError):
        simulation.sweep(points=[{"x": 2}], progress=False, stop_on_error=True)


def test_sweep_validates_every_point_first(make_simulation, run_folder):
    simulation, counter = make_simulation()
    with pytest.raises(InputValidationError, match="sweep point 2"):
        sim2l.sweep(simulation, points=[{"x": 1}, {"x": 2}, {"x": 5000}], progress=False)
    assert counter.calls == 0
