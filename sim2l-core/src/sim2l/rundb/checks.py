"""Checking and converting what callers hand to the run database's writers."""

import json
import logging

from sim2l.rundb.errors import InvalidNameError

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_LEVEL_ALIASES = {"WARN": "WARNING", "FATAL": "CRITICAL", "ERR": "ERROR"}
LEVEL_RANK = {level: rank for rank, level in enumerate(LOG_LEVELS)}


def check_name(name, what: str = "name") -> str:
    """A record name: a non-empty string without NUL, at most 1,000 characters."""
    if not isinstance(name, str) or not name or "\x00" in name or len(name) > 1000:
        raise InvalidNameError(f"{what} must be a non-empty string of at most 1000 characters")
    return name


def check_file_name(name) -> str:
    """An artifact name: a plain file name, so it is safe to join to a folder."""
    check_name(name, "artifact name")
    if name in (".", "..") or "/" in name or "\\" in name or len(name) > 255:
        raise InvalidNameError(
            f"invalid artifact name {name!r}: use a plain file name (no '/', '\\', '.' or '..')"
        )
    return name


def normalize_level(level) -> str:
    """``"info"``, ``"WARN"``, ``logging.ERROR``... as one of ``LOG_LEVELS``."""
    if isinstance(level, int) and not isinstance(level, bool):
        level = logging.getLevelName(level)
    if isinstance(level, str):
        upper = level.strip().upper()
        upper = _LEVEL_ALIASES.get(upper, upper)
        if upper in LEVEL_RANK:
            return upper
    raise ValueError(f"invalid log level {level!r}; use one of {', '.join(LOG_LEVELS)}")


def as_number(value, what: str):
    """``value`` as an int or float for a REAL column (None stays None)."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) if isinstance(value, bool) else value
    if hasattr(value, "item"):  # numpy-like scalar
        return as_number(value.item(), what)
    raise TypeError(f"{what} must be a number, got {type(value).__name__}")


def json_or_none(value) -> str | None:
    """Compact JSON text of ``value``, or None."""
    return None if value is None else json.dumps(value, default=str, separators=(",", ":"))


def json_loads_or_none(text):
    """The value of JSON ``text``, or None."""
    return None if text is None else json.loads(text)
