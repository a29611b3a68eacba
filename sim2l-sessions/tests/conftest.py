"""Fixtures of the sim2l-sessions tests: stores on both backends and the toy service."""

import sys
from pathlib import Path

import pytest
from sim2l_sessions.manager import SessionManager
from sim2l_sessions.store import SessionStore

# The toy service lives beside the tests; make it importable as a package.
sys.path.insert(0, str(Path(__file__).parent))

import toy_service  # noqa: E402


@pytest.fixture
def store(database_url):
    """A sessions store on SQLite and on PostgreSQL."""
    store = SessionStore(database_url)
    yield store
    store.database.close_all() if hasattr(store.database, "close_all") else store.close()


@pytest.fixture
def manager(store):
    """A session manager over the store, reading revocations on every check."""
    return SessionManager(store=store, revocation_refresh_seconds=0)


@pytest.fixture
def toy_app(database_url, monkeypatch):
    """The toy service on a fresh database, sharing the store of the ``manager`` fixture."""
    monkeypatch.setenv("SIM2L_SESSIONS_DATABASE_URL", database_url)
    app = toy_service.create_app(
        {
            "database_url": database_url,
            "auto_migrate": True,
            "revocation_refresh_seconds": 0,
            "max_body_bytes": 4096,
        }
    )
    yield app
    database = app.extensions["sim2l_database"]
    if hasattr(database, "close_all"):
        database.close_all()


@pytest.fixture
def toy_url(toy_app, live_server):
    """The toy service served on 127.0.0.1."""
    return live_server(toy_app)
