"""Fixtures: the catalog app on fresh SQLite and PostgreSQL databases, live, with clients.

The shared service fixtures (``app``, ``url``, ``tokens``, ``clients``, ``http``,
...) come from the ``sim2l_service_kit.testing`` plugin; this says which app
and client they build, and adds the seed's thermal_sim.
"""

import pytest
from sim2l_catalog_client import CatalogClient
from sim2l_catalog_service.app import create_app


@pytest.fixture
def service_app_factory():
    """The catalog's app factory, for the kit's ``app`` and ``make_app``."""
    return create_app


@pytest.fixture
def service_client_class():
    """The catalog client, for the kit's ``clients``."""
    return CatalogClient


@pytest.fixture
def developer(clients):
    """A client with register and update privileges."""
    return clients["developer"]


THERMAL = {
    "name": "thermal_sim",
    "version": "1.0.0",
    "description": "Thermal stress analysis",
    "tags": ["thermal", "physics"],
    "schema": {
        "inputs": {"temperature": {"type": "number", "units": "kelvin"}},
        "outputs": {"max_stress": {"type": "number", "units": "pascal"}},
    },
}


@pytest.fixture
def thermal(developer):
    """The seed's thermal_sim 1.0.0, registered."""
    return developer.register_simulation(**THERMAL)
