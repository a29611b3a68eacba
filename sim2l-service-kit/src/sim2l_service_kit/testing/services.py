"""Fixtures every service's tests share (part of the ``sim2l_service_kit.testing`` plugin).

A service's ``tests/conftest.py`` says only which app and client it tests::

    @pytest.fixture
    def service_app_factory():
        return create_app

    @pytest.fixture
    def service_client_class():
        return CacheClient

and gets ``app_config``, ``make_app``, ``app``, ``url``, ``tokens``,
``clients`` and ``http``. The app keeps its sessions in the test's database,
the same store the plugin's ``manager`` fixture uses, so sessions, users and
revocations made in a test are the ones the app sees.
"""

import time

import pytest
import requests

from sim2l_service_kit.state import state_of

ROLE_USERS = {"user": "ursula", "developer": "dev", "admin": "ada"}


@pytest.fixture
def service_app_factory():
    """The ``create_app`` of the service under test: its conftest.py overrides this."""
    pytest.fail("define a service_app_factory fixture in this distribution's conftest.py")


@pytest.fixture
def service_client_class():
    """The client class of the service under test: its conftest.py overrides this."""
    pytest.fail("define a service_client_class fixture in this distribution's conftest.py")


@pytest.fixture
def app_config(database_url):
    """The configuration of the app under test (tests may change it before ``app``)."""
    return {
        "database_url": database_url,
        "sessions_database_url": database_url,
        "auto_migrate": True,
        "revocation_refresh_seconds": 0,
    }


def close_database(app) -> None:
    """Close an app's state, then return its database connections now (a pool holds many)."""
    state_of(app).close()
    database = app.extensions["sim2l_database"]
    if hasattr(database, "close_all"):
        database.close_all()
    elif not database.is_closed():
        database.close()


@pytest.fixture
def make_app(service_app_factory):
    """Create apps from configurations; their connections are closed after the test."""
    made = []

    def make(config):
        application = service_app_factory(config)
        made.append(application)
        return application

    yield make
    for application in made:
        close_database(application)


@pytest.fixture
def app(make_app, app_config):
    """The service on a fresh database."""
    return make_app(app_config)


@pytest.fixture
def url(app, live_server):
    """The base URL of the service served on 127.0.0.1."""
    return live_server(app)


@pytest.fixture
def tokens(manager):
    """A token per role (user ``ursula``, developer ``dev``, admin ``ada``) and an anonymous one."""
    made = {
        role: manager.create_session(name, role).session_id for role, name in ROLE_USERS.items()
    }
    made["anonymous"] = manager.create_anonymous_session(privileges=["user"]).session_id
    return made


@pytest.fixture
def clients(url, tokens, service_client_class):
    """A client of the service per role, closed after the test."""
    made = {role: service_client_class(url, session_id=token) for role, token in tokens.items()}
    yield made
    for client in made.values():
        client.close()


@pytest.fixture
def http(url):
    """Raw HTTP to the service: ``http(method, path, token=None, **requests_kwargs)``."""
    session = requests.Session()

    def call(method, path, token=None, **kwargs):
        headers = dict(kwargs.pop("headers", {}) or {})
        if token:
            headers["X-Session-ID"] = token
        return session.request(method, url + path, headers=headers, timeout=30, **kwargs)

    yield call
    session.close()


class AdjustableClock:
    """Epoch seconds that a test moves on, instead of sleeping until a time has passed."""

    def __init__(self):
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Move this clock ``seconds`` into the future."""
        self.offset += seconds
