"""``/admin/users`` (admins): list, create and delete users, set a password.

Through the services' ``/users`` routes (``RemoteSessionManager`` with the
admin's own token); the services check ``manage_users`` on every call.
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
    """Every user, by name."""
    try:
        offset = max(0, int(request.args.get("offset", 0)))
    except ValueError:
        offset = 0
    listed = _users().list_users(limit=PAGE_SIZE + 1, offset=offset)
    return render_template(
        "users.html",
        users=listed[:PAGE_SIZE],
        roles=ROLES,
        offset=offset,
        next_offset=offset + PAGE_SIZE if len(listed) > PAGE_SIZE else None,
    )


@admin_blueprint.post("/admin/users")
@privilege_required("manage_users")
def create_user():
    """Create a user with a role."""
    username = request.form.get("username", "").strip()
    role = request.form.get("role", "user")
    try:
        _users().create_user(
            username, request.form.get("password", ""), role, request.form.get("email") or None
        )
    except (InvalidRequestError, ConflictError) as error:
        flash(f"Could not create {username!r}: {error.message}", "error")
    else:
        flash(f"Created {username} ({role}).")
    return redirect(url_for("admin.users"))


@admin_blueprint.post("/admin/users/<username>/delete")
@privilege_required("manage_users")
def delete_user(username):
    """Delete a user."""
    try:
        _users().delete_user(username)
    except NotFoundError:
        flash(f"There is no user {username!r}.", "error")
    else:
        flash(f"Deleted {username}.")
    return redirect(url_for("admin.users"))


@admin_blueprint.post("/admin/users/<username>/password")
@privilege_required("manage_users")
def set_password(username):
    """Set a user's password."""
    try:
        _users().change_password(username, request.form.get("password", ""))
    except (InvalidRequestError, NotFoundError) as error:
        flash(f"Could not set the password of {username!r}: {error.message}", "error")
    else:
        flash(f"Set a new password for {username}.")
    return redirect(url_for("admin.users"))
