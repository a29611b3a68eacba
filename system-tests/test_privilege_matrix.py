"""The privilege matrix, generated from each app's route table.

``EXPECTED`` lists every route of every service with the privilege it needs
("public" or "session" for any valid session). The test fails when a route
exists that the table does not list (or the other way round), then calls
every route with no token, a forged, an edited, an expired and a revoked
token (all 401), and with each role and an anonymous session (403 exactly
when the role lacks the privilege).
"""

import re

import pytest
from conftest import SERVICES
from conftest import create_service_app
from conftest import expired_token
from sim2l_service_kit import route_privileges
from sim2l_service_kit.testing.privileges import KIT_ROUTES
from sim2l_sessions.manager import SessionManager
from sim2l_sessions.privileges import ROLES
from sim2l_sessions.privileges import USER_PRIVILEGES

COMMON = KIT_ROUTES
EXPECTED = {
    "cache": {
        ("GET", "/cache"): "read_cache",
        ("GET", "/cache/<path:cache_key>"): "read_cache",
        ("GET", "/cache/entries"): "read_cache",
        ("GET", "/cache/stats"): "read_cache",
        ("GET", "/cache/invalidations"): "invalidate_cache",
        ("POST", "/cache"): "write_cache",
        ("POST", "/cache/invalidate"): "invalidate_cache",
        ("DELETE", "/cache"): "invalidate_cache",
        ("DELETE", "/cache/<path:cache_key>"): "invalidate_cache",
        ("POST", "/cache/purge"): "admin_service",
    },
    "catalog": {
        ("GET", "/simulations"): "read_catalog",
        ("GET", "/simulations/<name>"): "read_catalog",
        ("GET", "/simulations/<name>/versions"): "read_catalog",
        ("GET", "/simulations/<name>/stats"): "read_catalog",
        ("GET", "/simulations/<name>/versions/<version>"): "read_catalog",
        ("GET", "/simulations/by-id/<int:simulation_id>"): "read_catalog",
        ("GET", "/simulations/by-id/<int:simulation_id>/stats"): "read_catalog",
        ("GET", "/executions/<path:execution_id>"): "read_catalog",
        ("GET", "/overview"): "read_catalog",
        ("POST", "/simulations"): "register_simulation",
        ("PATCH", "/simulations/<name>/versions/<version>"): "update_catalog",
        ("POST", "/simulations/<name>/versions/<version>/deprecate"): "update_catalog",
        ("POST", "/executions"): "record_execution",
    },
    "results": {
        ("GET", "/results"): "read_results",
        ("GET", "/results/<execution:execution_id>"): "read_results",
        ("GET", "/results/<execution:execution_id>/file"): "read_results",
        ("POST", "/results/search"): "read_results",
        ("POST", "/results/columns"): "read_results",
        ("POST", "/parameters/stats"): "read_results",
        ("GET", "/parameters/distinct"): "read_results",
        ("GET", "/parameters/schemas"): "read_results",
        ("POST", "/results"): "register_result",
        ("DELETE", "/results/<execution:execution_id>"): "delete_results",
    },
}
BAD_TOKENS = ("none", "forged", "edited", "expired", "revoked")
CALLERS = ("user", "developer", "admin", "anonymous")


def concrete_path(rule: str) -> str:
    """A request path for a route rule: ids become 1, other parameters a plain name."""
    path = re.sub(r"<int:[^>]+>", "1", rule)
    return re.sub(r"<[^>]+>", "x", path)


def fresh_token(who: str) -> str | None:
    manager = SessionManager(revocation_refresh_seconds=0)
    if who == "none":
        return None
    if who == "anonymous":
        return manager.create_anonymous_session(privileges=["user"]).session_id
    if who in ROLES:
        return manager.create_session(f"{who}-caller", who).session_id
    if who == "forged":
        return SessionManager(secret_keys=["f" * 40]).create_session("m", "admin").session_id
    if who == "expired":
        return expired_token(manager)
    genuine = manager.create_session("m", "admin").session_id
    if who == "edited":
        # Flip one character of the signed payload (not of the signature's
        # last character, whose low bits base64 may ignore).
        index = 10
        flipped = "B" if genuine[index] != "B" else "C"
        return genuine[:index] + flipped + genuine[index + 1 :]
    if who == "revoked":
        manager.invalidate_session(genuine)
    return genuine


def privileges_of(who: str) -> frozenset[str]:
    return USER_PRIVILEGES if who == "anonymous" else ROLES[who]


@pytest.fixture(params=sorted(SERVICES))
def service_app(request, tmp_path):
    return request.param, create_service_app(request.param, f"sqlite:///{tmp_path / 'matrix.db'}")


def test_every_route_is_in_the_table(service_app):
    service, app = service_app
    assert route_privileges(app) == {**COMMON, **EXPECTED[service]}


def test_every_route_answers_as_the_table_says(service_app):
    service, app = service_app
    client = app.test_client()
    for (method, rule), need in route_privileges(app).items():
        path = concrete_path(rule)
        body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}

        def status(who, path=path, method=method, body=body):
            token = fresh_token(who)
            headers = {"X-Session-ID": token} if token else {}
            return client.open(path, method=method, headers=headers, **body).status_code

        if need == "public":
            assert status("none") not in (401, 403), (method, rule)
            continue
        for who in BAD_TOKENS:
            assert status(who) == 401, (service, method, rule, who)
        for who in CALLERS:
            allowed = need == "session" or need in privileges_of(who)
            code = status(who)
            assert code != 401 and (code == 403) is not allowed, (service, method, rule, who, code)
