"""Stored answers' times become RFC 3339 text with ``Z``, like every other timestamp.

A GET passes ``body`` through as stored, so entries stored before the one
timestamp format answer ``...+00:00``; this rewrites their ``created_at`` and
``expires_at`` from the numeric columns once. Entries are read and written in
batches by id, so memory stays flat on large tables.
"""

# ruff: noqa: S608 (the SQL holds only the driver's marker; values are parameters)

import orjson
from sim2l_sessions.timestamps import format_timestamp

BATCH = 500


def up(database, migrator):
    """Rewrite every entry's answer with the one timestamp format."""
    marker = database.param
    last_id = 0
    while True:
        rows = database.execute_sql(
            f"SELECT id, body, created_at, expires_at FROM cache_entry WHERE id > {marker} "
            f"ORDER BY id LIMIT {BATCH}",
            (last_id,),
        ).fetchall()
        if not rows:
            return
        for identifier, body, created_at, expires_at in rows:
            answer = orjson.loads(body)
            times = {
                "created_at": format_timestamp(created_at),
                "expires_at": format_timestamp(expires_at),
            }
            if all(answer.get(name) == text for name, text in times.items()):
                continue
            answer.update(times)
            database.execute_sql(
                f"UPDATE cache_entry SET body = {marker} WHERE id = {marker}",
                (orjson.dumps(answer).decode(), identifier),
            )
        last_id = rows[-1][0]
