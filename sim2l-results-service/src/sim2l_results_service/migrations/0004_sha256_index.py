"""An index on the stored file's sha256: a re-upload is recognised by one index probe."""


def up(database, migrator):
    """Create ``results_result_sha256`` on ``(sha256)``."""
    database.execute_sql(
        "CREATE INDEX IF NOT EXISTS results_result_sha256 ON results_result (sha256)"
    )
