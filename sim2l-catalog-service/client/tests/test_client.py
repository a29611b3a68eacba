"""CatalogClient behaviour of its own: URL checks, paths, error mapping, against a real server.

The server is the catalog app itself on a temporary SQLite file, served on
127.0.0.1 (the end-to-end tests on both backends live in the service's tests).
"""

import pytest
import sim2l_catalog_client
from sim2l_catalog_client import CatalogClient
from sim2l_catalog_client import ConflictError
from sim2l_catalog_client import ForbiddenError
from sim2l_catalog_client import InvalidRequestError
from sim2l_catalog_client import NotFoundError
from sim2l_catalog_client import ServiceConnectionError
from sim2l_catalog_client import UnauthenticatedError
from sim2l_sessions import SessionManager


@pytest.fixture
def url(tmp_path, live_server):
    from sim2l_catalog_service.app import create_app

    app = create_app(
        {
            "database_url": f"sqlite:///{tmp_path / 'catalog.db'}",
            "auto_migrate": True,
            "revocation_refresh_seconds": 0,
        }
    )
    return live_server(app)


@pytest.fixture
def developer(url):
    token = SessionManager().create_session("dev", "developer").session_id
    with CatalogClient(url, session_id=token) as client:
        yield client


@pytest.mark.parametrize("bad", ["localhost:8002", "ftp://host", "", None])
def test_url_must_be_http(bad):
    with pytest.raises(ValueError, match="http"):
        CatalogClient(bad)


def test_trailing_slash_is_fine(url, developer):
    client = CatalogClient(url + "/", session_id=developer.session_id)
    assert client.health()["status"] == "ok"


def test_names_and_versions_are_quoted_in_paths(developer):
    developer.register_simulation(name="a.b-c", version="1.0.0+build.1")
    assert developer.get_simulation("a.b-c", "1.0.0+build.1")["version"] == "1.0.0+build.1"
    with pytest.raises(NotFoundError):
        developer.get_simulation("a.b-c", "../../health")


def test_execution_ids_with_slashes(developer):
    simulation = developer.register_simulation(name="slashy", version="1.0.0")
    developer.record_execution(simulation["id"], "site/a/exec 1", "completed")
    assert developer.get_execution("site/a/exec 1")["execution_id"] == "site/a/exec 1"


def test_errors_map_to_exceptions(url, developer):
    with pytest.raises(UnauthenticatedError) as caught:
        CatalogClient(url).search()
    assert caught.value.status == 401 and caught.value.method == "GET"
    reader = CatalogClient(url, session_id=SessionManager().create_session("u", "user").session_id)
    with pytest.raises(ForbiddenError) as caught:
        reader.register_simulation(name="x", version="1.0.0")
    assert caught.value.details == {"required_privilege": "register_simulation"}
    with pytest.raises(InvalidRequestError) as caught:
        developer.register_simulation(name="x", version="not.a.version")
    assert "version" in caught.value.details
    with pytest.raises(NotFoundError):
        developer.get_simulation("nothing")
    developer.register_simulation(name="x", version="1.0.0", description="one")
    with pytest.raises(ConflictError):
        developer.register_simulation(name="x", version="1.0.0", description="two")


def test_unreachable_service():
    client = CatalogClient("http://127.0.0.1:9", session_id="t", retries=0, timeout=2)
    with pytest.raises(ServiceConnectionError):
        client.search(query="x")


def test_search_returns_a_list_and_search_page_a_page(developer):
    developer.register_simulation(name="thermal_sim", version="1.0.0", tags=["physics"])
    assert isinstance(developer.search(query="thermal", tags=["physics"]), list)
    page = developer.search_page(query="thermal")
    assert page["limit"] == 20 and page["next_cursor"] is None and len(page["items"]) == 1


def test_search_follows_every_page_and_stops_at_a_limit(monkeypatch):
    from sim2l_catalog_client import ServiceError

    pages = {
        None: {"items": [1, 2], "limit": 2, "next_cursor": "a"},
        "a": {"items": [3, 4], "limit": 2, "next_cursor": "b"},
        "b": {"items": [5], "limit": 2, "next_cursor": None},
    }
    asked = []

    def search_page(self, query=None, tags=None, status=None, limit=20, cursor=None):
        asked.append((query, limit, cursor))
        return pages[cursor]

    monkeypatch.setattr(CatalogClient, "search_page", search_page)
    client = CatalogClient("http://127.0.0.1:1")
    assert client.search(query="x") == [1, 2, 3, 4, 5]
    assert asked == [("x", 100, None), ("x", 100, "a"), ("x", 100, "b")]
    asked.clear()
    assert client.search(limit=3) == [1, 2, 3]
    # no page past the third match, and the second asks only for the one still wanted
    assert asked == [(None, 3, None), (None, 1, "a")]
    with pytest.raises(ValueError):
        client.search(limit=0)
    pages["b"]["next_cursor"] = "b"
    with pytest.raises(ServiceError, match="same next_cursor"):
        client.search()


def test_exports_the_error_family():
    for name in sim2l_catalog_client.__all__:
        assert hasattr(sim2l_catalog_client, name)
