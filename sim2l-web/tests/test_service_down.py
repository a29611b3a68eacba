"""A service that is down: a page that names it and says what still works, never a traceback."""

import socket

import pytest
from conftest import sign_in


def dead_url() -> str:
    """A URL on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def without(web_config):
    """The dashboard with one service pointed at a dead address (logins go to the catalog)."""
    from sim2l_web import create_app

    def build(service: str):
        config = dict(web_config, sessions_url=web_config["catalog_url"])
        config[f"{service}_url"] = dead_url()
        client = create_app(config).test_client()
        sign_in(client, "ada")
        return client

    return build


def test_cache_down_the_overview_still_shows_the_rest(without, stack):
    client = without("cache")
    overview = client.get("/")
    html = overview.get_data(as_text=True)
    assert overview.status_code == 200
    assert "The cache service is unavailable" in html
    assert 'id="count-simulations">3<' in html  # the catalog still answers
    assert stack.runs[-1] in html  # and the results service
    page = client.get("/cache")
    assert page.status_code == 503
    text = page.get_data(as_text=True)
    assert "The cache service is unavailable" in text and "Traceback" not in text
    assert "the runs explorer" in text  # what still works


def test_results_down_the_explorer_says_so(without):
    client = without("results")
    page = client.get("/simulations/thermal_sim/runs")
    text = page.get_data(as_text=True)
    assert page.status_code == 503 and "The results service is unavailable" in text
    assert "the catalog" in text
    assert client.get("/simulations/thermal_sim").status_code == 200


def test_catalog_down_the_catalog_pages_say_so(without):
    client = without("catalog")
    page = client.get("/simulations")
    assert page.status_code == 503
    assert "The catalog service is unavailable" in page.get_data(as_text=True)
    assert client.get("/simulations/thermal_sim/runs").status_code == 200
