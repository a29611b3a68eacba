"""Error pages: which service is down and what still works, never a stack trace.

Client errors map to pages by kind: a service that cannot be reached (or
answers 503) is a 503 page naming it; a token the services refuse signs the
user out and asks them to sign in again; a refused privilege is a 403 page;
a missing record a 404 page; a rejected request a 400 page with the
service's message.
"""

import logging

from flask import render_template
from flask import request
from sim2l_sessions.client_errors import ForbiddenError
from sim2l_sessions.client_errors import InvalidRequestError
from sim2l_sessions.client_errors import NotFoundError
from sim2l_sessions.client_errors import ServiceConnectionError
from sim2l_sessions.client_errors import ServiceError
from sim2l_sessions.client_errors import ServiceUnavailableError
from sim2l_sessions.client_errors import UnauthenticatedError
from werkzeug.exceptions import HTTPException

from sim2l_web.auth import send_to_sign_in
from sim2l_web.filters import FilterError
from sim2l_web.services import service_of

logger = logging.getLogger(__name__)

# What each page needs, so a "service down" page can say what still works.
NEEDS = {
    "cache": "the cache page and the overview's cache figures",
    "catalog": "the catalog, the simulation pages and the overview's counts",
    "results": "the runs explorer, plots, run pages, compare and the latest runs",
}


def error_page(status: int, title: str, message: str, **extra):
    """An error page with ``status``."""
    return render_template(
        "error.html", status=status, title=title, message=message, **extra
    ), status


def _service_down(error: ServiceError):
    service = service_of(error)
    logger.warning("service down on %s %s: %s", request.method, request.path, error)
    others = [name for name in NEEDS if name != service]
    return error_page(
        503,
        f"The {service} service is unavailable",
        f"The {service} service did not answer, so {NEEDS.get(service, 'this page')} "
        "cannot be shown right now. Try again shortly.",
        down=service,
        still_working=[NEEDS[name] for name in others],
    )


def _signed_out(_error):
    return send_to_sign_in()


def _rejected(error: InvalidRequestError):
    # Every list page follows its service's opaque cursor; one the service
    # refuses (a link kept across a sort change, or edited) is the link's
    # fault, not the user's search, whichever page it came from.
    if request.args.get("cursor") and "cursor" in (error.details or {}):
        return error_page(
            400,
            "That page link is out of date",
            "The service no longer accepts this page's position: start again from the first page.",
        )
    return error_page(400, "The service rejected the request", error.message)


def register_error_handlers(app) -> None:
    """Install the handlers on ``app``."""
    app.register_error_handler(ServiceConnectionError, _service_down)
    app.register_error_handler(ServiceUnavailableError, _service_down)
    app.register_error_handler(UnauthenticatedError, _signed_out)
    app.register_error_handler(
        ForbiddenError,
        lambda error: error_page(403, "Not allowed", f"The service refused: {error.message}"),
    )
    app.register_error_handler(
        NotFoundError, lambda error: error_page(404, "Not found", error.message)
    )
    app.register_error_handler(InvalidRequestError, _rejected)
    app.register_error_handler(
        FilterError, lambda error: error_page(400, "That filter cannot be read", str(error))
    )

    @app.errorhandler(ServiceError)
    def other_service_error(error):
        logger.error("service error on %s %s: %s", request.method, request.path, error)
        return error_page(502, "A service failed", "A service answered with an error.")

    @app.errorhandler(HTTPException)
    def http_error(error):
        return error_page(error.code or 500, error.name, error.description or "")

    @app.errorhandler(Exception)
    def unexpected(error):
        logger.exception("unexpected error on %s %s", request.method, request.path)
        return error_page(500, "Something went wrong", "The dashboard failed on this page.")
