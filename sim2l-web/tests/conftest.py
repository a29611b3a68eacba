"""Fixtures: the three real services on 127.0.0.1 (SQLite and PostgreSQL), real runs, the dashboard.

The services run in this process (werkzeug threads, ``live_server``) on a
fresh database per backend; users are created in their shared sessions
store; runs are made by sim2l-core's runner (``thermal_sim`` and a failing
simulation), which records them in the catalog, the cache and the results
service exactly as a scientist's runs are. The dashboard talks to the
services only over HTTP through the clients, as in production.
"""

import sys
from pathlib import Path

import pytest
from sim2l_service_kit.testing import LiveServer
from sim2l_service_kit.testing import reset_postgres_schema
from sim2l_sessions.manager import SessionManager
from sim2l_sessions.store import SessionStore

sys.path.insert(0, str(Path(__file__).parent))

from stack import Stack  # noqa: E402
from stack import populate  # noqa: E402

SECRET = "test-secret-" + "k" * 32
PASSWORDS = {"ada": "ada-password-1", "dev": "dev-password-1", "root": "root-password-1"}
ROLES = {"ada": "user", "dev": "developer", "root": "admin"}


def _stack(request, tmp_path_factory, backend: str) -> Stack:
    from sim2l_cache_service.app import create_app as cache_app
    from sim2l_catalog_service.app import create_app as catalog_app
    from sim2l_results_service.app import create_app as results_app

    folder = tmp_path_factory.mktemp(f"stack_{backend}")
    sessions_url = f"sqlite:///{folder / 'sessions.db'}"
    if backend == "postgresql":
        database_url = request.getfixturevalue("postgres_database_url")
        reset_postgres_schema(database_url)
    servers, urls, apps = [], {}, []
    for name, factory in (("cache", cache_app), ("catalog", catalog_app), ("results", results_app)):
        url = database_url if backend == "postgresql" else f"sqlite:///{folder / (name + '.db')}"
        config = {
            "database_url": url,
            "auto_migrate": True,
            "revocation_refresh_seconds": 0,
            "sessions_database_url": sessions_url,
            "secret_key": SECRET,
        }
        if name == "results":
            config["storage_dir"] = str(folder / "results-files")
        app = factory(config)
        apps.append(app)
        server = LiveServer(app)
        servers.append(server)
        urls[name] = server.url
    manager = SessionManager(
        store=SessionStore(sessions_url), secret_keys=SECRET, revocation_refresh_seconds=0
    )
    for username, role in ROLES.items():
        manager.create_user(username, PASSWORDS[username], role)
    stack = Stack(urls=urls, manager=manager, folder=folder, backend=backend, database_url=url)
    stack.servers, stack.apps = servers, apps
    return stack


def _stop(stack: Stack) -> None:
    for server in stack.servers:
        server.stop()
    for app in stack.apps:
        database = app.extensions["sim2l_database"]
        if hasattr(database, "close_all"):
            database.close_all()
        elif not database.is_closed():
            database.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stack(request, tmp_path_factory):
    """The three services with users and runs, once per backend for a test module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SIM2L_HOME", str(tmp_path_factory.mktemp("home")))
        patch.setenv("SIM2L_SECRET_KEY", SECRET)
        patch.setenv("SIM2L_BCRYPT_ROUNDS", "4")
        built = _stack(request, tmp_path_factory, request.param)
        try:
            populate(built)
            yield built
        finally:
            _stop(built)


@pytest.fixture
def web_config(stack):
    """The dashboard's settings for ``stack``."""
    return {
        "cache_url": stack.urls["cache"],
        "catalog_url": stack.urls["catalog"],
        "results_url": stack.urls["results"],
        "secret_key": "web-test-cookie-key-" + "w" * 20,
        "connect_timeout": 2.0,
    }


@pytest.fixture
def web(web_config):
    """The dashboard app."""
    from sim2l_web import create_app

    return create_app(web_config)


@pytest.fixture
def browser_client(web):
    """A test client (its own cookie jar)."""
    return web.test_client()


def sign_in(client, username: str) -> None:
    """Sign ``client`` in through the login form, CSRF token and all."""
    answer = post_login(client, username, PASSWORDS[username])
    assert answer.status_code == 302, text_of(answer)


def text_of(response) -> str:
    """A test client answer's body as text."""
    return response.get_data(as_text=True)


def post_login(client, username: str, password: str, path: str = "/login", **options):
    """Fill the login form of ``path`` (its CSRF token included) and send it."""
    page = client.get(path, **options)
    return client.post(
        path,
        data={"username": username, "password": password, "csrf_token": csrf_from(text_of(page))},
        **options,
    )


def csrf_from(html: str) -> str:
    """The CSRF token of the first form in ``html``."""
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


@pytest.fixture
def as_user(browser_client):
    """A client signed in as ``ada`` (role user)."""
    sign_in(browser_client, "ada")
    return browser_client


@pytest.fixture
def as_developer(web):
    """A client signed in as ``dev`` (role developer)."""
    client = web.test_client()
    sign_in(client, "dev")
    return client


@pytest.fixture
def as_admin(web):
    """A client signed in as ``root`` (role admin)."""
    client = web.test_client()
    sign_in(client, "root")
    return client


def pytest_terminal_summary(terminalreporter):
    """Say loudly when the browser tests were skipped."""
    from browser_support import MISSING_BROWSER

    if MISSING_BROWSER:
        terminalreporter.section("BROWSER NOT TESTED", sep="!", red=True, bold=True)
        terminalreporter.write_line(
            "The browser tests were SKIPPED: " + MISSING_BROWSER[0], red=True, bold=True
        )
        terminalreporter.write_line("Set SIM2L_REQUIRE_BROWSER=1 to make this a failure.")
