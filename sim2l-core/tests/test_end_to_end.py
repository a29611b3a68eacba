"""The whole path through real services, on SQLite and on PostgreSQL.

The three services run in this process (werkzeug threads on 127.0.0.1) on
the ``database_url`` of each backend; the runner talks to them with the real
clients. Each test is a story a scientist lives through.
"""

import socket
import time

import pytest
import sim2l
from runner_support import configure_services
from sim2l.database import CacheClient
from sim2l.database import CatalogClient
from sim2l.database import ResultsClient
from sim2l.runner import Outbox
from sim2l.runner import SimulationFailedError
from sim2l_sessions import get_session_manager

pytest_plugins = ["runner_fixtures"]


@pytest.fixture
def session_id():
    return get_session_manager().create_anonymous_session(privileges=["developer"]).session_id


def dead_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (a service that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_miss_then_hit(services, session_id, tmp_path, make_simulation):
    configure_services(services, tmp_path / "runs", session_id)
    simulation, counter = make_simulation()

    first = simulation.run(x=3)
    assert not first.from_cache and counter.calls == 1
    assert first.pending == [] and first.warnings == []

    # Same inputs in another order and type, the default given explicitly: a hit.
    second = simulation.run(a=2, x=3.0)
    assert second.from_cache and counter.calls == 1
    assert second.execution_id == first.execution_id
    assert second.outputs == first.outputs == {"y": 6.0}
    assert second.units == {"y": "m"}
    assert second.run_db_path == first.run_db_path

    cache = CacheClient(services["cache"], session_id=session_id)
    entry = cache.get(first.cache_key)
    assert entry["execution_id"] == first.execution_id
    assert entry["input_hash"] == first.input_hash
    catalog = CatalogClient(services["catalog"], session_id=session_id)
    registered = catalog.get_simulation(simulation.name, simulation.version)
    assert registered["schema"] == simulation.schema()  # auto-sync registered it
    assert entry["simulation_id"] == registered["id"]
    stats = catalog.get_simulation_stats(registered["id"])
    assert stats["total_executions"] == 1 and stats["success_rate"] == 1.0
    results = ResultsClient(services["results"], session_id=session_id)
    found = results.search(simulation_name=simulation.name, input_filters={"x": {"gt": 2}})
    assert [item["execution_id"] for item in found] == [first.execution_id]
    assert found[0]["output_params"]["y"] == 6.0
    assert cache.get_stats()["hits"] >= 1


def test_failed_run_is_recorded_but_never_cached(services, session_id, tmp_path, make_simulation):
    configure_services(services, tmp_path / "runs", session_id)
    simulation, counter = make_simulation(fail=True)
    with pytest.raises(SimulationFailedError):
        simulation.run(x=1)
    with pytest.raises(SimulationFailedError) as again:
        simulation.run(x=1)
    assert counter.calls == 2  # executed again: nothing was cached
    failed = again.value.result
    assert CacheClient(services["cache"], session_id=session_id).get(failed.cache_key) is None
    catalog = CatalogClient(services["catalog"], session_id=session_id)
    registered = catalog.get_simulation(simulation.name, simulation.version)
    stats = catalog.get_simulation_stats(registered["id"])
    assert stats["total_executions"] == 2 and stats["success_rate"] == 0.0
    results = ResultsClient(services["results"], session_id=session_id)
    assert results.search(simulation_name=simulation.name) == []


def test_changed_input_or_version_misses(services, session_id, tmp_path, make_simulation):
    configure_services(services, tmp_path / "runs", session_id)
    version_one, counter_one = make_simulation(name="evolving_sim", version="1.0.0")
    version_one.run(x=1)
    version_one.run(x=2)
    assert counter_one.calls == 2
    assert version_one.run(x=1).from_cache

    version_two, counter_two = make_simulation(name="evolving_sim", version="1.1.0")
    result = version_two.run(x=1)
    assert not result.from_cache and counter_two.calls == 1
    assert sim2l.load("evolving_sim").run(x=1).from_cache  # the latest version, now cached


def test_two_machines_share_a_cached_result(services, tmp_path, make_simulation):
    manager = get_session_manager()
    manager.create_user("alice", "alice-password", role="developer")
    manager.create_user("bob", "bob-password", role="user")
    simulation, counter = make_simulation()

    # Alice computes on her machine...
    alice = manager.authenticate("alice", "alice-password").session_id
    configure_services(services, tmp_path / "alice-laptop", alice)
    computed = simulation.run(x=7)
    assert counter.calls == 1
    # Alice's disk is not Bob's: hide her folder (a shared disk would be used directly).
    (tmp_path / "alice-laptop").rename(tmp_path / "alice-laptop-elsewhere")

    # ...and Bob, on another machine with an empty run folder, re-uses it.
    bob = manager.authenticate("bob", "bob-password").session_id
    configure_services(services, tmp_path / "bob-laptop", bob, auto_sync=False)
    reused = simulation.run(x=7)
    assert reused.from_cache and counter.calls == 1
    assert reused.outputs == computed.outputs
    assert reused.run_db_path == tmp_path / "bob-laptop" / f"{computed.execution_id}.db"
    with reused.run_db as run_db:  # the run file was fetched from the results service
        assert run_db.get_summary()["execution_id"] == computed.execution_id
        assert {i["name"]: i["value"] for i in run_db.get_inputs()} == {"x": 7.0, "a": 2.0}
    reused.close()
    # Bob's second run is served from his local copy.
    assert simulation.run(x=7).from_cache


def test_service_down_during_a_run_then_sync(services, session_id, tmp_path, make_simulation):
    run_folder = tmp_path / "runs"
    down = {"cache": dead_url(), "catalog": dead_url(), "results": dead_url()}
    configure_services(down, run_folder, session_id)
    simulation, counter = make_simulation()

    result = simulation.run(x=5)  # completes although no service answers
    assert result.ok and counter.calls == 1
    assert result.outputs == {"y": 10.0}
    assert result.pending == ["catalog.record_execution", "results.register_result", "cache.set"]
    assert any("sim2l sync" in warning for warning in result.warnings)
    queued = Outbox(run_folder).entries()
    assert [(e["service"], e["action"]) for e in queued] == [
        ("catalog", "record_execution"),
        ("results", "register_result"),
        ("cache", "set"),
    ]

    # Still down: sync keeps everything for later.
    report = sim2l.sync()
    assert report["sent"] == 0 and len(report["remaining"]) == 3
    assert all(entry["attempts"] == 2 for entry in report["remaining"])

    # The services are back: sync sends it all, and the run is now a cache hit.
    configure_services(services, run_folder, session_id)
    report = sim2l.sync()
    assert report == {"sent": 3, "failed": 0, "remaining": []}
    assert simulation.run(x=5).from_cache and counter.calls == 1
    catalog = CatalogClient(services["catalog"], session_id=session_id)
    registered = catalog.get_simulation(simulation.name, simulation.version)
    assert catalog.get_simulation_stats(registered["id"])["total_executions"] == 1
    results = ResultsClient(services["results"], session_id=session_id)
    assert results.get_result(result.execution_id)["execution_id"] == result.execution_id


def test_one_service_down_does_not_stop_the_others(services, session_id, tmp_path, make_simulation):
    configure_services({**services, "catalog": dead_url()}, tmp_path / "runs", session_id)
    simulation, counter = make_simulation()
    first = simulation.run(x=1)
    assert first.pending == ["catalog.record_execution"]
    assert simulation.run(x=1).from_cache  # cache and results still did their job
    assert counter.calls == 1


def test_slow_service_does_not_hold_the_run(
    services, session_id, tmp_path, make_simulation, live_server, monkeypatch
):
    from flask import Flask

    slow = Flask("slow")

    @slow.route("/<path:anything>", methods=["GET", "POST"])
    def stall(anything):
        time.sleep(2)
        return {}

    monkeypatch.setenv("SIM2L_SERVICE_TIMEOUT", "0.3")
    configure_services({**services, "cache": live_server(slow)}, tmp_path / "runs", session_id)
    simulation, counter = make_simulation()
    result = simulation.run(x=1)
    assert result.ok and counter.calls == 1
    assert result.pending == ["cache.set"]
    assert any("cache service" in warning for warning in result.warnings)


def test_without_permission_the_run_still_completes(services, tmp_path, make_simulation):
    # A user session cannot register simulations: auto-sync is refused, the
    # run completes, and the refusal is said and queued.
    user_session = get_session_manager().create_anonymous_session(privileges=["user"]).session_id
    configure_services(services, tmp_path / "runs", user_session)
    simulation, _ = make_simulation()
    result = simulation.run(x=1)
    assert result.ok
    assert result.pending == ["catalog.record_execution"]
    assert any("403" in warning for warning in result.warnings)
    assert simulation.run(x=1).from_cache


def test_hit_reads_the_run_file_when_the_entry_carries_no_outputs(
    services, session_id, tmp_path, make_simulation
):
    configure_services(services, tmp_path / "runs", session_id)
    simulation, counter = make_simulation()
    first = simulation.run(x=2)
    cache = CacheClient(services["cache"], session_id=session_id)
    entry = cache.get(first.cache_key)
    # An entry written by another tool: the same run, no outputs in its metadata.
    cache.set(
        **{
            name: entry[name]
            for name in (
                "cache_key",
                "simulation_id",
                "simulation_name",
                "simulation_version",
                "execution_id",
                "squid_id",
                "input_hash",
                "run_db_path",
            )
        }
    )
    again = simulation.run(x=2)
    assert again.from_cache and counter.calls == 1
    assert again.outputs == first.outputs and again.units == {"y": "m"}


def test_cached_file_gone_and_no_results_service_runs_again(
    services, session_id, tmp_path, make_simulation
):
    configure_services({"cache": services["cache"]}, tmp_path / "runs", session_id)
    simulation, counter = make_simulation()
    first = simulation.run(x=2)
    first.run_db_path.unlink()
    again = simulation.run(x=2)
    assert not again.from_cache and counter.calls == 2
    assert any("not on this machine" in warning for warning in again.warnings)


def test_sweep_reuses_cached_points(services, session_id, tmp_path, make_simulation):
    configure_services(services, tmp_path / "runs", session_id)
    simulation, counter = make_simulation()
    simulation.run(x=2)
    results = sim2l.sweep(simulation, grid={"x": [1, 2, 3]}, progress=False)
    assert [r.from_cache for r in results] == [False, True, False]
    assert counter.calls == 3
    again = simulation.sweep(grid={"x": [1, 2, 3]}, progress=False)
    assert all(r.from_cache for r in again) and counter.calls == 3
