"""``/metrics`` under gunicorn: summed over every worker, monotonic, and of bounded size.

A real 2-worker gunicorn serves the toy service, started with the kit's
gunicorn hooks as every launcher starts it. The threaded test server would
hide the defect (one process is the whole service there).
"""

import re
import secrets
import threading

import pytest
import requests
from sim2l_service_kit.metrics import CachedGauges
from sim2l_service_kit.metrics import method_label
from sim2l_service_kit.metrics import status_label
from sim2l_service_kit.testing.benchmarking import GunicornServer
from sim2l_sessions.database import database_from_url
from sim2l_sessions.migrations import migrate

TOY = "sim2l_service_kit.testing.toy_service:create_app()"
SAMPLE = re.compile(r"^sim2l_http_requests_total\{([^}]*)\} ([0-9.e+]+)$", re.MULTILINE)


@pytest.fixture
def toy_server(tmp_path):
    """The toy service under gunicorn with two sync workers."""
    url = f"sqlite:///{tmp_path / 'toy.db'}"
    database = database_from_url(url)
    migrate(database, "sim2l_service_kit.testing.toy_service.migrations")
    database.close()
    with GunicornServer(TOY, env={"SIM2L_TOY_DATABASE_URL": url}, workers=2) as server:
        yield server


def request_counts(text: str) -> dict[str, float]:
    """``sim2l_http_requests_total`` summed per route."""
    totals: dict[str, float] = {}
    for labels, value in SAMPLE.findall(text):
        route = re.search(r'route="([^"]*)"', labels).group(1)
        totals[route] = totals.get(route, 0) + float(value)
    return totals


def test_counters_are_the_sum_over_every_worker_and_never_decrease(toy_server):
    scrape = lambda: request_counts(requests.get(toy_server.url + "/metrics", timeout=10).text)  # noqa: E731
    started = scrape().get("/health", 0.0)  # the server's readiness probe
    for _ in range(40):
        # A new connection each time: gunicorn's workers take turns.
        assert requests.get(toy_server.url + "/health", timeout=10).status_code == 200
    scrapes = [scrape() for _ in range(8)]
    assert [each.get("/health") for each in scrapes] == [started + 40] * 8
    # Each scrape counts the ones before it (a scrape is counted once answered).
    assert [each.get("/metrics") for each in scrapes] == [float(n) for n in range(1, 9)]


def test_random_methods_add_no_series_and_are_never_echoed(toy_server):
    def attack(count: int):
        with requests.Session() as session:
            for _ in range(count):
                method = "MALICESECRET" + secrets.token_hex(4).upper()
                session.request(method, toy_server.url + "/health", timeout=10)

    attack(1)  # the one "other" series an unknown method may create
    requests.get(toy_server.url + "/metrics", timeout=10)  # and the scrapes' own series
    before = requests.get(toy_server.url + "/metrics", timeout=10).text
    threads = [threading.Thread(target=attack, args=(2500,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    after = requests.get(toy_server.url + "/metrics", timeout=10).text
    print(f"/metrics: {len(before)} bytes before, {len(after)} after 10,000 random methods")
    assert "MALICESECRET" not in after
    assert abs(len(after) - len(before)) < 500
    methods = set(re.findall(r'method="([^"]*)"', after))
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}
    assert request_counts(after)["unmatched"] >= 10_001


def test_label_values_come_from_fixed_sets():
    assert method_label("GET") == "GET"
    assert method_label("MALICESECRET") == "other"
    assert status_label(404) == "404"
    assert status_label(999) == "other"


def test_gauges_are_recomputed_at_most_once_per_max_age():
    calls = []

    def compute():
        calls.append(1)
        return {"sim2l_toy_rows": len(calls)}

    gauges = CachedGauges(compute, max_age_seconds=3600)
    assert [gauges.current() for _ in range(5)] == [{"sim2l_toy_rows": 1}] * 5
    assert len(calls) == 1
    assert CachedGauges(compute, max_age_seconds=0).current() == {"sim2l_toy_rows": 2}
