"""The privilege matrix, from the app's route table (a new route without an entry fails).

For every route: no token and a forged token are 401 (unless public); each
role, and an anonymous session, gets 403 exactly when its privileges (DESIGN
section 3) lack the route's privilege.
"""

import re

import pytest
from sim2l_service_kit import route_privileges
from sim2l_sessions.privileges import ROLES
from sim2l_sessions.privileges import USER_PRIVILEGES

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
    ("GET", "/health"): "public",
    ("GET", "/ready"): "public",
    ("GET", "/metrics"): "public",
    ("GET", "/openapi.json"): "public",
    ("POST", "/sessions"): "public",
    ("GET", "/sessions/current"): "session",
    ("DELETE", "/sessions/current"): "session",
    ("DELETE", "/sessions"): "session",
    ("GET", "/users"): "manage_users",
    ("POST", "/users"): "manage_users",
    ("DELETE", "/users/<username>"): "manage_users",
    ("PUT", "/users/<username>/password"): "manage_users",
    ("PUT", "/users/<username>/role"): "manage_users",
    ("DELETE", "/users/<username>/sessions"): "manage_users",
}
SAMPLE_VALUES = {
    "simulation_id": "1",
    "name": "thermal_sim",
    "version": "1.0.0",
    "execution_id": "exec-001",
    "username": "nobody",
}
FORGED = "eyJ0aWQiOiJmb3JnZWQiLCJyb2xlIjoiYWRtaW4ifQ.bm90LWEtc2lnbmF0dXJl"


def _concrete(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda match: SAMPLE_VALUES[match.group(1)], rule)


def test_route_table_is_complete(app):
    table = route_privileges(app)
    assert None not in table.values(), [route for route, need in table.items() if need is None]
    assert table == EXPECTED


def _privileges(role: str) -> frozenset[str]:
    return USER_PRIVILEGES if role == "anonymous" else ROLES[role]


def test_privilege_matrix(app, http, manager, thermal):
    checked = 0
    for (method, rule), need in sorted(route_privileges(app).items()):
        path = _concrete(rule)
        body = {} if method in ("POST", "PATCH", "PUT") else None
        if need != "public":
            assert http(method, path, json=body).status_code == 401, (method, rule, "no token")
            assert http(method, path, token=FORGED, json=body).status_code == 401, (method, rule)
        for role in ("user", "developer", "admin", "anonymous"):
            # A fresh token each time: DELETE /sessions/current logs the caller out.
            if role == "anonymous":
                token = manager.create_anonymous_session(privileges=["user"]).session_id
            else:
                token = manager.create_session(f"{role}-person", role).session_id
            status = http(method, path, token=token, json=body).status_code
            allowed = need in ("public", "session") or need in _privileges(role)
            if allowed:
                assert status not in (401, 403), (method, rule, role, status)
            else:
                assert status == 403, (method, rule, role, status)
            checked += 1
    assert checked == 4 * len(EXPECTED)


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
