"""``RemoteSessionManager``: the session manager for machines without the secret.

A laptop talking to a cluster cannot mint tokens; it asks any sim2l service's
sessions blueprint instead. ``get_session_manager()`` returns one of these
when ``SIM2L_SESSIONS_URL`` is set. User management needs an admin session
(``admin_session_id``).
"""

from sim2l_sessions.client_errors import ForbiddenError
from sim2l_sessions.client_errors import UnauthenticatedError
from sim2l_sessions.errors import AuthenticationError
from sim2l_sessions.errors import PrivilegeDeniedError
from sim2l_sessions.service_client import ServiceClient
from sim2l_sessions.session import Session
from sim2l_sessions.timestamps import parse_timestamp


def _session(token: str, body: dict, revoked: bool = False) -> Session:
    return Session(
        session_id=token,
        token_id=body["token_id"],
        username=body.get("username"),
        role=body["role"],
        privileges=frozenset(body["privileges"]),
        issued_at=parse_timestamp(body["issued_at"]),
        expires_at=parse_timestamp(body["expires_at"]),
        revoked=revoked,
    )


class RemoteSessionManager:
    """The ``SessionManager`` calls, answered by a service's ``/sessions`` routes."""

    def __init__(self, url: str, admin_session_id: str | None = None, timeout=10):
        self.client = ServiceClient(url, session_id=admin_session_id, timeout=timeout)

    def authenticate(self, username: str, password: str, ttl_hours: float | None = None) -> Session:
        """Log in at the service; ``AuthenticationError`` on bad credentials."""
        body = {"username": username, "password": password}
        if ttl_hours is not None:
            body["ttl_hours"] = ttl_hours
        try:
            answer = self.client._request("POST", "/sessions", json=body)
        except UnauthenticatedError as error:
            raise AuthenticationError(error.message) from None
        return _session(answer["session_id"], answer)

    def create_anonymous_session(self, privileges=None, ttl_hours: float | None = None) -> Session:
        """An anonymous session within the service's anonymous policy."""
        body = {"anonymous": True}
        if privileges is not None:
            body["privileges"] = list(privileges)
        if ttl_hours is not None:
            body["ttl_hours"] = ttl_hours
        try:
            answer = self.client._request("POST", "/sessions", json=body)
        except ForbiddenError as error:
            raise PrivilegeDeniedError(f"{error.message}: {error.details}") from None
        return _session(answer["session_id"], answer)

    def get_session(self, session_id: str) -> Session | None:
        """The session as the service sees it; None when the service refuses it."""
        try:
            answer = self.client._request(
                "GET", "/sessions/current", headers={"X-Session-ID": session_id}
            )
        except UnauthenticatedError:
            return None
        return _session(session_id, answer)

    def check_privilege(self, session_id: str, privilege: str) -> bool:
        """Whether the service accepts the session and it holds ``privilege``."""
        session = self.get_session(session_id)
        return session is not None and session.has_privilege(privilege)

    def invalidate_session(self, session_id: str) -> bool:
        """Log the session out at the service."""
        try:
            self.client._request(
                "DELETE", "/sessions/current", headers={"X-Session-ID": session_id}
            )
        except UnauthenticatedError:
            return False
        return True

    logout = invalidate_session

    def logout_everywhere(self, session_id: str) -> bool:
        """End every token of this token's user at the service; whether it was accepted."""
        try:
            self.client._request("DELETE", "/sessions", headers={"X-Session-ID": session_id})
        except UnauthenticatedError:
            return False
        return True

    def revoke_user_sessions(self, username: str) -> None:
        """End every session of a user (needs an admin session)."""
        self.client._request("DELETE", f"/users/{username}/sessions")

    def set_role(self, username: str, role: str) -> None:
        """Give a user another role, ending their sessions (needs an admin session)."""
        self.client._request("PUT", f"/users/{username}/role", json={"role": role})

    def create_user(self, username: str, password: str, role: str = "user", email=None) -> dict:
        """Create a user (needs an admin session)."""
        return self.client._request(
            "POST",
            "/users",
            json={"username": username, "password": password, "role": role, "email": email},
        )

    def users_page(self, limit: int = 100, cursor: str | None = None) -> dict:
        """A page of users by name (needs an admin session).

        ``{"items": [...], "limit": N, "next_cursor": ...}``; pass ``next_cursor``
        back as ``cursor`` for the next page (it is null on the last).
        """
        params = {"limit": limit} if cursor is None else {"limit": limit, "cursor": cursor}
        return self.client._request("GET", "/users", params=params)

    def iter_users(self, page_size: int = 500):
        """Every user, by name, read a page at a time (needs an admin session)."""
        cursor = None
        while True:
            page = self.users_page(limit=page_size, cursor=cursor)
            yield from page["items"]
            if (cursor := page["next_cursor"]) is None:
                return

    def delete_user(self, username: str) -> None:
        """Delete a user (needs an admin session)."""
        self.client._request("DELETE", f"/users/{username}")

    def change_password(self, username: str, new_password: str) -> None:
        """Set a user's password (needs an admin session)."""
        self.client._request("PUT", f"/users/{username}/password", json={"password": new_password})
