"""The client on its own: key paths, URL checks, packaging, and error mapping
against a real cache service (the service app served on 127.0.0.1)."""

import importlib.metadata
import subprocess
import sys

import pytest
from sim2l_cache_client import CacheClient
from sim2l_cache_client import ForbiddenError
from sim2l_cache_client import InvalidRequestError
from sim2l_cache_client import PayloadTooLargeError
from sim2l_cache_client import ServiceConnectionError
from sim2l_cache_client import UnauthenticatedError
from sim2l_cache_client import key_path
from sim2l_service_kit.testing.benchmarking import free_port
from sim2l_sessions import SessionManager

ENTRY = {
    "cache_key": "thermal_sim/350K/result",
    "simulation_id": 42,
    "simulation_name": "thermal_sim",
    "simulation_version": "1.0.0",
    "execution_id": "exec-001",
    "squid_id": "thermal_sim/1.0.0/xyz",
    "input_hash": "hash123",
    "run_db_path": "/path/to/run.db",
}


@pytest.mark.parametrize(
    ("key", "path", "params"),
    [
        ("thermal_sim/350K/result", "/cache/thermal_sim/350K/result", None),
        ("a b/ü?#%", "/cache/a%20b/%C3%BC%3F%23%25", None),
        ("stats", "/cache", {"key": "stats"}),
        ("entries/x", "/cache", {"key": "entries/x"}),
        ("purge", "/cache", {"key": "purge"}),
        ("statsx", "/cache/statsx", None),
        ("a//b", "/cache", {"key": "a//b"}),
        ("/a", "/cache", {"key": "/a"}),
        ("a/", "/cache", {"key": "a/"}),
        ("a/../b", "/cache", {"key": "a/../b"}),
        ("./b", "/cache", {"key": "./b"}),
    ],
)
def test_key_path_is_unambiguous(key, path, params):
    assert key_path(key) == (path, params)


@pytest.mark.parametrize("key", ["", None, 42])
def test_key_path_refuses_non_keys(key):
    with pytest.raises(ValueError):
        key_path(key)


@pytest.mark.parametrize("url", ["localhost:8001", "ftp://x", "", None])
def test_the_url_must_be_http(url):
    with pytest.raises(ValueError):
        CacheClient(url)


def test_the_distribution_depends_on_requests_and_sessions_only():
    requirements = importlib.metadata.requires("sim2l-cache-client")
    names = {
        r.split(";")[0].split(">")[0].split("<")[0].split("=")[0].strip()
        for r in requirements
        if "extra ==" not in r
    }
    assert names == {"requests", "sim2l-sessions"}


def test_importing_the_client_loads_no_server_code():
    # (peewee comes in through sim2l-sessions' own dependencies, and peewee
    # imports psycopg2 when it happens to be installed; neither is ours.)
    code = (
        "import sys, sim2l_cache_client; print(sorted(m for m in "
        "('flask', 'gunicorn', 'marshmallow', 'sim2l_cache_service') if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"


def test_an_unreachable_service_is_a_connection_error():
    client = CacheClient(f"http://127.0.0.1:{free_port()}", session_id="x", retries=0)
    with pytest.raises(ServiceConnectionError):
        client.get("anything")


@pytest.fixture
def service_url(tmp_path, live_server):
    """A real cache service on SQLite (the service is a test dependency of the client)."""
    service = pytest.importorskip("sim2l_cache_service.app")
    app = service.create_app(
        {
            "database_url": f"sqlite:///{tmp_path}/cache.db",
            "auto_migrate": True,
            "revocation_refresh_seconds": 0,
        }
    )
    return live_server(app)


def test_errors_map_to_exceptions_with_status_code_and_details(service_url):
    manager = SessionManager()
    user = CacheClient(service_url, session_id=manager.create_session("u", "user").session_id)
    assert user.get("nothing/here") is None
    with pytest.raises(UnauthenticatedError) as unauthenticated:
        CacheClient(service_url).get("x")
    assert unauthenticated.value.status == 401
    assert unauthenticated.value.method == "GET"
    assert unauthenticated.value.url.startswith(service_url)
    with pytest.raises(ForbiddenError) as forbidden:
        user.invalidate(simulation_id=1)
    assert forbidden.value.details == {"required_privilege": "invalidate_cache"}
    with pytest.raises(InvalidRequestError) as invalid:
        user.set(**{**ENTRY, "simulation_id": -1})
    assert invalid.value.code == "validation_error"
    assert "simulation_id" in invalid.value.details
    with pytest.raises(PayloadTooLargeError):
        user.set(**ENTRY, metadata={"x": "m" * 2_000_000})
    assert user.set(**ENTRY, ttl_seconds=60)["cache_key"] == ENTRY["cache_key"]
    assert user.get_stats()["entries"] == 1


def test_iterating_follows_next_cursor_and_refuses_a_cursor_handed_back(monkeypatch):
    from sim2l_cache_client import ServiceError

    pages = {
        None: {"items": [1, 2], "limit": 2, "next_cursor": "a"},
        "a": {"items": [3], "limit": 2, "next_cursor": "b"},
        "b": {"items": [], "limit": 2, "next_cursor": None},
    }
    asked = []

    def list_entries(self, *filters, limit=None, cursor=None):
        asked.append((filters, limit, cursor))
        return pages[cursor]

    monkeypatch.setattr(CacheClient, "list_entries", list_entries)
    client = CacheClient("http://127.0.0.1:1")
    assert list(client.iter_entries(simulation_id=7, page_size=2)) == [1, 2, 3]
    assert asked == [
        ((7, None, None), 2, None),
        ((7, None, None), 2, "a"),
        ((7, None, None), 2, "b"),
    ]
    pages["a"]["next_cursor"] = "a"
    with pytest.raises(ServiceError, match="same next_cursor"):
        list(client.iter_entries(page_size=2))
