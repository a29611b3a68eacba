"""One log line per request: method, route, status, milliseconds and who.

The line goes to the ``sim2l.access`` logger at INFO. ``configure_logging``
(called by the ``serve`` command and by the containers' gunicorn
configuration) sends it to stderr as plain text on a terminal, or as JSON lines
for a cluster's log collector (``SIM2L_LOG_FORMAT=json``). Where nothing
configured logging (tests, say), INFO is below the default level and a request
costs one level check.

What is logged is chosen so that no secret can leak: the route template
(``/cache/<path:cache_key>``), never the path, query string, headers or body,
and the user's name, never a token.
"""

import datetime
import logging
import os
import sys
import time

import orjson
from flask import Flask
from flask import g
from flask import request
from sim2l_sessions.services import access_log_enabled

ACCESS_LOGGER = logging.getLogger("sim2l.access")
LOG_FORMATS = ("text", "json")


def install_access_log(app: Flask, service: str) -> None:
    """Log every request of ``app`` to ``sim2l.access``."""

    @app.before_request
    def start_clock():
        g._sim2l_access_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        if ACCESS_LOGGER.isEnabledFor(logging.INFO):
            started = g.pop("_sim2l_access_started", None)
            milliseconds = (time.perf_counter() - started) * 1000 if started else 0.0
            session = g.get("session")
            ACCESS_LOGGER.info(
                "%s %s %s %.1fms %s",
                request.method,
                request.url_rule.rule if request.url_rule else "unmatched",
                response.status_code,
                milliseconds,
                _who(session),
                extra={"sim2l_service": service, "sim2l_remote": request.remote_addr},
            )
        return response


def _who(session) -> str:
    if session is None:
        return "-"
    return session.username or "anonymous"


class JSONLineFormatter(logging.Formatter):
    """A record as one JSON object per line; access records as their fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        if record.name == ACCESS_LOGGER.name and isinstance(record.args, tuple):
            method, route, status, milliseconds, who = record.args
            line.update(
                service=getattr(record, "sim2l_service", None),
                method=method,
                route=route,
                status=status,
                ms=round(milliseconds, 1),
                who=who,
                remote=getattr(record, "sim2l_remote", None),
            )
        else:
            line["message"] = record.getMessage()
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line).decode()


def configure_logging(log_format: str | None = None, access_log: bool = True) -> None:
    """Send sim2l's log records to stderr, as text or JSON lines.

    ``log_format`` defaults to ``SIM2L_LOG_FORMAT`` (``text`` or ``json``);
    ``access_log=False`` (or ``SIM2L_ACCESS_LOG`` set to ``off`` or empty)
    keeps requests out. This log replaces gunicorn's own access log.
    """
    log_format = (log_format or os.environ.get("SIM2L_LOG_FORMAT") or "text").lower()
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    access_log = access_log and access_log_enabled(default=True)
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JSONLineFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
        )
    sim2l_logger = logging.getLogger("sim2l")
    for old in [h for h in sim2l_logger.handlers if getattr(h, "_sim2l_handler", False)]:
        sim2l_logger.removeHandler(old)
    handler._sim2l_handler = True
    sim2l_logger.addHandler(handler)
    sim2l_logger.setLevel(logging.INFO)
    sim2l_logger.propagate = False
    ACCESS_LOGGER.setLevel(logging.INFO if access_log else logging.WARNING)
