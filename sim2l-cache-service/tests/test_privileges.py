"""The privilege matrix, from the app's own route table (DESIGN section 3).

Every route is called with no token, a forged token, a tampered token, and a
fresh session of each role (user, developer, admin, default anonymous). A
route the table below does not list fails the first test, so a new route
cannot ship without saying what it needs.
"""

import pytest
import requests
from sim2l_service_kit import route_privileges
from sim2l_sessions import SessionManager
from sim2l_sessions.privileges import ROLES
from sim2l_sessions.privileges import USER_PRIVILEGES

EXPECTED = {
    ("GET", "/cache/<path:cache_key>"): "read_cache",
    ("GET", "/cache"): "read_cache",
    ("POST", "/cache"): "write_cache",
    ("DELETE", "/cache/<path:cache_key>"): "invalidate_cache",
    ("DELETE", "/cache"): "invalidate_cache",
    ("POST", "/cache/invalidate"): "invalidate_cache",
    ("POST", "/cache/purge"): "admin_service",
    ("GET", "/cache/stats"): "read_cache",
    ("GET", "/cache/entries"): "read_cache",
    ("GET", "/cache/invalidations"): "invalidate_cache",
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
CONCRETE = {
    "/cache/<path:cache_key>": "/cache/thermal_sim/350K/result",
    "/users/<username>": "/users/nobody",
    "/users/<username>/password": "/users/nobody/password",
    "/users/<username>/role": "/users/nobody/role",
    "/users/<username>/sessions": "/users/nobody/sessions",
}
QUERIES = {"/cache": {"key": "thermal_sim/350K/result"}}
ROLES_TO_TRY = ("user", "developer", "admin", "anonymous", "service-anonymous")


def test_every_route_declares_the_expected_privilege(app):
    assert route_privileges(app) == EXPECTED


def _call(url, method, rule, token):
    headers = {"X-Session-ID": token} if token else {}
    return requests.request(
        method,
        url + CONCRETE.get(rule, rule),
        params=QUERIES.get(rule),
        headers=headers,
        json={} if method in ("POST", "PUT") else None,
        timeout=10,
    )


def _session(manager, url, role):
    """A fresh token of ``role`` and the privileges it holds.

    ``anonymous`` is a local anonymous session (sim2l-sessions' default
    privileges); ``service-anonymous`` one from the service's
    ``POST /sessions``, which gets the service's anonymous policy (user).
    """
    if role == "anonymous":
        session = manager.create_anonymous_session()
        return session.session_id, set(session.privileges)
    if role == "service-anonymous":
        answer = requests.post(url + "/sessions", json={"anonymous": True}, timeout=10).json()
        return answer["session_id"], set(answer["privileges"])
    return manager.create_session(f"{role}-user", role).session_id, set(ROLES[role])


@pytest.mark.parametrize(("method", "rule"), sorted(EXPECTED))
def test_privilege_matrix(url, manager, method, rule):
    privilege = EXPECTED[(method, rule)]
    forger = SessionManager(secret_keys="another-secret-" + "x" * 32)
    genuine = manager.create_session("admin-user", "admin").session_id
    bad_tokens = {
        "none": None,
        "forged": forger.create_session("admin-user", "admin").session_id,
        "tampered": genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"),
        "garbage": "not-a-token",
    }
    for name, token in bad_tokens.items():
        status = _call(url, method, rule, token).status_code
        if privilege == "public":
            assert status not in (401, 403), (name, status)
        else:
            assert status == 401, (name, status)
    for role in ROLES_TO_TRY:
        token, held = _session(manager, url, role)
        answer = _call(url, method, rule, token)
        if privilege in ("public", "session") or privilege in held:
            assert answer.status_code not in (401, 403), (role, answer.status_code, answer.text)
        else:
            assert answer.status_code == 403, (role, answer.status_code)
            assert answer.json()["error"]["details"] == {"required_privilege": privilege}


def test_the_service_gives_anonymous_logins_the_user_privileges_only(url):
    answer = requests.post(
        url + "/sessions", json={"anonymous": True, "privileges": ["admin"]}, timeout=10
    )
    if answer.status_code == 201:
        assert set(answer.json()["privileges"]) <= set(USER_PRIVILEGES)
    else:
        assert answer.status_code == 403


def test_errors_are_json(url):
    answer = requests.get(url + "/cache/x", timeout=5)
    assert answer.status_code == 401
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json()["error"]["code"] == "unauthenticated"
