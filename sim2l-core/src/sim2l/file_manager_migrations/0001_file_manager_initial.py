"""The folder tree: one table of folders and file entries."""

import peewee


def up(database, migrator):
    """Create ``sim2l_file_entry`` with its parent and unique-name indexes."""
    sqlite = isinstance(database, peewee.SqliteDatabase)
    big_integer = "INTEGER" if sqlite else "BIGINT"
    primary_key = "INTEGER PRIMARY KEY" if sqlite else "BIGSERIAL PRIMARY KEY"
    database.execute_sql(
        f"""
        CREATE TABLE IF NOT EXISTS sim2l_file_entry (
            id {primary_key},
            kind VARCHAR(8) NOT NULL CHECK (kind IN ('folder', 'file')),
            name VARCHAR(255) NOT NULL,
            parent_id {big_integer} REFERENCES sim2l_file_entry (id),
            size {big_integer},
            uri TEXT,
            content_type VARCHAR(255),
            creator VARCHAR(255) NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL
        )
        """
    )
    database.execute_sql(
        "CREATE INDEX IF NOT EXISTS sim2l_file_entry_parent ON sim2l_file_entry (parent_id)"
    )
    # One name per folder; the root (parent NULL) counts as folder 0.
    database.execute_sql(
        "CREATE UNIQUE INDEX IF NOT EXISTS sim2l_file_entry_unique_name "
        "ON sim2l_file_entry ((COALESCE(parent_id, 0)), name)"
    )
