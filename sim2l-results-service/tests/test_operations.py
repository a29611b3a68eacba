"""Health, readiness, metrics, the OpenAPI document, migrations and the command line."""

import re
import subprocess
import sys

import pytest
import requests
from runfiles import make_run
from sim2l_results_service import create_app
from sim2l_service_kit import route_privileges
from sim2l_service_kit.testing.openapi import check_document
from sim2l_sessions.migrations import UnmigratedDatabaseError


def test_health_ready_metrics(url, client, tmp_path):
    assert client.health()["status"] == "ok"
    assert requests.get(url + "/ready", timeout=10).json()["status"] == "ready"
    client.register_result(make_run(tmp_path, "run-metrics", {"x": 1}, {"y": 2}))
    metrics = requests.get(url + "/metrics", timeout=10).text
    assert 'sim2l_results_registered{service="results"} 1' in metrics
    assert "run-metrics" not in metrics and "thermal_sim" not in metrics


def test_openapi_describes_every_route(app, url):
    document = requests.get(url + "/openapi.json", timeout=10).json()
    for (method, rule), need in route_privileges(app).items():
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)  # <execution:execution_id>
        assert path in document["paths"], path
        operation = document["paths"][path][method.lower()]
        if need not in ("public", "session"):
            assert operation["x-sim2l-privilege"] == need, (method, rule)


def test_unmigrated_database_is_refused_with_the_command(database_url, storage_dir):
    with pytest.raises(UnmigratedDatabaseError, match="sim2l-results-service migrate"):
        create_app({"database_url": database_url, "storage_dir": str(storage_dir)})


def test_migrate_command_then_start(database_url, storage_dir):
    done = subprocess.run(
        [sys.executable, "-m", "sim2l_results_service", "migrate", "--db-url", database_url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "migration(s) applied" in done.stderr
    app = create_app({"database_url": database_url, "storage_dir": str(storage_dir)})
    database = app.extensions["sim2l_database"]
    if hasattr(database, "close_all"):
        database.close_all()


def test_bad_backend_flag_is_refused():
    done = subprocess.run(
        [sys.executable, "-m", "sim2l_results_service", "--backend", "postgresql"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "--db-url" in done.stderr


def test_the_generated_document_describes_every_route(app):
    check_document(app)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("prepared", [True, False])
def test_postgresql_searches_are_prepared_once_per_connection_unless_turned_off(
    make_app, app_config, tokens, prepared
):
    app = make_app({**app_config, "postgresql_prepared_statements": prepared})
    client = app.test_client()
    headers = {"X-Session-ID": tokens["user"]}
    # One request at a time: the pool hands out its one connection each time,
    # so every request below runs on the connection inspected after.
    for temperature in (300.0, 350.0, 300.0):
        answer = client.post(
            "/results/search",
            json={"simulation_name": "thermal_sim", "input_filters": {"temperature": temperature}},
            headers=headers,
        )
        assert answer.status_code == 200
        assert answer.get_json()["items"] == []
    database = app.extensions["sim2l_database"]
    names = [
        name
        for (name,) in database.execute_sql("SELECT name FROM pg_prepared_statements").fetchall()
    ]
    if prepared:
        assert len(names) == 1 and names[0].startswith("sim2l_results_q")  # one text, once
    else:
        assert names == []


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_plans_page_statements_once_with_their_limit_in_the_text(
    make_app, app_config, tokens
):
    """A bound ``LIMIT $n`` kept PostgreSQL from ever using a prepared page statement's generic
    plan (it cannot tell the page is small), so each execution was planned again: a page
    without filters has its row count written into the statement and, after PostgreSQL's five
    trial plans, runs on its generic plan. A page under filters keeps the count bound, so
    PostgreSQL still weighs planning with the filters' values (``models.page_limit``)."""
    app = make_app(app_config)
    client = app.test_client()
    headers = {"X-Session-ID": tokens["user"]}
    bodies = [
        {"simulation_name": "thermal_sim"},
        {"simulation_name": "thermal_sim", "sort": "input.temperature", "limit": 20},
        {"simulation_name": "thermal_sim", "input_filters": {"temperature": {"gt": 1.5}}},
        {"limit": 5},  # every simulation: a statement with no parameter left at all
    ]
    for _ in range(8):
        for body in bodies:
            answer = client.post("/results/search", json=body, headers=headers)
            assert answer.status_code == 200
    database = app.extensions["sim2l_database"]
    statements = database.execute_sql(
        "SELECT statement, generic_plans FROM pg_prepared_statements"
    ).fetchall()
    pages = [row for row in statements if "LIMIT" in row[0] and "count(*)" not in row[0]]
    filtered = [row for row in pages if "num_value >" in row[0]]
    unfiltered = [row for row in pages if row not in filtered]
    # the default page of 100 and the pages of 20 and 5, each with the one row past it
    assert unfiltered and all(re.search(r"LIMIT (101|21|6)\b", text) for text, _ in unfiltered)
    assert all(generic > 0 for _, generic in unfiltered), unfiltered
    assert len(filtered) == 1 and re.search(r"LIMIT \$\d+\)", filtered[0][0])


@pytest.mark.parametrize("rows", [-1, 2.0, "5; DROP TABLE results_result", None])
def test_a_limit_written_into_sql_is_a_count(rows):
    from sim2l_results_service.models import page_limit

    assert page_limit(51, filtered=False) == ("LIMIT 51", [])
    assert page_limit(51, filtered=True) == ("LIMIT ?", [51])
    with pytest.raises((TypeError, ValueError)):
        page_limit(rows, filtered=False)
