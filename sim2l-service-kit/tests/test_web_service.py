"""The service kit through the toy service: auth, blueprint, errors, operations routes."""

import pytest
import requests
from flask import request
from sim2l_service_kit import APIError
from sim2l_service_kit import route_privileges
from sim2l_service_kit.testing import RFC3339_UTC
from sim2l_sessions.manager import SessionManager
from sim2l_sessions.privileges import ROLES

ROLE_NAMES = ["user", "developer", "admin"]


def tokens_by_role():
    manager = SessionManager(revocation_refresh_seconds=0)
    tokens = {
        role: manager.create_session(f"{role}-person", role).session_id for role in ROLE_NAMES
    }
    tokens["anonymous"] = manager.create_anonymous_session(privileges=["user"]).session_id
    return manager, tokens


def call(url, method, path, token=None, **kwargs):
    headers = kwargs.pop("headers", {})
    if token:
        headers["X-Session-ID"] = token
    return requests.request(method, url + path, headers=headers, timeout=10, **kwargs)


def test_every_route_declares_what_it_needs(toy_app):
    undeclared = [route for route, need in route_privileges(toy_app).items() if need is None]
    assert undeclared == []


def test_privilege_matrix_over_the_route_table(toy_app, toy_url):
    manager, _ = tokens_by_role()
    forged = manager.create_session("mallory", "admin").session_id[:-4] + "AAAA"
    for (method, rule), need in route_privileges(toy_app).items():
        path = rule.replace("<path:key>", "k").replace("<username>", "nobody")
        kwargs = {"json": {}} if method in ("POST", "PUT") else {}
        if need == "public":
            assert call(toy_url, method, path, **kwargs).status_code not in (401, 403), (
                method,
                rule,
            )
            continue
        assert call(toy_url, method, path, **kwargs).status_code == 401, (method, rule)
        assert call(toy_url, method, path, forged, **kwargs).status_code == 401, (method, rule)
        # Fresh tokens per route: DELETE /sessions/current logs its caller out.
        for role, token in tokens_by_role()[1].items():
            privileges = ROLES["user"] if role == "anonymous" else ROLES[role]
            status = call(toy_url, method, path, token, **kwargs).status_code
            allowed = need == "session" or need in privileges
            assert (status != 403) is allowed and status != 401, (method, rule, role, status)


def test_bearer_header_is_accepted(toy_url):
    _, tokens = tokens_by_role()
    response = call(
        toy_url, "GET", "/sessions/current", headers={"Authorization": f"Bearer {tokens['user']}"}
    )
    assert response.status_code == 200 and response.json()["role"] == "user"


def test_expired_token_is_401(toy_url):
    from sim2l_sessions.tokens import new_claims

    claims = new_claims(None, "anonymous", ["read_cache"], 3600)
    claims["exp"] = claims["iat"] - 1  # already expired: no sleep standing in for a clock
    token = SessionManager().codec.encode(claims)
    response = call(toy_url, "GET", "/notes/x", token)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "session_expired"


def test_login_anonymous_and_logout_through_the_blueprint(toy_url):
    SessionManager().create_user("alice", "secret", "developer")
    login = requests.post(
        toy_url + "/sessions", json={"username": "alice", "password": "secret"}, timeout=10
    )
    assert login.status_code == 201
    token = login.json()["session_id"]
    assert login.json()["role"] == "developer"
    assert RFC3339_UTC.match(login.json()["issued_at"])
    current = call(toy_url, "GET", "/sessions/current", token).json()
    assert current["issued_at"] < current["expires_at"] and RFC3339_UTC.match(current["expires_at"])
    assert call(toy_url, "GET", "/sessions/current", token).json()["username"] == "alice"
    assert call(toy_url, "DELETE", "/sessions/current", token).status_code == 200
    revoked = call(toy_url, "GET", "/sessions/current", token)
    assert revoked.status_code == 401 and revoked.json()["error"]["code"] == "session_revoked"


@pytest.mark.parametrize(
    "privileges", [["admin"], ["manage_users"], ["developer"], ["read_cache", "admin_service"]]
)
def test_anonymous_request_for_more_than_the_policy_is_refused(toy_url, privileges):
    response = requests.post(
        toy_url + "/sessions", json={"anonymous": True, "privileges": privileges}, timeout=10
    )
    assert response.status_code == 403
    assert response.json()["error"]["details"]["refused_privileges"]


def test_anonymous_within_policy_is_granted(toy_url):
    response = requests.post(
        toy_url + "/sessions", json={"anonymous": True, "privileges": ["read_cache"]}, timeout=10
    )
    assert response.status_code == 201
    assert response.json()["privileges"] == ["read_cache"]


@pytest.mark.parametrize(
    "body, status",
    [
        ({"username": "alice"}, 400),
        ({"username": "alice", "password": "x", "extra": 1}, 400),
        ({"anonymous": True, "username": "x"}, 400),
        ({"anonymous": True, "privileges": ["root"]}, 400),
        ({"anonymous": True, "ttl_hours": -1}, 400),
        ({"anonymous": "yes please"}, 400),
        ({"username": "alice", "password": "wrong"}, 401),
        ({"username": "nobody", "password": "wrong"}, 401),
    ],
)
def test_bad_session_requests(toy_url, body, status):
    SessionManager().create_user("alice", "secret")
    response = requests.post(toy_url + "/sessions", json=body, timeout=10)
    assert response.status_code == status
    assert "error" in response.json()


def test_brute_force_through_the_blueprint_gets_429(toy_url):
    SessionManager().create_user("bob", "secret")
    statuses = [
        requests.post(
            toy_url + "/sessions", json={"username": "bob", "password": f"guess{i}"}, timeout=10
        ).status_code
        for i in range(7)
    ]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]
    limited = requests.post(
        toy_url + "/sessions", json={"username": "bob", "password": "secret"}, timeout=10
    )
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


@pytest.mark.parametrize(
    "data, headers, status, code",
    [
        (b"{not json", {}, 400, "invalid_json"),
        (b"[1, 2]", {}, 400, "invalid_json"),
        (b"\xff\xfe\x00", {}, 400, "validation_error"),  # the text rule: not UTF-8
        (b"[" * 100 + b"]" * 100, {}, 400, "invalid_json"),
        (b'{"key": "' + b"x" * 5000 + b'", "text": "t"}', {}, 413, "payload_too_large"),
        (b'{"key": 1, "text": "t"}', {}, 400, "validation_error"),
    ],
)
def test_bad_bodies_get_json_errors_and_store_nothing(toy_url, data, headers, status, code):
    _, tokens = tokens_by_role()
    response = call(
        toy_url,
        "POST",
        "/notes",
        tokens["user"],
        data=data,
        headers={"Content-Type": "application/json", **headers},
    )
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert call(toy_url, "GET", "/notes/x", tokens["user"]).status_code == 404


def test_unknown_route_and_method_are_json(toy_url):
    assert requests.get(toy_url + "/nowhere", timeout=10).json()["error"]["code"] == "not_found"
    response = requests.put(toy_url + "/health", timeout=10)
    assert response.status_code == 405 and response.json()["error"]["code"] == "method_not_allowed"


def test_duplicate_insert_is_409_not_500(toy_url):
    _, tokens = tokens_by_role()
    note = {"key": "k", "text": "t"}
    assert call(toy_url, "POST", "/notes", tokens["user"], json=note).status_code == 201
    response = call(toy_url, "POST", "/notes", tokens["user"], json=note)
    assert response.status_code == 409 and "Traceback" not in response.text


def test_operational_routes(toy_url):
    assert requests.get(toy_url + "/health", timeout=10).json()["status"] == "ok"
    assert requests.get(toy_url + "/ready", timeout=10).json()["status"] == "ready"
    requests.get(toy_url + "/health", timeout=10)
    metrics = requests.get(toy_url + "/metrics", timeout=10).text
    health = [
        line
        for line in metrics.splitlines()
        if line.startswith("sim2l_http_requests_total{") and 'route="/health"' in line
    ]
    assert len(health) == 1
    for label in ('service="toy"', 'method="GET"', 'status="200"'):
        assert label in health[0]
    document = requests.get(toy_url + "/openapi.json", timeout=10).json()
    assert "/sessions" in document["paths"] and "/health" in document["paths"]


def test_unmigrated_database_is_refused_with_the_command(tmp_path):
    from sim2l_service_kit.testing import toy_service
    from sim2l_sessions.migrations import UnmigratedDatabaseError

    with pytest.raises(UnmigratedDatabaseError, match="sim2l-toy-service migrate"):
        toy_service.create_app({"database_url": f"sqlite:///{tmp_path / 'fresh.db'}"})


def test_user_management_routes_need_manage_users(toy_url):
    _, tokens = tokens_by_role()
    new_user = {"username": "zed", "password": "pw", "role": "user"}
    assert call(toy_url, "POST", "/users", tokens["developer"], json=new_user).status_code == 403
    assert call(toy_url, "POST", "/users", tokens["admin"], json=new_user).status_code == 201
    assert call(toy_url, "POST", "/users", tokens["admin"], json=new_user).status_code == 409
    listed = call(toy_url, "GET", "/users", tokens["admin"]).json()["items"]
    assert [user["username"] for user in listed] == ["zed"]
    assert RFC3339_UTC.match(listed[0]["created_at"])
    assert (
        call(
            toy_url, "PUT", "/users/zed/password", tokens["admin"], json={"password": "p2"}
        ).status_code
        == 200
    )
    assert call(toy_url, "DELETE", "/users/zed", tokens["admin"]).status_code == 200
    assert call(toy_url, "DELETE", "/users/zed", tokens["admin"]).status_code == 404


def test_the_users_list_pages_by_cursor_without_repeats_or_gaps(toy_url):
    _, tokens = tokens_by_role()
    names = [f"user{number:02}" for number in range(7)]
    for name in names:
        user = {"username": name, "password": "pw", "role": "user"}
        assert call(toy_url, "POST", "/users", tokens["admin"], json=user).status_code == 201
    seen, cursor, pages = [], None, 0
    while True:
        params = f"?limit=3&cursor={cursor}" if cursor else "?limit=3"
        page = call(toy_url, "GET", "/users" + params, tokens["admin"]).json()
        assert page["limit"] == 3 and len(page["items"]) <= 3
        seen += [user["username"] for user in page["items"]]
        pages += 1
        if pages == 1:  # a user deleted behind the cursor moves nothing after it
            assert call(toy_url, "DELETE", "/users/user00", tokens["admin"]).status_code == 200
        if (cursor := page["next_cursor"]) is None:
            break
    assert seen == names and pages == 3


@pytest.mark.parametrize(
    "query, field",
    [
        ("?limit=501", "limit"),
        ("?limit=0", "limit"),
        ("?cursor=not-a-cursor", "cursor"),
        ("?cursor=WyJ1c2Vyc19ieV9uYW1lIl0", "cursor"),  # the order alone, no key
        ("?cursor=WyJjcmVhdGVkIiwxXQ", "cursor"),  # another list's order
        ("?cursor=WyJ1c2Vyc19ieV9uYW1lIiw1XQ", "cursor"),  # a number where a name belongs
        ("?cursor=WyJ1c2Vyc19ieV9uYW1lIiwiYVx1MDAwMCJd", "cursor"),  # a NUL in the name
    ],
)
def test_a_bad_page_request_is_a_400_naming_the_field(toy_url, query, field):
    _, tokens = tokens_by_role()
    response = call(toy_url, "GET", "/users" + query, tokens["admin"])
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "validation_error"
    assert list(response.json()["error"]["details"]) == [field]


@pytest.mark.parametrize(
    "method, path, body, status, code",
    [
        (
            "POST",
            "/users",
            {"username": "taken", "password": "pw", "role": "user"},
            409,
            "conflict",
        ),
        ("DELETE", "/users/nobody", None, 404, "not_found"),
        ("PUT", "/users/nobody/password", {"password": "p2"}, 404, "not_found"),
        ("PUT", "/users/nobody/role", {"role": "developer"}, 404, "not_found"),
        ("PUT", "/users/taken/password", {"password": ""}, 400, "validation_error"),
    ],
)
def test_user_store_errors_are_answered_with_the_error_shape(
    toy_url, method, path, body, status, code
):
    _, tokens = tokens_by_role()
    taken = {"username": "taken", "password": "pw", "role": "user"}
    call(toy_url, "POST", "/users", tokens["admin"], json=taken)
    response = call(toy_url, method, path, tokens["admin"], json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


@pytest.mark.parametrize(
    "method, path, body, field",
    [
        ("GET", "/notes/a%00b", None, "key"),
        ("GET", "/notes/caf%E9", None, "key"),  # Latin-1, not UTF-8
        ("GET", "/notes/%ED%A0%80", None, "key"),  # an encoded lone surrogate
        ("GET", "/notes/k?q=a%00b", None, "q"),
        ("GET", "/notes/k?q=%FF", None, "q"),
        ("POST", "/notes", b'{"key": "a\\u0000b", "text": "t"}', "key"),
        ("POST", "/notes", b'{"key": "k", "text": "\\ud800"}', "text"),
        ("POST", "/notes", b'{"key": "k", "text": "t", "\\udfff": 1}', "\\udfff"),
        ("POST", "/notes", b'{"key": "k", "text": "caf\xe9"}', "body"),
        ("POST", "/sessions", b'{"username": "a\\u0000b", "password": "x"}', "username"),
    ],
)
def test_the_text_rule_is_a_400_naming_the_field(toy_url, method, path, body, field):
    _, tokens = tokens_by_role()
    headers = {"Content-Type": "application/json"} if body is not None else {}
    response = call(toy_url, method, path, tokens["developer"], data=body, headers=headers)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error" and field in error["details"], error
    assert call(toy_url, "GET", "/notes/k", tokens["developer"]).status_code == 404


def multipart(name: str, value: bytes) -> tuple[bytes, str]:
    body = (
        b'--XX\r\nContent-Disposition: form-data; name="'
        + name.encode()
        + b'"\r\n\r\n'
        + value
        + b"\r\n--XX--\r\n"
    )
    return body, "multipart/form-data; boundary=XX"


@pytest.mark.parametrize("value", ["caf\xe9".encode("latin-1"), b"a\x00b", b"ok"])
def test_a_multipart_field_breaking_the_text_rule_is_a_400(toy_app, value):
    body, content_type = multipart("execution_id", value)
    with toy_app.test_request_context(
        "/notes", method="POST", data=body, content_type=content_type
    ):
        if value == b"ok":
            assert request.form["execution_id"] == "ok"
            return
        with pytest.raises(APIError) as raised:
            request.form  # noqa: B018 - parsing the form applies the rule
    assert raised.value.status == 400 and "execution_id" in raised.value.details


def test_deeply_nested_json_with_escapes_is_a_400_not_a_500(toy_url):
    _, tokens = tokens_by_role()
    body = b'{"key": ' + b"[" * 2000 + b'"\\u0000"' + b"]" * 2000 + b"}"  # < 4096 bytes
    response = call(
        toy_url,
        "POST",
        "/notes",
        tokens["developer"],
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
