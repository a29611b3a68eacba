"""Server-side authentication: the request's token becomes ``g.session``.

Views declare what they need with ``@require_privilege("read_cache")``, or
``@require_session`` for any valid session, or ``@public``. The requirement
is kept on the view function (``view.required_privilege``) so a service's
route table can be listed with the privilege of every route.
"""

import functools

from flask import current_app
from flask import g
from flask import request
from sim2l_sessions.tokens import Session

from sim2l_service_kit.errors import APIError

EXTENSION_KEY = "sim2l_sessions"
PUBLIC = "public"
ANY_SESSION = "session"


def request_token() -> str | None:
    """The token from ``X-Session-ID`` or ``Authorization: Bearer``, if any."""
    token = request.headers.get("X-Session-ID")
    if token:
        return token.strip()
    authorization = request.headers.get("Authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def authenticate_request(privilege: str | None) -> Session:
    """The request's valid session holding ``privilege`` (None: any), or a 401/403 ``APIError``."""
    token = request_token()
    if token is None:
        raise APIError(401, "unauthenticated", "a session is required: send X-Session-ID")
    manager = current_app.extensions[EXTENSION_KEY]
    session = manager.get_session(token)
    if session is None:
        raise APIError(401, "invalid_session", "the session token is not valid")
    if session.revoked:
        raise APIError(401, "session_revoked", "the session was logged out")
    if session.is_expired():
        raise APIError(401, "session_expired", "the session has expired")
    if privilege is not None and privilege not in session.privileges:
        raise APIError(
            403,
            "forbidden",
            f"this session lacks the {privilege!r} privilege",
            {"required_privilege": privilege},
        )
    g.session = session
    return session


def require_privilege(privilege: str):
    """Decorate a view so it runs only for a valid session holding ``privilege``."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            authenticate_request(privilege)
            return view(*args, **kwargs)

        wrapper.required_privilege = privilege
        return wrapper

    return decorator


def require_session(view):
    """Decorate a view so it runs for any valid session."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        authenticate_request(None)
        return view(*args, **kwargs)

    wrapper.required_privilege = ANY_SESSION
    return wrapper


def public(view):
    """Mark a view as open without a session (health, metrics, login)."""
    view.required_privilege = PUBLIC
    return view


def current_session() -> Session:
    """The session of the request being served (after authentication)."""
    return g.session


def route_privileges(app) -> dict[tuple[str, str], str | None]:
    """``{(method, rule): required privilege}`` for every route of ``app``.

    A route whose view declares nothing maps to None, so a test can insist
    that every route says what it needs.
    """
    table = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            table[(method, rule.rule)] = getattr(view, "required_privilege", None)
    return table
