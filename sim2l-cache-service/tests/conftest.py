"""Fixtures: the cache service on each backend, served for real, and a client per role.

The shared service fixtures (``app``, ``url``, ``tokens``, ``clients``, ``http``,
...) come from the ``sim2l_service_kit.testing`` plugin; this says which app
and client they build. The client under test is the real ``CacheClient`` over
HTTP to the app in a werkzeug thread on 127.0.0.1.
"""

import pytest
from sim2l_cache_client import CacheClient
from sim2l_cache_service.app import create_app
from sim2l_service_kit.state import state_of
from sim2l_service_kit.testing.services import AdjustableClock


@pytest.fixture
def service_app_factory():
    """The cache service's app factory, for the kit's ``app`` and ``make_app``."""
    return create_app


@pytest.fixture
def service_client_class():
    """The cache client, for the kit's ``clients``."""
    return CacheClient


@pytest.fixture
def cache(clients):
    """An admin's client: every call allowed."""
    return clients["admin"]


@pytest.fixture
def clock(app):
    """The clock the app judges expiry by; ``clock.advance(seconds)`` moves it on."""
    adjustable = AdjustableClock()
    state_of(app).clock = adjustable
    return adjustable
