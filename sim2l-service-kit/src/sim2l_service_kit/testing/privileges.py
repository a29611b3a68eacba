"""One privilege-matrix check for every service's route table (DESIGN section 3).

``check_privilege_matrix`` calls every route of an app with no token, a forged,
a tampered and a garbage token (401 unless the route is public), and with a
fresh session of each role (user, developer, admin, a local anonymous session
with the user privileges, and one from the service's own ``POST /sessions``):
the route must answer 403, naming the privilege, exactly when the session lacks
what ``route_privileges`` says the route needs.
"""

import requests
from sim2l_sessions.manager import SessionManager
from sim2l_sessions.privileges import ROLES
from sim2l_sessions.privileges import USER_PRIVILEGES

from sim2l_service_kit.auth import route_privileges

# The routes every service gets from the kit, and what each needs.
KIT_ROUTES = {
    ("GET", "/health"): "public",
    ("GET", "/ready"): "public",
    ("GET", "/metrics"): "public",
    ("GET", "/openapi.json"): "public",
    ("GET", "/docs"): "public",
    ("GET", "/docs/<asset>"): "public",
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
ROLES_TO_TRY = ("user", "developer", "admin", "anonymous", "service-anonymous")


def _bad_tokens(manager: SessionManager) -> dict:
    genuine = manager.create_session("admin-user", "admin").session_id
    forger = SessionManager(secret_keys="another-secret-" + "x" * 32)
    return {
        "none": None,
        "forged": forger.create_session("admin-user", "admin").session_id,
        "tampered": genuine[:-4] + ("AAAA" if not genuine.endswith("AAAA") else "BBBB"),
        "garbage": "not-a-token",
    }


def _fresh_session(manager: SessionManager, url: str, role: str) -> tuple[str, set]:
    """A new token of ``role`` and what it holds (new each time: a logout revokes it)."""
    if role == "anonymous":
        session = manager.create_anonymous_session(privileges=["user"])
        return session.session_id, set(USER_PRIVILEGES)
    if role == "service-anonymous":
        answer = requests.post(url + "/sessions", json={"anonymous": True}, timeout=10).json()
        return answer["session_id"], set(answer["privileges"])
    return manager.create_session(f"{role}-user", role).session_id, set(ROLES[role])


def check_privilege_matrix(app, url: str, manager: SessionManager, call, after=None) -> int:
    """Check every route of ``app`` (served at ``url``); return how many calls were judged.

    ``call(method, rule, token)`` sends one request to the route and returns
    the ``requests`` response (the service's test knows what a route needs in
    its path, query and body); ``after(method, rule, response)``, if given,
    runs after each allowed call (to put back what a DELETE removed, say).
    """
    judged = 0
    for (method, rule), need in sorted(route_privileges(app).items()):
        assert need is not None, f"{method} {rule} does not declare what it needs"
        for name, token in _bad_tokens(manager).items():
            status = call(method, rule, token).status_code
            if need == "public":
                assert status not in (401, 403), (method, rule, name, status)
            else:
                assert status == 401, (method, rule, name, status)
            judged += 1
        for role in ROLES_TO_TRY:
            token, held = _fresh_session(manager, url, role)
            answer = call(method, rule, token)
            if need in ("public", "session") or need in held:
                assert answer.status_code not in (401, 403), (method, rule, role, answer.text)
                if after is not None:
                    after(method, rule, answer)
            else:
                assert answer.status_code == 403, (method, rule, role, answer.status_code)
                assert answer.json()["error"]["details"] == {"required_privilege": need}
            judged += 1
    return judged
