"""Stored answers' times become RFC 3339 text with ``Z``, like every other timestamp.

A GET passes ``body`` through as stored, so entries stored before the one
timestamp format answer ``...+00:00``; this rewrites their ``created_at`` and
``expires_at`` from the numeric columns once, in batches (``rewrite_rows``).
"""

import orjson
from sim2l_sessions.migrations import rewrite_rows
from sim2l_sessions.timestamps import format_timestamp


def _rewritten(body: str, created_at: float, expires_at: float) -> str | None:
    answer = orjson.loads(body)
    times = {
        "created_at": format_timestamp(created_at),
        "expires_at": format_timestamp(expires_at),
    }
    if all(answer.get(name) == text for name, text in times.items()):
        return None
    answer.update(times)
    return orjson.dumps(answer).decode()


def up(database, migrator):
    """Rewrite every entry's answer with the one timestamp format."""
    rewrite_rows(database, "cache_entry", ["body", "created_at", "expires_at"], _rewritten)
