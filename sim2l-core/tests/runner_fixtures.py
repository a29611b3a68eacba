"""Fixtures of the runner, CLI and end-to-end tests, loaded with ``pytest_plugins``."""

import pytest
from runner_support import counting_simulation
from runner_support import service_urls
from sim2l.runner import registry
from sim2l.runner.links import forget_clients


@pytest.fixture(autouse=True)
def fresh_clients():
    """No client or catalog id cached from another test's services."""
    forget_clients()
    yield
    forget_clients()


@pytest.fixture
def make_simulation():
    """Declare uniquely named counting simulations; they are forgotten after the test."""
    made = []

    def make(**options):
        simulation, counter = counting_simulation(**options)
        made.append(simulation)
        return simulation, counter

    yield make
    for simulation in made:
        registry.unregister(simulation.name, simulation.version)


@pytest.fixture
def services(database_url, live_server):
    """``{"cache": url, "catalog": url, "results": url}`` on SQLite and on PostgreSQL."""
    return service_urls(database_url, live_server)
