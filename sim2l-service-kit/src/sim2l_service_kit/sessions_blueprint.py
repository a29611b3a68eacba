"""The sessions blueprint every sim2l service mounts.

- ``POST /sessions``: log in (``username``, ``password``) or start an
  anonymous session (``anonymous: true``, optional ``privileges``); anonymous
  sessions never get more than the service's anonymous policy allows.
- ``GET /sessions/current``: the caller's session; ``DELETE`` logs it out.
- ``/users``: list, create, delete users and set passwords (``manage_users``).
"""

from flask import Blueprint
from flask import current_app
from flask import request
from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import validate
from marshmallow import validates_schema
from sim2l_sessions.errors import AuthenticationError
from sim2l_sessions.errors import InvalidUserError
from sim2l_sessions.errors import RateLimitedError
from sim2l_sessions.errors import UserExistsError
from sim2l_sessions.errors import UserNotFoundError
from sim2l_sessions.manager import MAX_TTL_HOURS
from sim2l_sessions.passwords import PasswordError
from sim2l_sessions.privileges import ROLES
from sim2l_sessions.privileges import UnknownPrivilegeError
from sim2l_sessions.privileges import expand_privileges
from sim2l_sessions.timestamps import format_timestamp

from sim2l_service_kit.auth import EXTENSION_KEY
from sim2l_service_kit.auth import current_session
from sim2l_service_kit.auth import public
from sim2l_service_kit.auth import require_privilege
from sim2l_service_kit.auth import require_session
from sim2l_service_kit.errors import APIError
from sim2l_service_kit.jsonio import json_response
from sim2l_service_kit.jsonio import request_json

sessions_blueprint = Blueprint("sessions", __name__)

_TTL = fields.Float(
    validate=validate.Range(min=0, min_inclusive=False, max=MAX_TTL_HOURS), allow_nan=False
)


class SessionRequestSchema(Schema):
    """A login (username + password) or an anonymous session request."""

    username = fields.String(validate=validate.Length(min=1, max=150))
    password = fields.String(validate=validate.Length(min=1, max=1024))
    anonymous = fields.Boolean()
    privileges = fields.List(
        fields.String(validate=validate.Length(max=64)), validate=validate.Length(max=32)
    )
    ttl_hours = _TTL

    @validates_schema
    def login_or_anonymous(self, data, **kwargs):
        """Exactly one of a login or an anonymous request."""
        if data.get("anonymous"):
            if "username" in data or "password" in data:
                raise ValidationError("an anonymous session takes no username or password")
        elif "username" not in data or "password" not in data:
            raise ValidationError("give username and password, or anonymous: true")
        elif "privileges" in data:
            raise ValidationError("a login gets its role's privileges; privileges is for anonymous")


class UserCreateSchema(Schema):
    """A new user."""

    username = fields.String(required=True, validate=validate.Length(min=1, max=150))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    role = fields.String(load_default="user", validate=validate.OneOf(sorted(ROLES)))
    email = fields.Email(load_default=None, allow_none=True)


class PasswordChangeSchema(Schema):
    """A new password for a user."""

    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


def _manager():
    return current_app.extensions[EXTENSION_KEY]


def _session_body(session, include_token: bool) -> dict:
    body = session.to_dict()
    body["issued_at"] = format_timestamp(session.issued_at)
    body["expires_at"] = format_timestamp(session.expires_at)
    if include_token:
        body["session_id"] = session.session_id
    return body


@sessions_blueprint.post("/sessions")
@public
def create_session():
    """Log in, or start an anonymous session within the anonymous policy."""
    data = SessionRequestSchema().load(request_json(request))
    manager = _manager()
    if data.get("anonymous"):
        if not current_app.config["ANONYMOUS_SESSIONS"]:
            raise APIError(
                403, "anonymous_disabled", "this service does not grant anonymous sessions"
            )
        allowed = current_app.config["ANONYMOUS_PRIVILEGES"]
        try:
            wanted = expand_privileges(data["privileges"]) if "privileges" in data else allowed
        except UnknownPrivilegeError as error:
            raise APIError(400, "validation_error", str(error)) from None
        if not wanted <= allowed:
            raise APIError(
                403,
                "forbidden",
                "anonymous sessions may not hold these privileges",
                {"refused_privileges": sorted(wanted - allowed)},
            )
        session = manager.create_anonymous_session(sorted(wanted), ttl_hours=data.get("ttl_hours"))
    else:
        try:
            session = manager.authenticate(
                data["username"],
                data["password"],
                client_address=request.remote_addr,
                ttl_hours=data.get("ttl_hours"),
            )
        except RateLimitedError as error:
            raise APIError(
                429, "rate_limited", str(error), headers={"Retry-After": str(error.retry_after)}
            ) from None
        except AuthenticationError as error:
            raise APIError(401, "invalid_credentials", str(error)) from None
    return json_response(_session_body(session, include_token=True), status=201)


@sessions_blueprint.get("/sessions/current")
@require_session
def get_current_session():
    """The caller's session."""
    return json_response(_session_body(current_session(), include_token=False))


@sessions_blueprint.delete("/sessions/current")
@require_session
def delete_current_session():
    """Log the caller's session out, on every service sharing the store."""
    _manager().invalidate_session(current_session().session_id)
    return json_response({"revoked": True})


def _user_body(user: dict) -> dict:
    return {**user, "created_at": format_timestamp(user["created_at"])}


def _int_argument(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise APIError(400, "validation_error", f"{name} must be an integer") from None
    if not low <= value <= high:
        raise APIError(400, "validation_error", f"{name} must be between {low} and {high}")
    return value


@sessions_blueprint.get("/users")
@require_privilege("manage_users")
def list_users():
    """Users by name, paginated with ``limit`` (at most 500) and ``offset``."""
    limit = _int_argument("limit", 100, 1, 500)
    offset = _int_argument("offset", 0, 0, 10**9)
    users = [_user_body(user) for user in _manager().list_users(limit=limit, offset=offset)]
    return json_response({"items": users, "limit": limit, "offset": offset})


@sessions_blueprint.post("/users")
@require_privilege("manage_users")
def create_user():
    """Create a user."""
    data = UserCreateSchema().load(request_json(request))
    try:
        user = _manager().create_user(
            data["username"], data["password"], data["role"], data["email"]
        )
    except UserExistsError as error:
        raise APIError(409, "conflict", str(error)) from None
    except (InvalidUserError, PasswordError) as error:
        raise APIError(400, "validation_error", str(error)) from None
    return json_response(_user_body(user), status=201)


@sessions_blueprint.delete("/users/<username>")
@require_privilege("manage_users")
def delete_user(username):
    """Delete a user."""
    try:
        _manager().delete_user(username)
    except UserNotFoundError as error:
        raise APIError(404, "not_found", str(error)) from None
    return json_response({"deleted": username})


@sessions_blueprint.put("/users/<username>/password")
@require_privilege("manage_users")
def set_password(username):
    """Set a user's password."""
    data = PasswordChangeSchema().load(request_json(request))
    try:
        _manager().change_password(username, data["password"])
    except UserNotFoundError as error:
        raise APIError(404, "not_found", str(error)) from None
    except PasswordError as error:
        raise APIError(400, "validation_error", str(error)) from None
    return json_response({"username": username, "password_changed": True})
