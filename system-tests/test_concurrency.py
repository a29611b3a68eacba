"""Several processes writing at once, on SQLite and PostgreSQL.

No "database is locked" or deadlock may reach a client, and every write a
client saw acknowledged must be there afterwards.
"""

import multiprocessing

import pytest
import workers
from services import KillableService
from services import migrate_service
from sim2l_cache_client import CacheClient
from sim2l_catalog_client import CatalogClient
from sim2l_sessions.manager import SessionManager

PROCESSES = 4


def in_processes(function, argument_lists):
    """Run ``function`` once per argument list, each in its own process; return the results."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(len(argument_lists)) as pool:
        return pool.starmap(function, argument_lists, chunksize=1)


@pytest.fixture
def admin_token():
    return SessionManager().create_session("conc-admin", "admin").session_id


def test_cache_writers_and_invalidator_at_once(database_url, admin_token):
    migrate_service("cache", database_url)
    with KillableService("cache", database_url, workers=2) as service:
        client = CacheClient(service.url, session_id=admin_token)
        for index in range(30):
            client.set(
                cache_key=f"victim/{index}",
                simulation_id=2,
                simulation_name="v",
                simulation_version="1",
                execution_id=f"v{index}",
                squid_id="s",
                input_hash="h",
                run_db_path="/p",
                ttl_hours=1,
            )
        jobs = [(service.url, admin_token, f"writer{n}", 60) for n in range(PROCESSES)]
        results = in_processes(workers.cache_writer, jobs)
        invalidation = in_processes(
            workers.cache_invalidator, [(service.url, admin_token, "victim/*", 5)]
        )
        errors = [error for result in results + invalidation for error in result["errors"]]
        assert errors == []
        acknowledged = [key for result in results for key in result["acknowledged"]]
        assert len(acknowledged) == PROCESSES * 60
        assert [key for key in acknowledged if client.get(key) is None] == []
        assert all(client.get(f"victim/{index}") is None for index in range(30))


def test_cache_writers_racing_an_invalidator(database_url, admin_token):
    migrate_service("cache", database_url)
    with KillableService("cache", database_url, workers=2) as service:
        jobs = [
            (workers.cache_writer, (service.url, admin_token, f"race{n}", 50)) for n in range(3)
        ]
        jobs.append((workers.cache_invalidator, (service.url, admin_token, "nothing/*", 40)))
        context = multiprocessing.get_context("spawn")
        with context.Pool(len(jobs)) as pool:
            pending = [pool.apply_async(function, arguments) for function, arguments in jobs]
            results = [job.get(timeout=120) for job in pending]
        assert [error for result in results for error in result["errors"]] == []
        client = CacheClient(service.url, session_id=admin_token)
        acknowledged = [key for result in results[:3] for key in result["acknowledged"]]
        assert [key for key in acknowledged if client.get(key) is None] == []


def test_concurrent_execution_records_count_once(database_url, admin_token):
    migrate_service("catalog", database_url)
    with KillableService("catalog", database_url, workers=2) as service:
        catalog = CatalogClient(service.url, session_id=admin_token)
        simulation = catalog.register_simulation(
            name="race_sim", version="1.0.0", description="races"
        )
        jobs = [(service.url, admin_token, simulation["id"], 40) for _ in range(PROCESSES)]
        results = in_processes(workers.execution_recorder, jobs)
        assert [error for result in results for error in result["errors"]] == []
        stats = catalog.get_simulation_stats(simulation["id"])
        assert stats["total_executions"] == 40
        assert stats["success_rate"] == pytest.approx(30 / 40)


def test_many_runs_write_their_databases_at_once(tmp_path):
    from sim2l.rundb.run_database import RunDatabase

    jobs = [(str(tmp_path), f"conc-run-{n}", 500) for n in range(PROCESSES)]
    in_processes(workers.run_writer, jobs)
    for _, execution_id, rows in jobs:
        with RunDatabase(execution_id, base_path=str(tmp_path)) as run:
            summary = run.get_summary()
            assert summary["status"] == "completed"
            assert len(run.get_inputs()) == rows
            assert len(run.get_logs()) == rows


def test_concurrent_result_registrations(database_url, admin_token, tmp_path):
    migrate_service("results", database_url)
    runs = tmp_path / "runs"
    in_processes(workers.run_writer, [(str(runs), f"reg-{n}", 20) for n in range(9)])
    paths = sorted(str(path) for path in runs.glob("*.db"))
    env = {"SIM2L_RESULTS_STORAGE_DIR": str(tmp_path / "stored")}
    with KillableService("results", database_url, workers=2, env=env) as service:
        # Three processes, overlapping files: re-registration must be idempotent under races.
        jobs = [
            (service.url, admin_token, paths[n * 3 : (n + 1) * 3] + paths[:2]) for n in range(3)
        ]
        results = in_processes(workers.result_registrar, jobs)
        assert [error for result in results for error in result["errors"]] == []
        from sim2l_results_client import ResultsClient

        client = ResultsClient(service.url, session_id=admin_token)
        found = client.search(simulation_name="conc_sim", limit=100)
        assert sorted(item["execution_id"] for item in found) == sorted(
            f"reg-{n}" for n in range(9)
        )
