"""The one timestamp format of every sim2l answer: RFC 3339 in UTC with a ``Z``.

``format_timestamp(1796097600.123456)`` is ``"2026-12-01T04:00:00.123456Z"``:
always microseconds, always UTC, so answers sort as text and compare equal
across services. Services store epoch seconds and format on the way out;
``parse_timestamp`` turns an answer's text back into epoch seconds.

It lives here, in the package every service, client and sim2l-core already
installs, because both sides use it: the service kit formats with it and the
clients (the remote session manager) parse with it.
"""

import datetime


def format_timestamp(seconds: float | None) -> str | None:
    """Epoch seconds as RFC 3339 UTC text with microseconds and ``Z``; None stays None."""
    if seconds is None:
        return None
    moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_timestamp(text: str | float | None) -> float | None:
    """RFC 3339 text (any offset; ``Z`` is UTC) as epoch seconds; None stays None.

    Numbers pass through, so a client also reads a service older than this format.
    Text without an offset is refused: its time zone would be a guess.
    """
    if text is None or isinstance(text, int | float):
        return text
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"timestamp without a time zone: {text!r}")
    return moment.timestamp()
