"""CSRF tokens: every state-changing form carries one, checked before the view runs.

The token is a random value kept in the signed, HttpOnly cookie; a form
sends it back in the ``csrf_token`` field. A page from another site can make
the browser send the cookie (SameSite=Strict already stops most of that), but
it cannot read the token to put it in the form.
"""

import hmac
import secrets

from flask import abort
from flask import request
from flask import session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FIELD = "csrf_token"


def new_csrf_token() -> str:
    """Start a fresh token (at sign-in and sign-out)."""
    session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_token() -> str:
    """This visitor's token, created on first use (templates call it in every form)."""
    return session.get("csrf") or new_csrf_token()


def check_csrf() -> None:
    """``before_request``: refuse a state-changing request without the right token."""
    if request.method in SAFE_METHODS:
        return
    expected = session.get("csrf")
    sent = request.form.get(FIELD) or request.headers.get("X-CSRF-Token") or ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, description="the form's security token is missing or stale; reload the page")
