"""Fixtures: the catalog app on fresh SQLite and PostgreSQL databases, live, with clients."""

import pytest
import requests
from sim2l_catalog_client import CatalogClient
from sim2l_catalog_service.app import create_app
from sim2l_sessions import SessionManager


@pytest.fixture
def app(database_url):
    """The catalog app on a clean, migrated database."""
    app = create_app(
        {"database_url": database_url, "auto_migrate": True, "revocation_refresh_seconds": 0}
    )
    yield app
    # Return the pool's connections now, not whenever the app is collected.
    database = app.extensions["sim2l_database"]
    if hasattr(database, "close_all"):
        database.close_all()
    elif not database.is_closed():
        database.close()


@pytest.fixture
def url(app, live_server):
    """Base URL of the app served on 127.0.0.1."""
    return live_server(app)


@pytest.fixture
def manager():
    """A session manager sharing the app's store and secret (same SIM2L_HOME)."""
    return SessionManager()


@pytest.fixture
def tokens(manager):
    """Session tokens by role, plus an anonymous one (user privileges)."""
    return {
        "user": manager.create_session("ursula", "user").session_id,
        "developer": manager.create_session("dev", "developer").session_id,
        "admin": manager.create_session("ada", "admin").session_id,
        "anonymous": manager.create_anonymous_session(privileges=["user"]).session_id,
    }


@pytest.fixture
def clients(url, tokens):
    """A ``CatalogClient`` per role."""
    made = {role: CatalogClient(url, session_id=token) for role, token in tokens.items()}
    yield made
    for client in made.values():
        client.close()


@pytest.fixture
def developer(clients):
    """A client with register and update privileges."""
    return clients["developer"]


@pytest.fixture
def http(url):
    """Raw HTTP against the live server: ``http(method, path, token=None, **requests_kwargs)``."""
    session = requests.Session()

    def call(method, path, token=None, **kwargs):
        headers = dict(kwargs.pop("headers", {}) or {})
        if token:
            headers["X-Session-ID"] = token
        return session.request(method, url + path, headers=headers, timeout=30, **kwargs)

    yield call
    session.close()


THERMAL = {
    "name": "thermal_sim",
    "version": "1.0.0",
    "description": "Thermal stress analysis",
    "tags": ["thermal", "physics"],
    "schema": {
        "inputs": {"temperature": {"type": "number", "units": "kelvin"}},
        "outputs": {"max_stress": {"type": "number", "units": "pascal"}},
    },
}


@pytest.fixture
def thermal(developer):
    """The seed's thermal_sim 1.0.0, registered."""
    return developer.register_simulation(**THERMAL)
