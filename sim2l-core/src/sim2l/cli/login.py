"""``sim2l login``, ``sim2l logout`` and ``sim2l whoami``.

``login`` asks the sessions of this machine (or of ``--url``, or of
``SIM2L_SESSIONS_URL``: any sim2l service) for a session and keeps its token in
``$SIM2L_HOME/session.json``, readable by its owner only. Every later
``sim2l`` command that talks to a service sends it, unless
``SIM2L_<SERVICE>_SESSION_ID`` names another. ``logout`` ends the session
everywhere and forgets it; ``whoami`` says who the kept session is.
"""

import datetime
import getpass
import json
import os

from sim2l.cli import output
from sim2l.cli.errors import EXIT_NOT_ALLOWED
from sim2l.cli.errors import CommandError


def session_file():
    """Where the logged-in session's token is kept."""
    from sim2l_sessions.paths import sim2l_home

    return sim2l_home() / "session.json"


def saved_session() -> dict | None:
    """The kept session (``session_id``, ``username``, ``role``, ``expires_at``, ``url``)."""
    try:
        return json.loads(session_file().read_text())
    except (OSError, ValueError):
        return None


def _save(record: dict) -> None:
    path = session_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    # 0600 from the first byte, whatever the umask: the file holds a bearer token.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as stream:
        json.dump(record, stream)


def _manager(url: str | None):
    if url:
        from sim2l_sessions.remote import RemoteSessionManager

        return RemoteSessionManager(url)
    from sim2l_sessions import get_session_manager

    return get_session_manager()


def _expiry(seconds: float) -> str:
    moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def login(args) -> int:
    """Log in as ``args.username`` and keep the session."""
    from sim2l_sessions.errors import SessionError

    url = args.url or os.environ.get("SIM2L_SESSIONS_URL")
    password = os.environ.get("SIM2L_PASSWORD")
    if password is None:
        password = getpass.getpass(f"password for {args.username}: ")
    try:
        session = _manager(url).authenticate(args.username, password, ttl_hours=args.ttl_hours)
    except SessionError as error:
        raise CommandError(f"login refused: {error}", EXIT_NOT_ALLOWED) from None
    record = {
        "session_id": session.session_id,
        "username": session.username,
        "role": session.role,
        "expires_at": _expiry(session.expires_at),
        "url": url,
    }
    _save(record)
    shown = {key: value for key, value in record.items() if key != "session_id"}
    if args.json:
        output.as_json(shown)
    else:
        print(f"logged in as {session.username} ({session.role}) until {record['expires_at']}")
    return 0


def whoami(args) -> int:
    """Who the kept session is, and whether the services still accept it."""
    record = saved_session()
    if record is None:
        raise CommandError("not logged in: run `sim2l login USERNAME`", EXIT_NOT_ALLOWED)
    session = _manager(record.get("url")).get_session(record["session_id"])
    valid = session is not None and session.is_valid()
    shown = {key: value for key, value in record.items() if key != "session_id"}
    shown["valid"] = valid
    if args.json:
        output.as_json(shown)
    else:
        output.pairs(shown)
    return 0 if valid else EXIT_NOT_ALLOWED


def logout(args) -> int:
    """End the kept session everywhere and forget it."""
    record = saved_session()
    if record is None:
        print("not logged in")
        return 0
    _manager(record.get("url")).invalidate_session(record["session_id"])
    session_file().unlink(missing_ok=True)
    print(f"logged out {record.get('username')}")
    return 0
