"""Fixtures of the service kit's tests: the toy service on both backends."""

import pytest
from sim2l_service_kit.testing import toy_service


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
