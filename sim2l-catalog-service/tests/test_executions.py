"""Execution recording (idempotent per execution id), statistics and the overview."""

import datetime
import math

import pytest
from sim2l_catalog_client import ConflictError
from sim2l_catalog_client import NotFoundError


def test_recording_twice_counts_once(developer, thermal):
    first = developer.record_execution(thermal["id"], "exec-1", "completed", duration_seconds=3.0)
    again = developer.record_execution(thermal["id"], "exec-1", "completed", duration_seconds=3.0)
    assert first["duplicate"] is False and again["duplicate"] is True
    assert again["id"] == first["id"]
    stats = developer.get_simulation_stats(thermal["id"])
    assert stats["total_executions"] == 1


def test_a_retry_with_other_values_keeps_the_first_record(developer, thermal):
    developer.record_execution(thermal["id"], "exec-1", "completed", duration_seconds=3.0)
    again = developer.record_execution(thermal["id"], "exec-1", "failed", duration_seconds=9.0)
    assert again["duplicate"] is True
    assert again["status"] == "completed" and again["duration_seconds"] == 3.0


def test_same_execution_id_for_another_simulation_is_a_conflict(developer, thermal):
    other = developer.register_simulation(name="other_sim", version="1.0.0")
    developer.record_execution(thermal["id"], "exec-1", "completed")
    with pytest.raises(ConflictError):
        developer.record_execution(other["id"], "exec-1", "completed")
    assert developer.get_simulation_stats(other["id"])["total_executions"] == 0


def test_unknown_simulation_is_404(developer):
    with pytest.raises(NotFoundError):
        developer.record_execution(12345, "exec-x", "completed")
    with pytest.raises(NotFoundError):
        developer.get_simulation_stats(12345)


def test_get_execution(developer, thermal):
    developer.record_execution(
        thermal["id"],
        "runs/2024/exec-7",
        "failed",
        duration_seconds=1.5,
        user="alice",
        started_at="2024-05-01T10:00:00Z",
        metadata={"host": "n1"},
    )
    record = developer.get_execution("runs/2024/exec-7")
    assert record["user"] == "alice"
    assert record["executed_at"] == "2024-05-01T10:00:00.000000Z"
    assert record["metadata"] == {"host": "n1"}
    assert record["recorded_by"] == "dev"


def _nearest_rank_p95(values):
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def test_statistics_are_computed_in_the_database(clients, thermal):
    durations = [float(d) for d in range(1, 41)]  # 40 timed runs
    statuses = ["completed"] * 30 + ["failed"] * 8 + ["timeout"] * 2
    users = ["alice", "bob", "carol", "dave"]
    for index, (duration, status) in enumerate(zip(durations, statuses)):
        clients["user"].record_execution(
            thermal["id"],
            f"exec-{index}",
            status,
            duration_seconds=duration,
            user=users[index % 4],
        )
    clients["user"].record_execution(thermal["id"], "exec-running", "running")
    stats = clients["user"].get_simulation_stats(thermal["id"])
    assert stats["total_executions"] == 41
    assert stats["finished_executions"] == 40
    assert stats["successful_executions"] == 30
    assert stats["failed_executions"] == 8
    assert stats["success_rate"] == pytest.approx(30 / 40)
    assert stats["mean_duration_seconds"] == pytest.approx(sum(durations) / 40)
    assert stats["p95_duration_seconds"] == _nearest_rank_p95(durations) == 38.0
    assert stats["min_duration_seconds"] == 1.0 and stats["max_duration_seconds"] == 40.0
    # alice..dave, plus the session's own name for the run that named no user.
    assert stats["distinct_users"] == 5
    assert stats["last_run"] is not None
    assert stats["name"] == "thermal_sim" and stats["version"] == "1.0.0"


def test_statistics_of_an_unused_simulation(developer, thermal):
    stats = developer.get_simulation_stats(thermal["id"])
    assert stats["total_executions"] == 0
    assert stats["success_rate"] is None
    assert stats["mean_duration_seconds"] is None
    assert stats["p95_duration_seconds"] is None
    assert stats["last_run"] is None
    assert stats["distinct_users"] == 0


def test_overview(developer, thermal):
    solver = developer.register_simulation(name="solver", version="2.0.0")
    today = datetime.datetime.now(datetime.UTC)
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    long_ago = (today - datetime.timedelta(days=400)).isoformat()
    for index in range(3):
        developer.record_execution(solver["id"], f"s-{index}", "completed", user="ann")
    developer.record_execution(thermal["id"], "t-1", "failed", started_at=yesterday, user="bo")
    developer.record_execution(thermal["id"], "t-2", "completed", started_at=long_ago)
    overview = developer.get_overview(days=7)
    assert overview["catalog"] == {
        "simulations": 2,
        "versions": 2,
        "active_versions": 2,
        "deprecated_versions": 0,
    }
    assert overview["total_executions"] == 5
    assert overview["successful_executions"] == 4
    assert [(m["name"], m["executions"]) for m in overview["most_used"]] == [
        ("solver", 3),
        ("thermal_sim", 2),
    ]
    per_day = {d["day"]: d["executions"] for d in overview["executions_per_day"]}
    assert per_day == {today.strftime("%Y-%m-%d"): 3, yesterday[:10]: 1}
    assert developer.get_overview(limit=1)["most_used"][0]["name"] == "solver"


def test_relaxed_commits_record_the_same(database_url, live_server, tokens):
    from sim2l_catalog_client import CatalogClient
    from sim2l_catalog_service.app import create_app

    app = create_app(
        {
            "database_url": database_url,
            "auto_migrate": True,
            "revocation_refresh_seconds": 0,
            "durable_execution_records": False,
        }
    )
    with CatalogClient(live_server(app), session_id=tokens["developer"]) as client:
        simulation = client.register_simulation(name="fast", version="1.0.0")
        assert client.record_execution(simulation["id"], "e-1", "completed")["duplicate"] is False
        assert client.record_execution(simulation["id"], "e-1", "completed")["duplicate"] is True
        assert client.get_simulation_stats(simulation["id"])["total_executions"] == 1
    database = app.extensions["sim2l_database"]
    if hasattr(database, "close_all"):
        database.close_all()


def test_statistics_across_versions_of_a_name(developer, thermal):
    newer = developer.register_simulation(name="thermal_sim", version="1.1.0")
    other = developer.register_simulation(name="other_sim", version="1.0.0")
    developer.record_execution(thermal["id"], "a", "completed", duration_seconds=10.0, user="x")
    developer.record_execution(newer["id"], "b", "failed", duration_seconds=30.0, user="y")
    developer.record_execution(newer["id"], "c", "completed", duration_seconds=20.0, user="x")
    developer.record_execution(other["id"], "d", "completed", duration_seconds=99.0)
    usage = developer.get_name_stats("thermal_sim")
    assert usage["name"] == "thermal_sim" and usage["versions"] == 2
    assert usage["total_executions"] == 3
    assert usage["success_rate"] == pytest.approx(2 / 3)
    assert usage["mean_duration_seconds"] == pytest.approx(20.0)
    assert usage["p95_duration_seconds"] == 30.0
    assert usage["distinct_users"] == 2
    with pytest.raises(NotFoundError):
        developer.get_name_stats("no_such_sim")
