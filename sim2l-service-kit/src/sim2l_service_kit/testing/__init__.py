"""The shared pytest plugin of every sim2l distribution.

Load it with ``-p sim2l_service_kit.testing`` (each distribution's pytest
configuration does). It gives:

- an autouse fixture that points ``SIM2L_HOME`` at a temporary folder and sets
  a test secret, so no test ever reads or writes the real ``~/.sim2l``;
- ``postgres_database_url``: a PostgreSQL database created for this test run
  and dropped after it (``SIM2L_TEST_DATABASE_URL``, else
  ``postgresql://postgres@127.0.0.1:5432/test`` names the server to use);
- ``database_url``: parametrised over ``sqlite`` and ``postgresql``, a clean
  database for each test, so the same model tests run on both backends;
- ``live_server``: serves a Flask app on 127.0.0.1 in a thread for real clients;
- ``store`` and ``manager``: a sessions store on each backend and a session
  manager over it that reads revocations on every check.

Without a reachable PostgreSQL server the PostgreSQL cases are skipped with a
loud notice at the end of the run, unless ``SIM2L_REQUIRE_POSTGRES=1``, where
they fail.
"""

import os
import re
import secrets
import threading
import urllib.parse

import pytest

from sim2l_service_kit.config import env_flag
from sim2l_service_kit.testing.services import close_database

# The one timestamp format of every answer (see sim2l_sessions.timestamps).
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
# The fixtures every service's tests share (app, url, tokens, clients, ...).
pytest_plugins = ["sim2l_service_kit.testing.services"]

DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/test"
_skipped_postgres_reason = []


def _postgres_required() -> bool:
    return env_flag("SIM2L_REQUIRE_POSTGRES", False)


def _server_url() -> str:
    return os.environ.get("SIM2L_TEST_DATABASE_URL") or DEFAULT_SERVER_URL


def _connect(url: str):
    import psycopg2

    return psycopg2.connect(url, connect_timeout=3)


def _with_database(url: str, database: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + database))


def _unavailable(reason: str):
    if _postgres_required():
        pytest.fail(f"PostgreSQL is required (SIM2L_REQUIRE_POSTGRES=1): {reason}")
    _skipped_postgres_reason.append(reason)
    pytest.skip(f"PostgreSQL not available: {reason}")


@pytest.fixture(scope="session")
def postgres_database_url():
    """A fresh PostgreSQL database for this test run, dropped afterwards."""
    try:
        admin = _connect(_server_url())
    except Exception as error:  # ImportError or any connection failure
        _unavailable(f"{_server_url()}: {error}".strip())
    admin.autocommit = True
    name = f"sim2l_test_{os.getpid()}_{secrets.token_hex(4)}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(_server_url(), name)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def reset_postgres_schema(url: str) -> None:
    """Drop every table of a test database so the next test starts empty."""
    connection = _connect(url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    connection.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A clean database URL for one test, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    url = request.getfixturevalue("postgres_database_url")
    reset_postgres_schema(url)
    return url


@pytest.fixture(autouse=True)
def sim2l_home(tmp_path_factory, monkeypatch):
    """Keep every test away from the real ~/.sim2l and give it a known secret."""
    home = tmp_path_factory.mktemp("sim2l_home")
    monkeypatch.setenv("SIM2L_HOME", str(home))
    monkeypatch.setenv("SIM2L_SECRET_KEY", "test-secret-" + "k" * 32)
    monkeypatch.setenv("SIM2L_BCRYPT_ROUNDS", "4")
    monkeypatch.delenv("SIM2L_SESSIONS_URL", raising=False)
    monkeypatch.delenv("SIM2L_SESSIONS_DATABASE_URL", raising=False)
    return home


@pytest.fixture
def store(database_url):
    """A sessions store on SQLite and on PostgreSQL."""
    from sim2l_sessions.store import SessionStore

    store = SessionStore(database_url)
    yield store
    if hasattr(store.database, "close_all"):
        store.database.close_all()
    else:
        store.close()


@pytest.fixture
def manager(store):
    """A session manager over ``store``, reading revocations on every check."""
    from sim2l_sessions.manager import SessionManager

    return SessionManager(store=store, revocation_refresh_seconds=0)


class LiveServer:
    """A Flask app served by werkzeug on 127.0.0.1 in a background thread."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server():
    """Start Flask apps on 127.0.0.1; call it with an app, get back its base URL."""
    servers = []

    def start(app) -> str:
        server = LiveServer(app)
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()
        if "sim2l_database" in server.app.extensions:
            # A service app is thrown away with its server: its background work
            # (the cache's statistics flusher) ends before the test's database goes.
            close_database(server.app)


def pytest_terminal_summary(terminalreporter):
    """Say loudly when PostgreSQL tests were skipped."""
    if _skipped_postgres_reason:
        terminalreporter.section("PostgreSQL NOT TESTED", sep="!", red=True, bold=True)
        terminalreporter.write_line(
            "PostgreSQL tests were SKIPPED: " + _skipped_postgres_reason[0],
            red=True,
            bold=True,
        )
        terminalreporter.write_line("Set SIM2L_REQUIRE_POSTGRES=1 to make this a failure.")


SERVER_STACK = {
    "flask",
    "peewee",
    "psycopg2",
    "psycopg2-binary",
    "gunicorn",
    "marshmallow",
    "bcrypt",
}


def _plain_requirements(distribution: str) -> set[str]:
    import importlib.metadata
    import re

    names = set()
    for requirement in importlib.metadata.requires(distribution) or []:
        if "extra ==" not in requirement:  # extras are not installed by a plain pip install
            names.add(re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower())
    return names


def assert_light_client(distribution: str, import_name: str) -> None:
    """Fail unless a client installs and imports without the server stack (DESIGN section 2).

    Checks the declared dependencies (and sim2l-sessions' own, one level down)
    and, in a fresh interpreter, the modules that importing the client loads.
    """
    import subprocess
    import sys

    declared = _plain_requirements(distribution)
    if "sim2l-sessions" in declared:
        declared |= _plain_requirements("sim2l-sessions")
    assert not declared & SERVER_STACK, f"{distribution} declares {sorted(declared & SERVER_STACK)}"
    code = (
        f"import sys, {import_name}; "
        "print(sorted({'flask', 'peewee', 'psycopg2', 'bcrypt', 'marshmallow'} & set(sys.modules)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]", f"importing {import_name} loads {loaded.stdout.strip()}"
