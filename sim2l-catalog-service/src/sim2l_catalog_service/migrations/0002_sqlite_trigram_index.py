"""SQLite: an FTS5 trigram table over ``search_text``, kept in step by triggers.

It lets a free-text search without tags find its rows without scanning the
catalog (PostgreSQL has pg_trgm for that, see 0001). Where SQLite was built
without FTS5, nothing is created and search scans, which is correct, only
slower.
"""

import logging

import peewee

logger = logging.getLogger("sim2l.catalog")

STATEMENTS = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_simulation_fts USING fts5("
    "search_text, content='catalog_simulation', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS catalog_simulation_fts_insert AFTER INSERT ON catalog_simulation "
    "BEGIN INSERT INTO catalog_simulation_fts(rowid, search_text) "
    "VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS catalog_simulation_fts_delete AFTER DELETE ON catalog_simulation "
    "BEGIN INSERT INTO catalog_simulation_fts(catalog_simulation_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS catalog_simulation_fts_update "
    "AFTER UPDATE OF search_text ON catalog_simulation "
    "BEGIN INSERT INTO catalog_simulation_fts(catalog_simulation_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO catalog_simulation_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO catalog_simulation_fts(catalog_simulation_fts) VALUES ('rebuild')",
]


def up(database, migrator):
    """Create the trigram table and its triggers on SQLite; nothing elsewhere."""
    if not isinstance(database, peewee.SqliteDatabase):
        return
    try:
        with database.atomic():
            for statement in STATEMENTS:
                database.execute_sql(statement)
    except peewee.OperationalError as error:  # no FTS5 or no trigram tokenizer
        logger.warning("SQLite FTS5 trigram unavailable, free-text search will scan: %s", error)
