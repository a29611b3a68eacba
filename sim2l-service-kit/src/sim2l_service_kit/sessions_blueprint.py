"""The sessions blueprint every sim2l service mounts.

- ``POST /sessions``: log in (``username``, ``password``) or start an
  anonymous session (``anonymous: true``, optional ``privileges``); anonymous
  sessions never get more than the service's anonymous policy allows.
- ``GET /sessions/current``: the caller's session; ``DELETE`` logs it out.
- ``DELETE /sessions``: log out everywhere (every token of the caller's user).
- ``/users``: list, create, delete users, set passwords and roles, and end
  every session of a user (``manage_users``). Deleting a user or changing
  their password or role ends every token they hold, at every service
  sharing the store, within the revocation refresh.
"""

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
from sim2l_sessions.manager import USERNAME_PATTERN
from sim2l_sessions.passwords import BCRYPT_MAX_BYTES
from sim2l_sessions.passwords import PasswordError
from sim2l_sessions.privileges import ALL_PRIVILEGES
from sim2l_sessions.privileges import ROLES
from sim2l_sessions.privileges import UnknownPrivilegeError
from sim2l_sessions.privileges import expand_privileges
from sim2l_sessions.timestamps import format_timestamp

from sim2l_service_kit.api import ENDS_CALLER_SESSION
from sim2l_service_kit.api import ServiceBlueprint
from sim2l_service_kit.auth import EXTENSION_KEY
from sim2l_service_kit.auth import current_session
from sim2l_service_kit.auth import public
from sim2l_service_kit.auth import require_privilege
from sim2l_service_kit.auth import require_session
from sim2l_service_kit.errors import APIError
from sim2l_service_kit.errors import error_response
from sim2l_service_kit.fields import MaxUtf8Bytes
from sim2l_service_kit.jsonio import json_response
from sim2l_service_kit.pagination import CursorField
from sim2l_service_kit.pagination import limit_field
from sim2l_service_kit.pagination import page_answer
from sim2l_service_kit.pagination import page_schema
from sim2l_service_kit.pagination import typed_cursor_key
from sim2l_service_kit.schemas import ResponseSchema

sessions_blueprint = ServiceBlueprint("sessions", __name__)

# The user store's domain errors, answered once for every users route.
_USER_ERRORS = {
    UserNotFoundError: (404, "not_found"),
    UserExistsError: (409, "conflict"),
    InvalidUserError: (400, "validation_error"),
    PasswordError: (400, "validation_error"),
}


@sessions_blueprint.errorhandler(UserNotFoundError)
@sessions_blueprint.errorhandler(UserExistsError)
@sessions_blueprint.errorhandler(InvalidUserError)
@sessions_blueprint.errorhandler(PasswordError)
def _user_error(error):
    status, code = next(answer for kind, answer in _USER_ERRORS.items() if isinstance(error, kind))
    return error_response(status, code, str(error))


_TTL = fields.Float(
    validate=validate.Range(min=0, min_inclusive=False, max=MAX_TTL_HOURS), allow_nan=False
)


def new_password() -> fields.String:
    """A password to store: 1 to 72 bytes of UTF-8 (bcrypt's limit; longer is refused)."""
    return fields.String(
        required=True,
        validate=[validate.Length(min=1), MaxUtf8Bytes(BCRYPT_MAX_BYTES, "password")],
    )


_USERNAME = validate.Length(min=1, max=150)
# The name of the users list's one order, carried in its cursors.
USERS_BY_NAME = "users_by_name"
_PASSWORD = validate.Length(min=1, max=1024)
_PRIVILEGES = fields.List(
    fields.String(validate=validate.OneOf(sorted(ALL_PRIVILEGES | set(ROLES)))),
    validate=validate.Length(max=32),
)


class LoginRequestSchema(Schema):
    """A login: username and password (documents ``SessionRequestSchema``)."""

    username = fields.String(required=True, validate=_USERNAME)
    password = fields.String(required=True, validate=_PASSWORD)
    anonymous = fields.Boolean(validate=validate.Equal(False))
    ttl_hours = _TTL


class AnonymousRequestSchema(Schema):
    """An anonymous session (documents ``SessionRequestSchema``)."""

    anonymous = fields.Boolean(required=True, validate=validate.Equal(True))
    privileges = _PRIVILEGES
    ttl_hours = _TTL


class SessionRequestSchema(Schema):
    """A login (username + password) or an anonymous session request, never a mix."""

    class Meta:
        one_of = (LoginRequestSchema, AnonymousRequestSchema)

    username = fields.String(validate=_USERNAME)
    password = fields.String(validate=_PASSWORD)
    anonymous = fields.Boolean()
    privileges = _PRIVILEGES
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

    username = fields.String(
        required=True, validate=validate.Regexp("^" + USERNAME_PATTERN.pattern + "$")
    )
    password = new_password()
    role = fields.String(load_default="user", validate=validate.OneOf(sorted(ROLES)))
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=320))


class PasswordChangeSchema(Schema):
    """A new password for a user."""

    password = new_password()


class RoleChangeSchema(Schema):
    """A new role for a user."""

    role = fields.String(required=True, validate=validate.OneOf(sorted(ROLES)))


class SessionSchema(ResponseSchema):
    """A session (``session_id`` only when it is created)."""

    session_id = fields.String()
    token_id = fields.String()
    username = fields.String(allow_none=True)
    role = fields.String()
    privileges = fields.List(fields.String())
    issued_at = fields.DateTime()
    expires_at = fields.DateTime()
    anonymous = fields.Boolean()


class RevokedSchema(ResponseSchema):
    """A logout."""

    revoked = fields.Boolean(required=True)
    username = fields.String(allow_none=True)


class UserSchema(ResponseSchema):
    """A user."""

    username = fields.String(required=True)
    email = fields.String(allow_none=True)
    role = fields.String(required=True)
    created_at = fields.DateTime()


UserPageSchema = page_schema(UserSchema, "UserPageSchema")


class UserChangeSchema(ResponseSchema):
    """What a change to a user did."""

    username = fields.String()
    deleted = fields.String()
    role = fields.String()
    password_changed = fields.Boolean()
    sessions_revoked = fields.Boolean()


class UserListQuerySchema(Schema):
    """``GET /users``: a page (``limit`` and ``cursor``), by name."""

    limit = limit_field(maximum=500)
    cursor = CursorField()


class UsernamePath(Schema):
    """A user named in the path."""

    username = fields.String(required=True)


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
@sessions_blueprint.arguments(SessionRequestSchema)
@sessions_blueprint.response(201, SessionSchema)
@sessions_blueprint.errors(401, 403, 429)
def create_session(data):
    """Log in, or start an anonymous session within the anonymous policy."""
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
@sessions_blueprint.response(200, SessionSchema)
def get_current_session():
    """The caller's session."""
    return json_response(_session_body(current_session(), include_token=False))


@sessions_blueprint.delete("/sessions/current")
@require_session
@sessions_blueprint.response(200, RevokedSchema)
@sessions_blueprint.extension(ENDS_CALLER_SESSION, True)
def delete_current_session():
    """Log the caller's session out, on every service sharing the store."""
    _manager().invalidate_session(current_session().session_id)
    return json_response({"revoked": True})


@sessions_blueprint.delete("/sessions")
@require_session
@sessions_blueprint.response(200, RevokedSchema)
@sessions_blueprint.extension(ENDS_CALLER_SESSION, True)
def delete_all_sessions():
    """Log out everywhere: every token of the caller's user (an anonymous caller: this one)."""
    session = current_session()
    _manager().logout_everywhere(session.session_id)
    return json_response({"revoked": True, "username": session.username})


def _user_body(user: dict) -> dict:
    return {**user, "created_at": format_timestamp(user["created_at"])}


@sessions_blueprint.get("/users")
@require_privilege("manage_users")
@sessions_blueprint.arguments(UserListQuerySchema, location="query")
@sessions_blueprint.response(200, UserPageSchema)
def list_users(query):
    """Users by name, a page at a time (``limit`` at most 500, ``cursor``)."""
    limit = query["limit"]
    after = typed_cursor_key(query["cursor"], USERS_BY_NAME, (str,))
    users = _manager().list_users(limit=limit + 1, after=after and after[0])
    page = page_answer(users, limit, USERS_BY_NAME, lambda user: (user["username"],))
    return json_response({**page, "items": [_user_body(user) for user in page["items"]]})


@sessions_blueprint.post("/users")
@require_privilege("manage_users")
@sessions_blueprint.arguments(UserCreateSchema)
@sessions_blueprint.response(201, UserSchema)
@sessions_blueprint.errors(409)
def create_user(data):
    """Create a user."""
    user = _manager().create_user(data["username"], data["password"], data["role"], data["email"])
    return json_response(_user_body(user), status=201)


@sessions_blueprint.delete("/users/<username>")
@require_privilege("manage_users")
@sessions_blueprint.arguments(UsernamePath, location="path")
@sessions_blueprint.response(200, UserChangeSchema)
@sessions_blueprint.errors(404)
def delete_user(path, username):
    """Delete a user."""
    _manager().delete_user(username)
    return json_response({"deleted": username})


@sessions_blueprint.put("/users/<username>/password")
@require_privilege("manage_users")
@sessions_blueprint.arguments(UsernamePath, location="path")
@sessions_blueprint.arguments(PasswordChangeSchema)
@sessions_blueprint.response(200, UserChangeSchema)
@sessions_blueprint.errors(404)
def set_password(path, data, username):
    """Set a user's password."""
    _manager().change_password(username, data["password"])
    return json_response({"username": username, "password_changed": True})


@sessions_blueprint.put("/users/<username>/role")
@require_privilege("manage_users")
@sessions_blueprint.arguments(UsernamePath, location="path")
@sessions_blueprint.arguments(RoleChangeSchema)
@sessions_blueprint.response(200, UserChangeSchema)
@sessions_blueprint.errors(404)
def set_role(path, data, username):
    """Give a user another role; their tokens (which name the old role) end."""
    _manager().set_role(username, data["role"])
    return json_response({"username": username, "role": data["role"]})


@sessions_blueprint.delete("/users/<username>/sessions")
@require_privilege("manage_users")
@sessions_blueprint.arguments(UsernamePath, location="path")
@sessions_blueprint.response(200, UserChangeSchema)
def revoke_user_sessions(path, username):
    """End every session the user holds, at every service sharing the store."""
    _manager().revoke_user_sessions(username)
    return json_response({"username": username, "sessions_revoked": True})
