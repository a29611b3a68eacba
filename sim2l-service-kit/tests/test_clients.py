"""The client base and the remote session manager against a real server."""

import socket
import threading

import pytest
from sim2l_sessions import get_session_manager
from sim2l_sessions.client_errors import ConflictError
from sim2l_sessions.client_errors import ForbiddenError
from sim2l_sessions.client_errors import InvalidRequestError
from sim2l_sessions.client_errors import NotFoundError
from sim2l_sessions.client_errors import PayloadTooLargeError
from sim2l_sessions.client_errors import ServiceConnectionError
from sim2l_sessions.client_errors import UnauthenticatedError
from sim2l_sessions.errors import AuthenticationError
from sim2l_sessions.errors import PrivilegeDeniedError
from sim2l_sessions.manager import SessionManager
from sim2l_sessions.remote import RemoteSessionManager
from sim2l_sessions.service_client import ServiceClient


@pytest.fixture
def user_client(toy_url):
    token = SessionManager().create_session("u", "user").session_id
    return ServiceClient(toy_url, session_id=token)


def test_errors_map_to_the_exception_family(toy_url, user_client):
    user_client._request("POST", "/notes", json={"key": "a", "text": "b"})
    cases = [
        (lambda: ServiceClient(toy_url)._request("GET", "/notes/a"), UnauthenticatedError, 401),
        (lambda: user_client._request("GET", "/users"), ForbiddenError, 403),
        (lambda: user_client._request("GET", "/notes/missing"), NotFoundError, 404),
        (
            lambda: user_client._request("POST", "/notes", json={"key": "a", "text": "b"}),
            ConflictError,
            409,
        ),
        (lambda: user_client._request("POST", "/notes", json={"key": 1}), InvalidRequestError, 400),
        (
            lambda: user_client._request("POST", "/notes", json={"key": "k", "text": "x" * 10000}),
            PayloadTooLargeError,
            413,
        ),
    ]
    for call, error_class, status in cases:
        with pytest.raises(error_class) as raised:
            call()
        assert raised.value.status == status
        assert raised.value.method and raised.value.url.startswith(toy_url)
        assert raised.value.message


def test_not_found_can_mean_none(user_client):
    assert user_client._request("GET", "/notes/nothing", not_found_none=True) is None


def test_unreachable_service_is_a_connection_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = ServiceClient(f"http://127.0.0.1:{port}", timeout=1, retries=1)
    with pytest.raises(ServiceConnectionError, match="cannot reach"):
        client.health()


def test_hanging_service_times_out_clearly():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    accepted = []
    stop = threading.Event()

    def accept_and_hang():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept_and_hang, daemon=True)
    thread.start()
    try:
        client = ServiceClient(
            f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=0.5, retries=0
        )
        with pytest.raises(ServiceConnectionError, match="timeout"):
            client.health()
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


@pytest.mark.parametrize("url", ["localhost:8001", "ftp://x", "", None])
def test_bad_base_urls_are_refused(url):
    with pytest.raises(ValueError, match="http"):
        ServiceClient(url)


def test_remote_manager_through_sessions_url(toy_url, monkeypatch):
    SessionManager().create_user("alice", "secret", "developer")
    monkeypatch.setenv("SIM2L_SESSIONS_URL", toy_url)
    manager = get_session_manager()
    assert isinstance(manager, RemoteSessionManager)
    session = manager.authenticate("alice", "secret")
    assert session.role == "developer"
    assert manager.check_privilege(session.session_id, "register_simulation")
    with pytest.raises(AuthenticationError):
        manager.authenticate("alice", "wrong")
    anonymous = manager.create_anonymous_session(privileges=["read_cache"], ttl_hours=1)
    assert manager.get_session(anonymous.session_id).is_valid()
    with pytest.raises(PrivilegeDeniedError):
        manager.create_anonymous_session(privileges=["admin"])
    assert manager.invalidate_session(anonymous.session_id)
    assert manager.get_session(anonymous.session_id) is None


def test_remote_user_management_needs_an_admin_session(toy_url):
    admin = SessionManager().create_session("root", "admin").session_id
    remote = RemoteSessionManager(toy_url, admin_session_id=admin)
    remote.create_user("bea", "pw", "user")
    remote.create_user("abe", "pw", "user")
    assert [user["username"] for user in remote.iter_users(page_size=1)] == ["abe", "bea"]
    first = remote.users_page(limit=1)
    assert [user["username"] for user in first["items"]] == ["abe"]
    following = remote.users_page(limit=1, cursor=first["next_cursor"])
    assert [user["username"] for user in following["items"]] == ["bea"]
    assert following["next_cursor"] is None
    assert remote.authenticate("bea", "pw").role == "user"
    remote.delete_user("bea")
    with pytest.raises(ForbiddenError):
        RemoteSessionManager(
            toy_url,
            admin_session_id=remote.authenticate  # noqa: B023
            and SessionManager().create_session("x", "user").session_id,
        ).users_page()


def test_remote_manager_withdraws_rights_through_the_sessions_endpoints(toy_url):
    admin = SessionManager().create_session("root", "admin").session_id
    remote = RemoteSessionManager(toy_url, admin_session_id=admin)
    remote.create_user("tmpdev", "pw", "developer")

    def still_valid(token):
        return remote.get_session(token) is not None

    first, second = (remote.authenticate("tmpdev", "pw").session_id for _ in range(2))
    assert remote.logout_everywhere(first) is True  # DELETE /sessions, by the user
    assert not still_valid(first) and not still_valid(second)
    assert remote.logout_everywhere(first) is False

    token = remote.authenticate("tmpdev", "pw").session_id
    remote.revoke_user_sessions("tmpdev")  # DELETE /users/tmpdev/sessions, by an admin
    assert not still_valid(token)

    token = remote.authenticate("tmpdev", "pw", ttl_hours=720).session_id
    remote.set_role("tmpdev", "user")  # PUT /users/tmpdev/role
    assert not still_valid(token)
    assert remote.authenticate("tmpdev", "pw").role == "user"

    token = remote.authenticate("tmpdev", "pw").session_id
    remote.change_password("tmpdev", "pw2")
    assert not still_valid(token)
    token = remote.authenticate("tmpdev", "pw2").session_id
    remote.delete_user("tmpdev")
    assert not still_valid(token)
    assert still_valid(admin)
