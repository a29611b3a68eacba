"""sim2l-sessions: users, roles, privileges and signed session tokens.

The seed's API::

    from sim2l_sessions import get_session_manager
    manager = get_session_manager()
    manager.create_user(username="alice", password="secret", role="developer",
                        email="alice@example.com")
    session = manager.authenticate("alice", "secret")
    manager.check_privilege(session.session_id, "register_simulation")
    anon = manager.create_anonymous_session(privileges=["read_cache"], ttl_hours=1)

``get_session_manager()`` mints and verifies locally with the shared secret
(needs the ``store`` extra: bcrypt, itsdangerous, Peewee), or, when
``SIM2L_SESSIONS_URL`` is set, asks that service (``requests`` only).

Names are imported on first use, so a client that needs only the HTTP base
(``sim2l_sessions.service_client``) never loads Peewee, bcrypt or Flask.
"""

import importlib
import os
import threading

# name -> module that defines it; imported when first asked for.
_LAZY = {
    "AuthenticationError": "sim2l_sessions.errors",
    "InvalidUserError": "sim2l_sessions.errors",
    "PrivilegeDeniedError": "sim2l_sessions.errors",
    "RateLimitedError": "sim2l_sessions.errors",
    "SessionError": "sim2l_sessions.errors",
    "UserExistsError": "sim2l_sessions.errors",
    "UserNotFoundError": "sim2l_sessions.errors",
    "SessionManager": "sim2l_sessions.manager",
    "PasswordError": "sim2l_sessions.passwords",
    "ALL_PRIVILEGES": "sim2l_sessions.privileges",
    "ROLES": "sim2l_sessions.privileges",
    "UnknownPrivilegeError": "sim2l_sessions.privileges",
    "expand_privileges": "sim2l_sessions.privileges",
    "RemoteSessionManager": "sim2l_sessions.remote",
    "ServiceClient": "sim2l_sessions.service_client",
    "Session": "sim2l_sessions.session",
}

__all__ = sorted([*_LAZY, "get_session_manager", "reset_session_manager"])

_ENVIRONMENT = (
    "SIM2L_HOME",
    "SIM2L_SECRET_KEY",
    "SIM2L_SESSIONS_URL",
    "SIM2L_SESSIONS_DATABASE_URL",
)
_lock = threading.Lock()
_manager = None
_manager_environment = None


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sim2l_sessions' has no attribute {name!r}")


def _local_manager():
    try:
        from sim2l_sessions.manager import SessionManager
    except ImportError as error:
        raise ImportError(
            f"minting sessions locally needs the store extra ({error.name} is missing): "
            "pip install 'sim2l-sessions[store]', or set SIM2L_SESSIONS_URL to use a service"
        ) from error
    return SessionManager()


def get_session_manager():
    """The process's session manager, made anew when its environment changes.

    A ``RemoteSessionManager`` when ``SIM2L_SESSIONS_URL`` is set, else a
    local ``SessionManager``.
    """
    global _manager, _manager_environment
    environment = tuple(os.environ.get(name) for name in _ENVIRONMENT)
    with _lock:
        if _manager is None or environment != _manager_environment:
            url = os.environ.get("SIM2L_SESSIONS_URL")
            if url:
                from sim2l_sessions.remote import RemoteSessionManager

                _manager = RemoteSessionManager(url)
            else:
                _manager = _local_manager()
            _manager_environment = environment
        return _manager


def reset_session_manager() -> None:
    """Forget the process's session manager (the next call makes a new one)."""
    global _manager
    with _lock:
        _manager = None
