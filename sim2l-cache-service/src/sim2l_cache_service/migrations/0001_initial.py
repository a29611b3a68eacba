"""The entries, the per-simulation statistics and the invalidation log.

The schema's single source: the models are frozen copies of what this migration
creates (``tables.py`` names only the columns the queries use), so later changes
to the code do not change what this migration does.
"""

import peewee


class CacheEntry(peewee.Model):
    cache_key = peewee.CharField(max_length=512, unique=True)
    simulation_id = peewee.BigIntegerField(index=True)
    simulation_name = peewee.CharField(max_length=200)
    simulation_version = peewee.CharField(max_length=100)
    execution_id = peewee.CharField(max_length=200)
    squid_id = peewee.CharField(max_length=512)
    input_hash = peewee.CharField(max_length=256)
    run_db_path = peewee.TextField()
    result_id = peewee.BigIntegerField(null=True)
    body = peewee.TextField()
    created_at = peewee.DoubleField()
    expires_at = peewee.DoubleField()
    invalidated_at = peewee.DoubleField(null=True)
    invalidation_id = peewee.BigIntegerField(null=True)

    class Meta:
        table_name = "cache_entry"


class CacheStats(peewee.Model):
    simulation_id = peewee.BigIntegerField(primary_key=True)
    hits = peewee.BigIntegerField(default=0)
    misses = peewee.BigIntegerField(default=0)
    invalidated = peewee.BigIntegerField(default=0)

    class Meta:
        table_name = "cache_stats"


class CacheInvalidation(peewee.Model):
    created_at = peewee.DoubleField()
    reason = peewee.TextField(null=True)
    selector = peewee.TextField()
    simulation_id = peewee.BigIntegerField(null=True, index=True)
    entry_count = peewee.IntegerField(default=0)
    invalidated_by = peewee.CharField(max_length=200)
    role = peewee.CharField(max_length=50)

    class Meta:
        table_name = "cache_invalidation"


def up(database, migrator):
    """Create the three tables and their indexes."""
    models = [CacheEntry, CacheStats, CacheInvalidation]
    with database.bind_ctx(models):
        database.create_tables(models, safe=True)
