"""Fixtures: the catalog app on a fresh database (SQLite and PostgreSQL), served live, and clients."""

import pytest

from sim2l_catalog_client import CatalogClient
from sim2l_catalog_service.app import create_app
from sim2l_sessions import SessionManager


@pytest.fixture
def app(database_url):
    """The catalog app on a clean, migrated database."""
    return create_app({"database_url": database_url, "auto_migrate": True, "revocation_refresh_seconds": 0})


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
        "anonymous": manager.create_anonymous_session().session_id,
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
