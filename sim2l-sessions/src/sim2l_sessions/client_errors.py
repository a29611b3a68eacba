"""The exceptions every sim2l client raises, mapped from HTTP status.

Each carries the status, the server's error code, message and details, the
method and the URL, so a failed call explains itself.
"""


class ServiceError(Exception):
    """Base of every error a sim2l service client raises."""

    def __init__(self, message, status=None, code=None, details=None, method=None, url=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.details = details or {}
        self.method = method
        self.url = url

    def __str__(self):
        where = f" ({self.method} {self.url})" if self.method else ""
        status = f"{self.status} " if self.status else ""
        why = ""
        if self.code == VALIDATION_ERROR and isinstance(self.details, dict):
            # "the request is not valid" alone does not say which field or why.
            why = "".join(f"; {line}" for line in field_messages(self.details))
        return f"{status}{self.message}{why}{where}"


# The code of a 400 whose details name each wrong field (the kit's error shape).
VALIDATION_ERROR = "validation_error"
MAX_FIELD_MESSAGES = 5
MAX_FIELD_MESSAGE_CHARS = 300


def field_messages(details: dict, prefix: str = "") -> list[str]:
    """``["input_filters.temperature: 'between' takes ..."]`` from a validation error's details.

    Nested fields are joined with dots; at most ``MAX_FIELD_MESSAGES`` lines of
    at most ``MAX_FIELD_MESSAGE_CHARS`` each, whatever the server sent.
    """
    lines = []
    for key, value in details.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            lines += field_messages(value, path)
        else:
            text = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
            lines.append(f"{path}: {text}"[:MAX_FIELD_MESSAGE_CHARS])
        if len(lines) >= MAX_FIELD_MESSAGES:
            break
    return lines[:MAX_FIELD_MESSAGES]


class InvalidRequestError(ServiceError):
    """400 or 422: the service rejected the request's content."""


class UnauthenticatedError(ServiceError):
    """401: no valid session (missing, forged, expired or revoked token)."""


class ForbiddenError(ServiceError):
    """403: the session lacks the privilege this call needs."""


class NotFoundError(ServiceError):
    """404: no such resource."""


class ConflictError(ServiceError):
    """409: the request conflicts with what is stored."""


class PayloadTooLargeError(ServiceError):
    """413: the body or upload exceeds the service's limit."""


class RateLimitedError(ServiceError):
    """429: too many requests; see ``retry_after``."""

    retry_after = None


class ServerError(ServiceError):
    """5xx: the service failed."""


class ServiceUnavailableError(ServerError):
    """503: the service or its database is unavailable right now."""


class ServiceConnectionError(ServiceError):
    """The service could not be reached, or did not answer within the timeout."""


class WrongServiceError(ServiceError):
    """The URL answers, but as another sim2l service (or not as a sim2l service at all)."""


_BY_STATUS = {
    400: InvalidRequestError,
    401: UnauthenticatedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: InvalidRequestError,
    429: RateLimitedError,
    503: ServiceUnavailableError,
}


def error_class_for_status(status: int) -> type[ServiceError]:
    """The exception class for an HTTP error status."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return InvalidRequestError if status >= 400 else ServiceError
