"""A client pointed at another service's port says so, instead of failing silently.

``CacheClient("http://localhost:8002")`` (the catalog's port) used to answer
``get("k")`` with None, a cache miss.
"""

import pytest
from conftest import create_service_app
from sim2l_cache_client import CacheClient
from sim2l_catalog_client import CatalogClient
from sim2l_results_client import ResultsClient
from sim2l_sessions.client_errors import WrongServiceError


@pytest.fixture
def catalog_url(live_server, tmp_path):
    return live_server(create_service_app("catalog", f"sqlite:///{tmp_path / 'catalog.db'}"))


@pytest.fixture
def cache_url(live_server, tmp_path):
    return live_server(create_service_app("cache", f"sqlite:///{tmp_path / 'cache.db'}"))


def test_a_cache_client_on_the_catalog_port_names_the_service_it_reached(catalog_url, tokens):
    cache = CacheClient(catalog_url, session_id=tokens["admin"])
    with pytest.raises(WrongServiceError) as raised:
        cache.get("k")
    assert f"{catalog_url} is the catalog service, not the cache service" in str(raised.value)


def test_catalog_and_results_clients_on_the_cache_port_say_so_too(cache_url, tokens):
    with pytest.raises(WrongServiceError, match="is the cache service, not the catalog service"):
        CatalogClient(cache_url, session_id=tokens["admin"]).get_simulation("thermal_sim")
    with pytest.raises(WrongServiceError, match="is the cache service, not the results service"):
        ResultsClient(cache_url, session_id=tokens["admin"]).search("thermal_sim")


def test_the_right_client_still_reads_a_miss_as_none(cache_url, tokens):
    assert CacheClient(cache_url, session_id=tokens["admin"]).get("k") is None
