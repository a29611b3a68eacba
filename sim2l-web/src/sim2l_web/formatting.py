"""Template filters: times (RFC 3339 strings or epoch seconds), numbers, durations, sizes."""

import datetime
import math


def _as_datetime(value):
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return datetime.datetime.fromtimestamp(value, datetime.UTC)
    try:
        return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def when(value) -> str:
    """``2026-12-01 04:00:00 UTC`` from an RFC 3339 string or epoch seconds ('' for none)."""
    moment = _as_datetime(value)
    if moment is None:
        return "" if value is None else str(value)
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def rfc3339(value) -> str | None:
    """A time as RFC 3339 in UTC (``2026-12-01T04:00:00.123456Z``); strings pass unchanged."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        moment = datetime.datetime.fromtimestamp(value, datetime.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def epoch(value) -> float | None:
    """Seconds since the epoch from either time form (for comparisons)."""
    moment = _as_datetime(value)
    return None if moment is None else moment.timestamp()


def number(value) -> str:
    """A number as a person reads it: ``2.5e+08``, ``0.125``, ``42``; other values as text."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
            return f"{value:.4g}"
        return f"{value:.6g}"
    if isinstance(value, list | dict):
        text = str(value)
        return text if len(text) <= 80 else text[:77] + "..."
    return str(value)


def duration(seconds) -> str:
    """``12.5 s``, ``3 min 2 s``, ``1 h 4 min``."""
    if seconds is None:
        return ""
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.3g} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def size(count) -> str:
    """``1.2 MB`` from bytes."""
    if count is None:
        return ""
    value = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return str(count)


def percent(fraction) -> str:
    """``87.5 %`` from 0.875."""
    if fraction is None:
        return "–"
    return f"{100 * float(fraction):.1f} %"


def register(app) -> None:
    """Install the filters on ``app``."""
    app.jinja_env.filters.update(
        when=when, number=number, duration=duration, size=size, percent=percent
    )
