"""Fixtures: a cache service on each backend, served for real, and sessions of every role.

The app runs in a werkzeug thread on 127.0.0.1 (``live_server``); the client
under test is the real ``CacheClient`` over HTTP. Sessions are minted by a
``SessionManager`` sharing the app's secret and sessions store (both come
from the test's SIM2L_HOME and SIM2L_SECRET_KEY).
"""

import pytest
from sim2l_cache_client import CacheClient
from sim2l_cache_service.app import create_app
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


def entry(**changes) -> dict:
    """The seed's entry with ``changes``."""
    return {**ENTRY, **changes}


@pytest.fixture
def app_config(database_url):
    """The configuration of the app under test (tests may add keys before ``app``)."""
    return {"database_url": database_url, "auto_migrate": True, "revocation_refresh_seconds": 0}


@pytest.fixture
def make_app():
    """Create apps; their database connections (a PostgreSQL pool) are closed afterwards.

    Without this every test would leave up to ``pool_size`` idle PostgreSQL
    connections behind and the server would run out of them.
    """
    made = []

    def make(config):
        application = create_app(config)
        made.append(application)
        return application

    yield make
    for application in made:
        # Its counts go to its own database before that is reset for the next test.
        state = application.extensions["sim2l_cache"]
        state.counter.stop(state.store)
        database = application.extensions["sim2l_database"]
        if hasattr(database, "close_all"):
            database.close_all()
        elif not database.is_closed():
            database.close()


@pytest.fixture
def app(make_app, app_config):
    """The cache service on a fresh database."""
    return make_app(app_config)


@pytest.fixture
def url(app, live_server):
    """The base URL of the running service."""
    return live_server(app)


@pytest.fixture
def manager():
    """A session manager with the app's secret and sessions store."""
    return SessionManager(revocation_refresh_seconds=0)


@pytest.fixture
def tokens(manager):
    """A token per role: user, developer, admin, and a default anonymous session."""
    return {
        "user": manager.create_session("ursula", "user").session_id,
        "developer": manager.create_session("dev", "developer").session_id,
        "admin": manager.create_session("ada", "admin").session_id,
        "anonymous": manager.create_anonymous_session().session_id,
    }


@pytest.fixture
def clients(url, tokens):
    """A ``CacheClient`` per role, closed after the test."""
    made = {role: CacheClient(url, session_id=token) for role, token in tokens.items()}
    yield made
    for client in made.values():
        client.close()


@pytest.fixture
def cache(clients):
    """An admin's client: every call allowed."""
    return clients["admin"]
