"""The privilege matrix, from the app's route table (a new route without an entry fails).

For every route (the kit's ``check_privilege_matrix``): bad tokens are 401
(unless public); each role, and an anonymous session, gets 403 exactly when its
privileges (DESIGN section 3) lack the route's privilege.
"""

import re

import pytest
from sim2l_service_kit import route_privileges
from sim2l_service_kit.testing.privileges import KIT_ROUTES
from sim2l_service_kit.testing.privileges import check_privilege_matrix

# What each route of this service requires; the table is compared to the app's.
EXPECTED = {
    ("POST", "/simulations"): "register_simulation",
    ("GET", "/simulations"): "read_catalog",
    ("GET", "/simulations/by-id/<int:simulation_id>"): "read_catalog",
    ("GET", "/simulations/by-id/<int:simulation_id>/stats"): "read_catalog",
    ("GET", "/simulations/<name>"): "read_catalog",
    ("GET", "/simulations/<name>/versions"): "read_catalog",
    ("GET", "/simulations/<name>/stats"): "read_catalog",
    ("GET", "/simulations/<name>/versions/<version>"): "read_catalog",
    ("PATCH", "/simulations/<name>/versions/<version>"): "update_catalog",
    ("POST", "/simulations/<name>/versions/<version>/deprecate"): "update_catalog",
    ("POST", "/executions"): "record_execution",
    ("GET", "/executions/<path:execution_id>"): "read_catalog",
    ("GET", "/overview"): "read_catalog",
    **KIT_ROUTES,
}
SAMPLE_VALUES = {
    "simulation_id": "1",
    "name": "thermal_sim",
    "version": "1.0.0",
    "execution_id": "exec-001",
    "username": "nobody",
    "asset": "swagger-ui.css",
}


def _concrete(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda match: SAMPLE_VALUES[match.group(1)], rule)


def test_route_table_is_complete(app):
    table = route_privileges(app)
    assert None not in table.values(), [route for route, need in table.items() if need is None]
    assert table == EXPECTED


def test_privilege_matrix(app, url, http, manager, thermal):
    def call(method, rule, token):
        body = {} if method in ("POST", "PATCH", "PUT") else None
        return http(method, _concrete(rule), token=token, json=body)

    assert check_privilege_matrix(app, url, manager, call) == 9 * len(EXPECTED)


@pytest.mark.parametrize("role", ["user", "anonymous"])
def test_users_cannot_register_or_update(clients, thermal, role):
    from sim2l_catalog_client import ForbiddenError

    client = clients[role]
    with pytest.raises(ForbiddenError):
        client.register_simulation(name="other", version="1.0.0")
    with pytest.raises(ForbiddenError):
        client.deprecate_simulation("thermal_sim", "1.0.0")
    with pytest.raises(ForbiddenError):
        client.update_simulation("thermal_sim", "1.0.0", description="changed")
    # ... but they read, search and record executions.
    assert client.get_simulation("thermal_sim")["description"] == "Thermal stress analysis"
    assert client.record_execution(thermal["id"], f"exec-{role}", "completed")["duplicate"] is False
