"""One JSON error shape for every error a sim2l service returns.

``{"error": {"code": "validation_error", "message": "...", "details": {...}}}``
with the right status. A 5xx never shows a traceback or SQL: the exception is
logged and the client gets a generic message.
"""

import logging

import marshmallow
import peewee
from flask import Flask
from flask import jsonify
from werkzeug.exceptions import HTTPException

logger = logging.getLogger("sim2l.service")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class APIError(Exception):
    """An error a view raises on purpose: status, code, message, details."""

    def __init__(self, status: int, code: str, message: str, details=None, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, details=None, headers=None):
    """A Flask response carrying the JSON error body."""
    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _discard_idle_connections(app: Flask) -> None:
    # The pool does not ping on checkout, so after the database restarts its
    # idle connections are all dead; drop them now rather than failing one
    # request per stale connection.
    database = app.extensions.get("sim2l_database")
    close_idle = getattr(database, "close_idle", None)
    if close_idle is not None:
        try:
            close_idle()
        except Exception:  # noqa: BLE001 - best effort while the database is down
            logger.debug("could not discard idle connections", exc_info=True)


def register_error_handlers(app: Flask) -> None:
    """Make every error, expected or not, answer in the JSON error shape."""

    @app.errorhandler(APIError)
    def api_error(error: APIError):
        return error_response(error.status, error.code, error.message, error.details, error.headers)

    @app.errorhandler(marshmallow.ValidationError)
    def validation_error(error: marshmallow.ValidationError):
        messages = (
            error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        )
        return error_response(400, "validation_error", "the request is not valid", messages)

    @app.errorhandler(peewee.IntegrityError)
    def integrity_error(error):
        logger.info("integrity error: %s", error)
        return error_response(409, "conflict", "the request conflicts with stored data")

    @app.errorhandler(peewee.OperationalError)
    @app.errorhandler(peewee.InterfaceError)
    def database_unavailable(error):
        logger.warning("database unavailable: %s", error)
        if "locked" in str(error).lower():
            message = "the database is busy; retry"
            return error_response(503, "database_busy", message, headers={"Retry-After": "1"})
        _discard_idle_connections(app)
        message = "the database is unavailable; retry later"
        return error_response(503, "database_unavailable", message, headers={"Retry-After": "1"})

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        message = error.description or error.name
        if status == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH")
            message = f"the request body exceeds the limit of {limit} bytes" if limit else message
        headers = {}
        if status == 405 and getattr(error, "valid_methods", None):
            headers["Allow"] = ", ".join(error.valid_methods)
        return error_response(
            status, _HTTP_CODES.get(status, "http_error"), message, headers=headers
        )

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        logger.exception("unhandled error")
        return error_response(500, "internal_error", "the service failed; the error was logged")
