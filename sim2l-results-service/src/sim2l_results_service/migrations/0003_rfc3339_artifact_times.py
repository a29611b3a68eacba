"""Artifact times in stored answers become RFC 3339 text, like every other timestamp.

``artifacts_json`` is passed through as stored, so runs registered before the
one timestamp format hold epoch seconds there; this rewrites them once. Runs
are read and written in batches by id, so memory stays flat on large tables.
"""

# ruff: noqa: S608 (the SQL holds only the driver's marker; values are parameters)

import orjson
from sim2l_sessions.timestamps import format_timestamp

BATCH = 500


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
    marker = database.param
    last_id = 0
    while True:
        rows = database.execute_sql(
            f"SELECT id, artifacts_json FROM results_result WHERE id > {marker} "
            f"AND artifact_count > 0 ORDER BY id LIMIT {BATCH}",
            (last_id,),
        ).fetchall()
        if not rows:
            return
        for identifier, artifacts_json in rows:
            rewritten = _rewritten(artifacts_json)
            if rewritten is not None:
                database.execute_sql(
                    f"UPDATE results_result SET artifacts_json = {marker} WHERE id = {marker}",
                    (rewritten, identifier),
                )
        last_id = rows[-1][0]
