"""Sweeps fanned out to worker processes: a process pool and a real Dask ``LocalCluster``.

The simulations come from ``sweep_simulations`` (an importable module, as a
user's would be); each execution appends a line to a journal file, so a test
counts what ran, and where, across processes. Services are the real three,
in this process on SQLite and on PostgreSQL.
"""

import concurrent.futures
import json
import multiprocessing
import os
import select
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import dask
import distributed
import pytest
import sim2l
from runner_support import configure_services
from sim2l.database import CacheClient
from sim2l.database import CatalogClient
from sim2l.database import ResultsClient
from sim2l.rundb import RunDatabase
from sim2l.runner import SimulationFailedError
from sim2l.runner import SweepResults
from sim2l.runner.portable import reference_to
from sim2l.runner.progress import progress_display
from sim2l.settings import get_settings
from sim2l.settings import settings_in_force
from sim2l_sessions import get_session_manager
from sweep_simulations import journal_counts
from sweep_simulations import sweep_crash
from sweep_simulations import sweep_square

pytest_plugins = ["runner_fixtures"]

TESTS = Path(__file__).parent
PROCESS_TIMEOUT = 120  # seconds any subprocess of these tests may take


@pytest.fixture(scope="module")
def dask_client(tmp_path_factory):
    """A real Dask cluster: a scheduler and two worker processes on 127.0.0.1, one thread each.

    The dashboard gets a free port: Dask's default 8787 may be taken by another
    cluster on this machine, and Dask's warning about it is an error here. The
    scheduler's and workers' scratch space is the test's own folder, not
    ``dask-scratch-space`` left in /tmp.
    """
    with (
        dask.config.set({"temporary-directory": str(tmp_path_factory.mktemp("dask"))}),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.wait_for_workers(2, timeout=60)
        yield client


@pytest.fixture
def spawn_pool():
    """A process pool whose workers share nothing with this process but what is sent to them."""
    with concurrent.futures.ProcessPoolExecutor(
        2, mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        yield pool


@pytest.fixture
def session_id():
    return get_session_manager().create_anonymous_session(privileges=["developer"]).session_id


@pytest.fixture(params=["workers", "dask"])
def fan_out(request):
    """The two ways to fan out: ``workers=2`` (a pool the sweep owns) and a Dask Client."""
    if request.param == "workers":
        return {"workers": 2}
    return {"executor": request.getfixturevalue("dask_client")}


def points(xs, journal, **extra) -> list[dict]:
    return [{"x": x, "journal": str(journal), **extra} for x in xs]


def run_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.db"))


def assert_intact(path: Path) -> dict:
    """A run file that SQLite finds intact and that records a finished run; its summary."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok", path
    finally:
        connection.close()
    with RunDatabase(path=path, read_only=True) as run_db:
        summary = run_db.get_summary()
        summary["inputs"] = run_db.get_input_values()
    assert summary["status"] in ("completed", "failed"), summary
    return summary


class CountingPool(concurrent.futures.ProcessPoolExecutor):
    """A real process pool that also remembers the inputs of every task submitted to it.

    Its workers start from a fork server, as sim2l's own pools do: a plain
    fork of this process, whose in-process services run threads that may
    hold SQLite's locks at that moment, once left a worker blocked for good
    in ``sqlite3.connect`` (CI, ``test_a_cached_point_never_reaches_a_worker``).
    """

    def __init__(self, max_workers: int):
        super().__init__(max_workers, mp_context=multiprocessing.get_context("forkserver"))
        self.submitted = []

    def submit(self, function, *args, **kwargs):
        self.submitted.append(args[1]["x"])  # run_point(reference, inputs, ...)
        return super().submit(function, *args, **kwargs)


# ---------------------------------------------------------------- where points run


def test_workers_run_the_points_in_other_processes_and_return_them_in_order(
    fan_out, run_folder, tmp_path
):
    journal = tmp_path / "journal.txt"
    results = sim2l.sweep(sweep_square, points=points(range(8), journal), progress=False, **fan_out)
    assert isinstance(results, SweepResults) and not results.interrupted
    assert [result["y"] for result in results] == [x * x for x in range(8)]
    assert all(result.ok and not result.from_cache for result in results)
    assert os.getpid() not in {result["pid"] for result in results}
    # Each point wrote its run file into the caller's run folder.
    assert {result["run_folder"] for result in results} == {str(run_folder)}
    assert sorted(run_files(run_folder)) == sorted(result.run_db_path for result in results)
    for result in results:
        assert assert_intact(result.run_db_path)["execution_id"] == result.execution_id
    assert journal_counts(journal) == {float(x): 1 for x in range(8)}


def test_a_pool_started_before_configure_runs_with_the_callers_settings(spawn_pool, tmp_path):
    # The pool's processes exist before configure() and share no memory with
    # this one: the settings can only have travelled with the points.
    spawn_pool.submit(os.getpid).result(timeout=60)
    folder = tmp_path / "configured-runs"
    sim2l.configure(run_db_base_path=folder, cache_service_url="http://127.0.0.1:9/")
    results = sim2l.sweep(
        sweep_square,
        points=points([1, 2], tmp_path / "journal.txt"),
        executor=spawn_pool,
        progress=False,
        use_cache=False,  # nothing listens on that cache URL
    )
    assert [result["run_folder"] for result in results] == [str(folder)] * 2
    assert [result["cache_url"] for result in results] == ["http://127.0.0.1:9"] * 2
    assert len(run_files(folder)) == 2


def test_a_simulation_no_worker_can_import_travels_by_value(
    make_simulation, spawn_pool, dask_client, run_folder
):
    # Declared inside a function (and counted by a closure): no worker can import it.
    simulation, _ = make_simulation()
    for executor in (spawn_pool, dask_client):
        results = sim2l.sweep(
            simulation, grid={"x": [1, 2, 3], "a": [10]}, executor=executor, progress=False
        )
        assert [result["y"] for result in results] == [10, 20, 30]


def test_a_simulation_whose_function_refers_to_it_is_sent_without_recursing(run_folder):
    declared = {}

    def scaled(x):
        # Reads its own declaration: pickling the function pickles the simulation.
        return {"y": x * len(declared["simulation"].inputs)}

    declared["simulation"] = simulation = sim2l.Simulation(
        scaled,
        name="self_referring_sim",
        register=False,
        inputs={"x": sim2l.Input("number")},
        outputs={"y": sim2l.Output("number")},
    )
    reference = reference_to(simulation)
    assert reference.by_value and reference.module is None
    results = sim2l.sweep(simulation, grid={"x": [1, 2]}, workers=2, progress=False)
    assert [result["y"] for result in results] == [1, 2]


def test_settings_in_force_pins_the_settings_of_one_block(tmp_path):
    sim2l.configure(run_db_base_path=tmp_path / "process")
    pinned = sim2l.configure(run_db_base_path=tmp_path / "pinned")
    sim2l.configure(run_db_base_path=tmp_path / "process")
    with settings_in_force(pinned):
        assert get_settings().run_db_base_path == tmp_path / "pinned"
    assert get_settings().run_db_base_path == tmp_path / "process"
    with pytest.raises(TypeError, match="takes a Settings"), settings_in_force({"x": "y"}):
        pass


def test_bad_fan_out_arguments_are_refused(run_folder):
    with pytest.raises(TypeError, match="workers= or executor="):
        sim2l.sweep(sweep_square, points=[{"x": 1}], workers=2, executor=object())
    with pytest.raises(ValueError, match="workers must be"):
        sim2l.sweep(sweep_square, points=[{"x": 1}], workers=0)
    with pytest.raises(TypeError, match="concurrent.futures.Executor or a distributed.Client"):
        sim2l.sweep(sweep_square, points=[{"x": 1}], executor="tcp://127.0.0.1:8786")
    assert run_files(run_folder) == []


# ---------------------------------------------------------------- failures


def test_a_failing_point_does_not_stop_the_others(fan_out, run_folder, tmp_path):
    results = sim2l.sweep(
        sweep_square, points=points([1, -1, 2], tmp_path / "j.txt"), progress=False, **fan_out
    )
    assert [result.status for result in results] == ["completed", "failed", "completed"]
    failed = results[1]
    assert "negative x" in failed.error and failed.execution_id  # recorded in its run file
    assert assert_intact(failed.run_db_path)["status"] == "failed"


def test_stop_on_error_cancels_the_points_not_started(run_folder, tmp_path):
    journal = tmp_path / "journal.txt"
    with pytest.raises(SimulationFailedError, match="negative x") as raised:
        sim2l.sweep(
            sweep_square,
            points=points([-1] + list(range(1, 30)), journal, spin=30),
            workers=2,
            progress=False,
            stop_on_error=True,
        )
    finished = raised.value.results
    assert len(finished) < 30
    # What ran is exactly what came back: nothing started after the failure
    # was seen, and nothing that ran was lost.
    assert sum(journal_counts(journal).values()) == len(finished)
    assert len(run_files(run_folder)) == len(finished)


def test_a_worker_that_dies_fails_its_points_and_the_sweep_returns(run_folder, tmp_path):
    journal = tmp_path / "journal.txt"
    results = sim2l.sweep(
        sweep_crash, points=points([1, 2, 13, 4, 5, 6], journal), workers=2, progress=False
    )
    assert len(results) == 6
    crashed = results[2]
    assert crashed.status == "failed" and "the worker could not run this point" in crashed.error
    for result in results:
        assert result.ok or "the worker could not run this point" in result.error


# ---------------------------------------------------------------- progress and Ctrl-C


def test_progress_counts_done_cached_and_failed_as_points_finish(fan_out, run_folder, tmp_path):
    journal = tmp_path / "journal.txt"
    states = []
    results = sim2l.sweep(
        sweep_square,
        points=points([1, 1, 2, -1], journal),
        progress=False,
        on_progress=states.append,
        **fan_out,
    )
    assert [state.done for state in states] == [1, 2, 3, 4]
    assert (states[-1].total, states[-1].cached, states[-1].failed) == (4, 1, 1)
    assert {state.index for state in states} == {0, 1, 2, 3}
    # The repeated point ran once and served both places.
    assert journal_counts(journal)[1.0] == 1
    assert results[1].from_cache and results[1].execution_id == results[0].execution_id


def test_the_line_display_writes_a_line_per_point_to_a_given_stream(run_folder, tmp_path):
    log = tmp_path / "sweep.log"
    with open(log, "w", encoding="utf-8") as stream:
        sim2l.sweep(sweep_square, points=points([1, -1, 1], tmp_path / "j.txt"), progress=stream)
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and lines[-1].startswith("sweep_square sweep [")
    assert "3/3 (1 cached, 1 failed)" in lines[-1]


def test_the_bar_is_drawn_on_a_terminal_only(run_folder, tmp_path):
    main, secondary = os.openpty()
    try:
        with open(secondary, "w", encoding="utf-8", closefd=False) as terminal:
            sim2l.sweep(sweep_square, points=points([1, 1], tmp_path / "j.txt"), progress=terminal)
        chunks = []
        while select.select([main], [], [], 0)[0]:  # everything written so far, no waiting
            chunks.append(os.read(main, 65536))
        drawn = b"".join(chunks).decode("utf-8", "replace")
    finally:
        os.close(main)
        os.close(secondary)
    assert "sweep_square sweep" in drawn and "2/2" in drawn and "1 cached, 0 failed" in drawn
    assert "\x1b[" in drawn  # drawn in place with terminal control codes, not line by line
    # progress=True draws on stderr only when it is a terminal; pytest's is not.
    assert progress_display(True, 2, "sweep") is None


def interrupt_once_at(done: int):
    """A progress callback that raises KeyboardInterrupt, as Ctrl-C would, once."""
    raised = []

    def callback(state):
        if state.done >= done and not raised:
            raised.append(state.done)
            raise KeyboardInterrupt

    return callback


def test_ctrl_c_cancels_what_has_not_started_and_returns_what_finished(
    fan_out, run_folder, tmp_path
):
    journal = tmp_path / "journal.txt"
    xs = list(range(24))
    results = sim2l.sweep(
        sweep_square,
        points=points(xs, journal, spin=100),
        progress=False,
        on_progress=interrupt_once_at(2),
        **fan_out,
    )
    assert results.interrupted
    assert 2 <= len(results) < len(xs)
    assert len(results) + len(results.not_run) == len(xs)
    finished = [result.inputs["x"] for result in results]
    assert finished == sorted(finished)  # in point order
    assert {point["x"] for point in results.not_run}.isdisjoint(finished)
    ran = sum(journal_counts(journal).values())
    if "workers" in fan_out:
        assert ran == len(results)  # every point that ran came back
    else:
        # Dask may start a task in the instant between "not processing" and
        # the cancel reaching it: at most one per worker runs unreturned.
        assert len(results) <= ran <= len(results) + 2


def test_sigint_stops_a_sweep_in_another_process(tmp_path):
    journal = tmp_path / "journal.txt"
    folder = tmp_path / "runs"
    total = 40
    config = {
        "settings": {"run_db_base_path": str(folder)},
        "points": points(range(total), journal, spin=150),
        "workers": 2,
    }
    environment = {**os.environ, "PYTHONPATH": str(TESTS)}
    process = subprocess.Popen(
        [sys.executable, str(TESTS / "sweep_driver.py"), json.dumps(config)],
        stdout=subprocess.PIPE,
        text=True,
        env=environment,
    )
    try:
        assert process.stdout.readline().strip() == "ready"
        assert process.stdout.readline().strip() == "done 1"
        os.kill(process.pid, signal.SIGINT)
        rest, _ = process.communicate(timeout=PROCESS_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode == 0, rest
    summary = json.loads(rest.strip().splitlines()[-1].removeprefix("RESULT "))
    assert summary["interrupted"]
    assert 1 <= summary["done"] < total
    assert summary["done"] + summary["not_run"] == total
    # Nothing started after the interrupt, and what was running finished and came back.
    assert sum(journal_counts(journal).values()) == summary["done"]
    assert len(run_files(folder)) == summary["done"]


# ---------------------------------------------------------------- the cache and the services


def test_a_cached_point_never_reaches_a_worker(services, session_id, tmp_path):
    folder = tmp_path / "runs"
    configure_services(services, folder, session_id)
    journal = tmp_path / "journal.txt"
    first = sim2l.sweep(sweep_square, points=points([1, 2], journal), progress=False)
    with CountingPool(2) as pool:
        results = sim2l.sweep(
            sweep_square, points=points([1, 2, 3, 4], journal), executor=pool, progress=False
        )
    assert sorted(pool.submitted) == [3, 4]
    assert [result.from_cache for result in results] == [True, True, False, False]
    assert [result.execution_id for result in results[:2]] == [r.execution_id for r in first]
    assert journal_counts(journal) == {1.0: 1, 2.0: 1, 3.0: 1, 4.0: 1}
    # The workers' runs reached every service.
    cache = CacheClient(services["cache"], session_id=session_id)
    catalog = CatalogClient(services["catalog"], session_id=session_id)
    stored = ResultsClient(services["results"], session_id=session_id)
    for result in results[2:]:
        assert result["pid"] != os.getpid() and not result.pending
        assert cache.get(result.cache_key)["execution_id"] == result.execution_id
        assert catalog.get_execution(result.execution_id)["status"] == "completed"
        assert stored.get_result(result.execution_id)["execution_id"] == result.execution_id


def test_a_dask_sweep_publishes_and_then_hits_the_cache(
    services, session_id, tmp_path, dask_client
):
    folder = tmp_path / "runs"
    configure_services(services, folder, session_id)
    journal = tmp_path / "journal.txt"
    grid = points([5, 6, 7], journal)
    ran = sim2l.sweep(sweep_square, points=grid, executor=dask_client, progress=False)
    assert [result["cache_url"] for result in ran] == [services["cache"]] * 3
    again = sim2l.sweep(sweep_square, points=grid, executor=dask_client, progress=False)
    assert all(result.from_cache for result in again)
    assert [result.execution_id for result in again] == [result.execution_id for result in ran]
    assert journal_counts(journal) == {5.0: 1, 6.0: 1, 7.0: 1}
    stored = ResultsClient(services["results"], session_id=session_id)
    assert all(stored.get_result(result.execution_id) for result in ran)


def test_racing_sweeps_in_one_folder_corrupt_nothing_and_rerun_no_cached_point(
    services, session_id, tmp_path
):
    folder = tmp_path / "runs"
    configure_services(services, folder, session_id)
    journal = tmp_path / "journal.txt"
    cached_before = [0, 1, 2, 3]
    sim2l.sweep(sweep_square, points=points(cached_before, journal, spin=20), progress=False)
    settings = {
        "run_db_base_path": str(folder),
        "cache_service_url": services["cache"],
        "cache_session_id": session_id,
        "catalog_service_url": services["catalog"],
        "catalog_session_id": session_id,
        "results_service_url": services["results"],
        "results_session_id": session_id,
        "catalog_auto_sync": True,
    }
    # Two sweeps over the same 16 points, into one folder, started together.
    config = {
        "settings": settings,
        "points": points(range(16), journal, spin=20),
        "workers": 2,
        "wait_for_go": True,
    }
    environment = {**os.environ, "PYTHONPATH": str(TESTS)}
    drivers = [
        subprocess.Popen(
            [sys.executable, str(TESTS / "sweep_driver.py"), json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=environment,
        )
        for _ in range(2)
    ]
    try:
        for driver in drivers:
            assert driver.stdout.readline().strip() == "ready"
        for driver in drivers:
            driver.stdin.write("go\n")
            driver.stdin.flush()
        outputs = [driver.communicate(timeout=PROCESS_TIMEOUT)[0] for driver in drivers]
    finally:
        for driver in drivers:
            if driver.poll() is None:
                driver.kill()
                driver.wait(timeout=10)
    summaries = [
        json.loads(out.strip().splitlines()[-1].removeprefix("RESULT ")) for out in outputs
    ]
    for summary in summaries:
        assert summary["done"] == 16 and not summary["failed"]
        assert set(cached_before) <= set(summary["cached"])
    counts = journal_counts(journal)
    # A point the cache held when the sweeps started ran once, before them.
    assert all(counts[float(x)] == 1 for x in cached_before)
    # The others ran once or, when both sweeps missed at the same moment, twice.
    assert all(1 <= counts[float(x)] <= 2 for x in range(4, 16))
    files = run_files(folder)
    assert len(files) == sum(counts.values())
    for path in files:
        summary = assert_intact(path)
        assert summary["status"] == "completed"
    cache = CacheClient(services["cache"], session_id=session_id)
    for x in range(16):
        entry = cache.get(sweep_square.cache_key(x=x, journal=str(journal), spin=20))
        assert entry is not None and (folder / f"{entry['execution_id']}.db").exists()


# ---------------------------------------------------------------- the command line


def test_sim2l_sweep_on_a_dask_scheduler(dask_client, run_folder, capsys):
    from sim2l.cli import main

    code = main(
        [
            "sweep",
            "thermal_sim",
            "temperature=300:450:4",
            "material=steel,copper",
            "--scheduler",
            dask_client.scheduler.address,
            "--json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (report["points"], report["done"], report["failed"]) == (8, 8, 0)
    inputs = [(r["inputs"]["temperature"], r["inputs"]["material"]) for r in report["results"]]
    assert inputs == [(t, m) for t in (300, 350, 400, 450) for m in ("steel", "copper")]
    assert len(run_files(run_folder)) == 8
