"""Races the real server must win: the same registration or execution sent at once."""

import concurrent.futures

from conftest import THERMAL
from sim2l_catalog_client import CatalogClient

PARALLEL = 8


def _in_parallel(url, token, call):
    def run(_):
        with CatalogClient(url, session_id=token) as client:
            return call(client)

    with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(run, range(PARALLEL)))


def test_same_registration_at_once_creates_one(url, tokens, developer):
    results = _in_parallel(url, tokens["developer"], lambda c: c.register_simulation(**THERMAL))
    assert len({r["id"] for r in results}) == 1
    assert sum(r["created"] for r in results) == 1
    assert len(developer.list_versions("thermal_sim")) == 1


def test_same_execution_at_once_counts_once(url, tokens, developer, thermal):
    results = _in_parallel(
        url,
        tokens["user"],
        lambda c: c.record_execution(thermal["id"], "exec-race", "completed", duration_seconds=2.0),
    )
    assert len({r["id"] for r in results}) == 1
    assert sum(not r["duplicate"] for r in results) == 1
    assert developer.get_simulation_stats(thermal["id"])["total_executions"] == 1
