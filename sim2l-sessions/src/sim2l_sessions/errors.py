"""Exceptions of the session library. Each message names the problem."""


class SessionError(Exception):
    """Base of every error the session manager raises."""


class AuthenticationError(SessionError):
    """Unknown user or wrong password (deliberately not saying which)."""


class RateLimitedError(SessionError):
    """Too many failed logins for this user or address; retry after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class UserExistsError(SessionError):
    """A user with that name already exists."""


class UserNotFoundError(SessionError):
    """No user has that name."""


class InvalidUserError(SessionError, ValueError):
    """A username, role or email that cannot be stored."""


class PrivilegeDeniedError(SessionError):
    """A session asked for privileges its issuer does not grant."""
