"""Fixtures: the results service on SQLite and PostgreSQL, served on 127.0.0.1, and real clients."""

import sys
from pathlib import Path

import pytest
from sim2l_results_client import ResultsClient
from sim2l_results_service import create_app
from sim2l_sessions.manager import SessionManager

sys.path.insert(0, str(Path(__file__).parent))

ROLE_NAMES = ["user", "developer", "admin"]


@pytest.fixture
def storage_dir(tmp_path):
    """Where the service keeps registered run files."""
    return tmp_path / "results-files"


@pytest.fixture
def run_folder(sim2l_home):
    """The configured run folder: ``<SIM2L_HOME>/runs`` (sim2l-core's and the client's default)."""
    folder = Path(sim2l_home) / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def app_config(database_url, storage_dir):
    """The test configuration; tests may tweak it before ``app`` is created."""
    return {
        "database_url": database_url,
        "auto_migrate": True,
        "revocation_refresh_seconds": 0,
        "storage_dir": str(storage_dir),
    }


@pytest.fixture
def app(app_config):
    """The results service on a fresh database."""
    app = create_app(app_config)
    yield app
    database = app.extensions["sim2l_database"]
    if hasattr(database, "close_all"):
        database.close_all()
    elif not database.is_closed():
        database.close()


@pytest.fixture
def url(app, live_server):
    """The service's base URL."""
    return live_server(app)


@pytest.fixture
def manager():
    """A session manager sharing the service's store and secret."""
    return SessionManager(revocation_refresh_seconds=0)


@pytest.fixture
def tokens(manager):
    """A token per role, plus an anonymous one."""
    tokens = {
        role: manager.create_session(f"{role}-person", role).session_id for role in ROLE_NAMES
    }
    tokens["anonymous"] = manager.create_anonymous_session(privileges=["user"]).session_id
    return tokens


@pytest.fixture
def client(url, tokens):
    """A ResultsClient with a ``user`` session (read and register, no delete)."""
    with ResultsClient(url, session_id=tokens["user"]) as client:
        yield client


@pytest.fixture
def admin(url, tokens):
    """A ResultsClient with an ``admin`` session."""
    with ResultsClient(url, session_id=tokens["admin"]) as client:
        yield client
