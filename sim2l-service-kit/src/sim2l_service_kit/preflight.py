"""Checks ``serve`` runs before gunicorn starts, and start-up errors a person can act on.

Each failure becomes a ``StartupError``: one short paragraph saying what is
wrong and the command that fixes it. The command line prints it and exits
non-zero; the traceback is shown only with ``--debug``.
"""

import errno
import socket
import urllib.parse

import peewee
from sim2l_sessions.database import is_sqlite_url
from sim2l_sessions.database import redact_url
from sim2l_sessions.migrations import applied_migrations
from sim2l_sessions.migrations import available_migrations
from sim2l_sessions.migrations import pending_migrations


class StartupError(Exception):
    """A service cannot start; the message says why and what to run."""


def check_port_free(host: str, port: int) -> None:
    """Raise ``StartupError`` when ``host:port`` cannot be bound (in use, or not ours)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    probe = socket.socket(family, socket.SOCK_STREAM)
    # gunicorn sets SO_REUSEADDR too: a port in TIME_WAIT is free for both.
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind((host, port))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise StartupError(
                f"port {port} on {host} is already in use (is the service already running?). "
                f"Stop what holds it (`sim2l services down` stops the local services) "
                f"or choose another port with --port."
            ) from error
        raise StartupError(f"cannot listen on {host}:{port}: {error.strerror}.") from error
    finally:
        probe.close()


def explain_database_error(error: Exception, url: str, service: str) -> StartupError:
    """The ``StartupError`` that explains why the database at ``url`` cannot be used."""
    text = str(error).strip()
    shown = redact_url(url)
    if is_sqlite_url(url):
        return StartupError(
            f"cannot open the SQLite database {shown}: {text.splitlines()[0]}. "
            f"Check that its folder exists and is writable, or pass another --db-url."
        )
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "localhost", parts.port or 5432
    where = f"{host}:{port}"
    name = parts.path.lstrip("/")
    user = parts.username or "postgres"
    lowered = text.lower()
    if "does not exist" in lowered and "database" in lowered:
        return StartupError(
            f"the PostgreSQL database {name!r} does not exist on {where}. Create it with "
            f"`createdb -h {host} -p {port} -U {user} {name}`, "
            f"then run `sim2l-{service}-service migrate --db-url {shown}`."
        )
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return StartupError(
            f"PostgreSQL at {where} refused the password of user {user!r}. Correct the "
            f"password in --db-url or SIM2L_{service.upper()}_DATABASE_URL."
        )
    if "role" in lowered and "does not exist" in lowered:
        return StartupError(
            f"PostgreSQL at {where} has no user {user!r}. Use an existing user in --db-url, "
            f"or create it with `createuser -h {host} {user}`."
        )
    if "connection refused" in lowered or "could not connect" in lowered or "timeout" in lowered:
        return StartupError(
            f"cannot reach PostgreSQL at {where} ({_first_reason(text)}). Is the server running? "
            f"Check with `pg_isready -h {host} -p {port}`."
        )
    return StartupError(f"cannot use the database {shown}: {_first_reason(text)}.")


def _first_reason(text: str) -> str:
    line = text.splitlines()[0] if text else "unknown error"
    return line.split("failed: ", 1)[-1].strip().rstrip(".")


def check_schema(
    database: peewee.Database, package: str, url: str, service: str, pending_ok: bool = False
) -> None:
    """Raise ``StartupError`` when the schema is ahead of the code, or (unless
    ``pending_ok``, before a migration) behind it."""
    unknown = sorted(applied_migrations(database, package) - set(available_migrations(package)))
    if unknown:
        raise StartupError(
            f"the database {redact_url(url)} was migrated by a newer sim2l-{service}-service "
            f"(it has {', '.join(unknown)}, which this version does not know). Upgrade with "
            f"`pip install --upgrade sim2l-{service}-service`, or point --db-url elsewhere."
        )
    pending = [] if pending_ok else pending_migrations(database, package)
    if pending:
        raise StartupError(
            f"the database {redact_url(url)} is not migrated ({len(pending)} pending: "
            f"{', '.join(pending)}). Run `sim2l-{service}-service migrate --db-url "
            f"{redact_url(url)}`, or serve without --no-migrate."
        )
