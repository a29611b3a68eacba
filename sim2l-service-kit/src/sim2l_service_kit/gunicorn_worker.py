"""gunicorn's own rejections in the services' JSON error shape.

gunicorn answers a request it cannot parse itself, before the service sees
it: a request line over ``limit_request_line`` (414), headers over their
limits (431), a malformed request line, method or header (400). It writes
them as an HTML page. ``JSONErrorWorker``, the sync worker every sim2l
service runs (``serve``, the deploy's gunicorn.conf.py), writes them as
``{"error": {"code", "message", "details"}}`` like every other error.
"""

import json

from gunicorn import util
from gunicorn.workers.sync import SyncWorker

WORKER_CLASS = "sim2l_service_kit.gunicorn_worker.JSONErrorWorker"
_CODES = {
    400: "bad_request",
    403: "forbidden",
    414: "uri_too_long",
    417: "expectation_failed",
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
}


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's ``util.write_error``, with the JSON error body."""
    body = json.dumps(
        {
            "error": {
                "code": _CODES.get(status_int, "http_error"),
                "message": mesg or reason,
                "details": {},
            }
        }
    ).encode("ascii")
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


class JSONErrorWorker(SyncWorker):
    """gunicorn's sync worker, answering its own rejections in JSON."""

    def init_process(self):
        # gunicorn's workers write these errors through util.write_error
        # (workers/base.py handle_error); this process runs only this worker.
        util.write_error = write_json_error
        super().init_process()
