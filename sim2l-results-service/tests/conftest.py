"""Fixtures: the results service on SQLite and PostgreSQL, served on 127.0.0.1, and real clients.

The shared service fixtures (``app``, ``url``, ``tokens``, ``clients``, ``http``,
...) come from the ``sim2l_service_kit.testing`` plugin; this says which app
and client they build, and where run files live.
"""

from pathlib import Path

import pytest
from sim2l_results_client import ResultsClient
from sim2l_results_service import create_app


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
def app_config(app_config, storage_dir):
    """The kit's test configuration, with this test's storage folder."""
    return {**app_config, "storage_dir": str(storage_dir)}


@pytest.fixture
def service_app_factory():
    """The results service's app factory, for the kit's ``app`` and ``make_app``."""
    return create_app


@pytest.fixture
def service_client_class():
    """The results client, for the kit's ``clients``."""
    return ResultsClient


@pytest.fixture
def client(clients):
    """A ResultsClient with a ``user`` session (read and register, no delete)."""
    return clients["user"]


@pytest.fixture
def admin(clients):
    """A ResultsClient with an ``admin`` session."""
    return clients["admin"]


@pytest.fixture
def stored_rows(app):
    """``stored_rows(sql, params)``: the rows of a ``?``-marked query in the app's database."""
    from sim2l_results_service.models import execute

    def rows(sql: str, params=()) -> list[tuple]:
        with app.app_context(), app.extensions["sim2l_database"].connection_context():
            return execute(sql, params).fetchall()

    return rows
