"""Sign-in and privileges: ``/login``, ``/logout`` and the decorators the pages use.

The login form's username and password go to a service's ``POST /sessions``
(through ``RemoteSessionManager``); the token it answers lives in the
dashboard's signed cookie (HttpOnly, SameSite=Strict, Secure over https)
with the role and privileges it carries, so pages can hide what the
services would refuse. The services still check every call: a token they
no longer accept (revoked, expired) signs the user out.
"""

import functools
import time

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from sim2l_sessions.client_errors import ServiceError
from sim2l_sessions.errors import AuthenticationError
from sim2l_sessions.remote import RemoteSessionManager

from sim2l_web.csrf import new_csrf_token
from sim2l_web.services import is_down

auth_blueprint = Blueprint("auth", __name__)


def _sessions() -> RemoteSessionManager:
    config = current_app.config["SIM2L_WEB"]
    return RemoteSessionManager(
        config["sessions_url"], timeout=(config["connect_timeout"], config["read_timeout"])
    )


def signed_in() -> bool:
    """Whether the cookie holds a session that has not expired."""
    return bool(session.get("token")) and session.get("expires_at", 0) > time.time()


def can(privilege: str) -> bool:
    """Whether the signed-in user's session holds ``privilege`` (for hiding buttons)."""
    return signed_in() and privilege in session.get("privileges", ())


def safe_next(target: str | None) -> str:
    """A local path to go to after signing in; anything else goes to the overview."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("overview.overview")


def login_required(view):
    """Send visitors without a live session to the login form, then back here."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not signed_in():
            session.pop("token", None)
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def privilege_required(privilege: str):
    """Like ``login_required``, and a 403 page for a session without ``privilege``."""

    def decorate(view):
        @functools.wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            # The cookie's privileges date from sign-in: before refusing, ask
            # the services, so a token they ended (the role changed, the
            # sessions were revoked) goes to sign in, not to a stale 403.
            if not can(privilege) and not refresh_privileges():
                return send_to_sign_in()
            if not can(privilege):
                abort(403, description=f"this page needs the '{privilege}' privilege")
            return view(*args, **kwargs)

        wrapper.required_privilege = privilege
        return wrapper

    return decorate


def sign_out_locally() -> None:
    """Forget the session in the cookie (the services already refuse it)."""
    session.clear()
    new_csrf_token()


def send_to_sign_in():
    """Forget a session the services refuse and send the browser to sign in, then back here."""
    sign_out_locally()
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?"), expired=1))


def refresh_privileges() -> bool:
    """Copy the session's role and privileges as the services see them now into the cookie.

    False when the services refuse the token; True when they accept it, or
    when they cannot be asked (the cookie's privileges stand, and the
    services check every call anyway).
    """
    try:
        current = _sessions().get_session(session["token"])
    except ServiceError:
        return True
    if current is None:
        return False
    session["role"] = current.role
    session["privileges"] = sorted(current.privileges)
    return True


@auth_blueprint.route("/login", methods=["GET", "POST"])
def login():
    """The login form; on success the token goes into the cookie."""
    error = None
    status = 200
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        if not username or not password:
            error, status = "Enter a username and a password.", 400
        else:
            try:
                granted = _sessions().authenticate(username, password)
            except AuthenticationError:
                error, status = "Wrong username or password.", 401
            except ServiceError as failure:
                if is_down(failure):
                    error, status = "The sign-in service is unavailable; try again shortly.", 503
                elif failure.status == 429:
                    error, status = "Too many attempts; wait a minute and try again.", 429
                else:
                    error, status = f"Sign-in failed: {failure.message}", 400
            else:
                # A new cookie (and CSRF token) at sign-in: nothing from before
                # the login carries over (session fixation).
                session.clear()
                session["token"] = granted.session_id
                session["username"] = granted.username
                session["role"] = granted.role
                session["privileges"] = sorted(granted.privileges)
                session["expires_at"] = granted.expires_at
                new_csrf_token()
                return redirect(safe_next(request.args.get("next")))
    return (
        render_template(
            "login.html", error=error, username=username, next=request.args.get("next")
        ),
        status,
    )


@auth_blueprint.route("/logout", methods=["GET", "POST"])
def logout():
    """GET asks to confirm (a link must not sign anyone out); POST revokes the session."""
    if request.method == "GET":
        if not signed_in():
            return redirect(url_for("auth.login"))
        return render_template("logout.html")
    token = session.get("token")
    revoked = True
    if token:
        try:
            _sessions().invalidate_session(token)
        except ServiceError:
            revoked = False
    sign_out_locally()
    return render_template("logged_out.html", revoked=revoked)
