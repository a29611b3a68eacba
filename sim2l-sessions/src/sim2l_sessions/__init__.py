"""sim2l-sessions: users, roles, privileges and signed session tokens.

The seed's API::

    from sim2l_sessions import get_session_manager
    manager = get_session_manager()
    manager.create_user(username="alice", password="secret", role="developer",
                        email="alice@example.com")
    session = manager.authenticate("alice", "secret")
    manager.check_privilege(session.session_id, "register_simulation")
    anon = manager.create_anonymous_session(privileges=["read_cache"], ttl_hours=1)

``get_session_manager()`` mints and verifies locally with the shared secret,
or, when ``SIM2L_SESSIONS_URL`` is set, asks that service.
"""

import os
import threading

from sim2l_sessions.errors import AuthenticationError
from sim2l_sessions.errors import InvalidUserError
from sim2l_sessions.errors import PrivilegeDeniedError
from sim2l_sessions.errors import RateLimitedError
from sim2l_sessions.errors import SessionError
from sim2l_sessions.errors import UserExistsError
from sim2l_sessions.errors import UserNotFoundError
from sim2l_sessions.manager import SessionManager
from sim2l_sessions.passwords import PasswordError
from sim2l_sessions.privileges import ALL_PRIVILEGES
from sim2l_sessions.privileges import ROLES
from sim2l_sessions.privileges import UnknownPrivilegeError
from sim2l_sessions.privileges import expand_privileges
from sim2l_sessions.remote import RemoteSessionManager
from sim2l_sessions.service_client import ServiceClient
from sim2l_sessions.tokens import Session

__all__ = [
    "ALL_PRIVILEGES",
    "ROLES",
    "AuthenticationError",
    "InvalidUserError",
    "PasswordError",
    "PrivilegeDeniedError",
    "RateLimitedError",
    "RemoteSessionManager",
    "ServiceClient",
    "Session",
    "SessionError",
    "SessionManager",
    "UnknownPrivilegeError",
    "UserExistsError",
    "UserNotFoundError",
    "expand_privileges",
    "get_session_manager",
    "reset_session_manager",
]

_ENVIRONMENT = (
    "SIM2L_HOME",
    "SIM2L_SECRET_KEY",
    "SIM2L_SESSIONS_URL",
    "SIM2L_SESSIONS_DATABASE_URL",
)
_lock = threading.Lock()
_manager = None
_manager_environment = None


def get_session_manager() -> SessionManager | RemoteSessionManager:
    """The process's session manager, made anew when its environment changes."""
    global _manager, _manager_environment
    environment = tuple(os.environ.get(name) for name in _ENVIRONMENT)
    with _lock:
        if _manager is None or environment != _manager_environment:
            url = os.environ.get("SIM2L_SESSIONS_URL")
            _manager = RemoteSessionManager(url) if url else SessionManager()
            _manager_environment = environment
        return _manager


def reset_session_manager() -> None:
    """Forget the process's session manager (the next call makes a new one)."""
    global _manager
    with _lock:
        _manager = None
