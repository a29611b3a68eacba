"""Artifact times in stored answers become RFC 3339 text, like every other timestamp.

``artifacts_json`` is passed through as stored, so runs registered before the
one timestamp format hold epoch seconds there; this rewrites them once, in
batches (``rewrite_rows``).
"""

import orjson
from sim2l_sessions.migrations import rewrite_rows
from sim2l_sessions.timestamps import format_timestamp


def _rewritten(artifacts_json: str) -> str | None:
    artifacts = orjson.loads(artifacts_json)
    changed = False
    for artifact in artifacts:
        created_at = artifact.get("created_at")
        if isinstance(created_at, int | float) and not isinstance(created_at, bool):
            artifact["created_at"] = format_timestamp(created_at)
            changed = True
    return orjson.dumps(artifacts, option=orjson.OPT_SORT_KEYS).decode() if changed else None


def up(database, migrator):
    """Rewrite every numeric artifact ``created_at`` as RFC 3339 text."""
    rewrite_rows(
        database, "results_result", ["artifacts_json"], _rewritten, where="artifact_count > 0"
    )
