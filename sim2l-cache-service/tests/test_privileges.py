"""The privilege matrix, from the app's own route table (DESIGN section 3).

The kit's ``check_privilege_matrix`` calls every route with bad tokens and a
fresh session of each role. A route the table below does not list fails the
first test, so a new route cannot ship without saying what it needs.
"""

import requests
from sim2l_service_kit import route_privileges
from sim2l_service_kit.testing.privileges import KIT_ROUTES
from sim2l_service_kit.testing.privileges import check_privilege_matrix
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
    **KIT_ROUTES,
}
CONCRETE = {
    "/cache/<path:cache_key>": "/cache/thermal_sim/350K/result",
    "/users/<username>": "/users/nobody",
    "/users/<username>/password": "/users/nobody/password",
    "/users/<username>/role": "/users/nobody/role",
    "/users/<username>/sessions": "/users/nobody/sessions",
}
QUERIES = {"/cache": {"key": "thermal_sim/350K/result"}}


def test_every_route_declares_the_expected_privilege(app):
    assert route_privileges(app) == EXPECTED


def test_privilege_matrix(app, url, manager):
    def call(method, rule, token):
        headers = {"X-Session-ID": token} if token else {}
        return requests.request(
            method,
            url + CONCRETE.get(rule, rule),
            params=QUERIES.get(rule),
            headers=headers,
            json={} if method in ("POST", "PUT") else None,
            timeout=10,
        )

    assert check_privilege_matrix(app, url, manager, call) == 9 * len(EXPECTED)


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
