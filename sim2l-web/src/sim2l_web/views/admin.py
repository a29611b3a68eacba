"""``/admin/users`` (admins): list, create and delete users, set a password or a role,
end every session of a user.

Through the services' ``/users`` routes (``RemoteSessionManager`` with the
admin's own token); the services check ``manage_users`` on every call. What
the services reject (an unknown user, a role that does not exist) comes back
as a message on the users page; a refusal (the admin's token no longer holds
``manage_users``) is the 403 page, and a token they no longer accept signs the
admin out (``errors.py``).
"""

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from sim2l_sessions.client_errors import ConflictError
from sim2l_sessions.client_errors import InvalidRequestError
from sim2l_sessions.client_errors import NotFoundError
from sim2l_sessions.remote import RemoteSessionManager

from sim2l_web.auth import privilege_required

admin_blueprint = Blueprint("admin", __name__)

ROLES = ("user", "developer", "admin")
PAGE_SIZE = 100


def _users() -> RemoteSessionManager:
    config = current_app.config["SIM2L_WEB"]
    return RemoteSessionManager(
        config["sessions_url"],
        admin_session_id=session.get("token"),
        timeout=(config["connect_timeout"], config["read_timeout"]),
    )


@admin_blueprint.get("/admin/users")
@privilege_required("manage_users")
def users():
    """Every user, by name, a page at a time (``cursor`` from the previous page)."""
    page = _users().users_page(limit=PAGE_SIZE, cursor=request.args.get("cursor") or None)
    return render_template(
        "users.html", users=page["items"], roles=ROLES, next_cursor=page["next_cursor"]
    )


def _act(action, done: str, failed: str, expected_errors: tuple):
    """Run one change at the services and go back to the users page with what happened.

    The errors a form can cause (``expected_errors``: an unknown user, a value
    the services reject) become a message there; any other error goes to the
    error pages (``errors.py``).
    """
    try:
        action()
    except expected_errors as error:
        flash(f"{failed}: {error.message}", "error")
    else:
        flash(done)
    return redirect(url_for("admin.users"))


@admin_blueprint.post("/admin/users")
@privilege_required("manage_users")
def create_user():
    """Create a user with a role."""
    username = request.form.get("username", "").strip()
    role = request.form.get("role", "user")
    return _act(
        lambda: _users().create_user(
            username, request.form.get("password", ""), role, request.form.get("email") or None
        ),
        f"Created {username} ({role}).",
        f"Could not create {username!r}",
        (InvalidRequestError, ConflictError),
    )


@admin_blueprint.post("/admin/users/<username>/delete")
@privilege_required("manage_users")
def delete_user(username):
    """Delete a user."""
    return _act(
        lambda: _users().delete_user(username),
        f"Deleted {username}.",
        f"Could not delete {username!r}",
        (NotFoundError,),
    )


@admin_blueprint.post("/admin/users/<username>/password")
@privilege_required("manage_users")
def set_password(username):
    """Set a user's password."""
    return _act(
        lambda: _users().change_password(username, request.form.get("password", "")),
        f"Set a new password for {username}.",
        f"Could not set the password of {username!r}",
        (InvalidRequestError, NotFoundError),
    )


@admin_blueprint.post("/admin/users/<username>/role")
@privilege_required("manage_users")
def set_role(username):
    """Give a user another role; the services end every session they hold (it names the old one)."""
    role = request.form.get("role", "")
    return _act(
        lambda: _users().set_role(username, role),
        f"{username} is now {role}; they sign in again to use it.",
        f"Could not give {username!r} the role {role!r}",
        (InvalidRequestError, NotFoundError),
    )


@admin_blueprint.post("/admin/users/<username>/sessions/revoke")
@privilege_required("manage_users")
def revoke_sessions(username):
    """End every session of a user, at every service sharing the sessions store."""
    return _act(
        lambda: _users().revoke_user_sessions(username),
        f"Ended every session of {username}; they must sign in again.",
        f"Could not end the sessions of {username!r}",
        (InvalidRequestError,),
    )
