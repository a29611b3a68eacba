"""The cache's tables: the database proxy, the columns queries name, the invalidation log.

Three tables, created by ``migrations/0001_initial.py`` (the schema's single
source): ``cache_entry`` (one row per key; the answer to a GET is kept
ready-encoded in ``body``), ``cache_stats`` (hit, miss and invalidation counts
per simulation, fed in batches by each worker's ``HitCounter``) and
``cache_invalidation`` (who invalidated what, why, and how many entries). The
hot paths on the first two are hand-written SQL in ``store.py``; only the
invalidation log, written rarely, goes through a model.
"""

import peewee

database_proxy = peewee.DatabaseProxy()

# The stats row that counts misses on keys never stored (no simulation to
# charge them to). Simulation ids are never negative.
UNATTRIBUTED = -1

ENTRY_FIELDS = (
    "cache_key",
    "simulation_id",
    "simulation_name",
    "simulation_version",
    "execution_id",
    "squid_id",
    "input_hash",
    "run_db_path",
    "result_id",
)
SELECTOR_FIELDS = ("simulation_id", "simulation_name", "simulation_version", "key_pattern")


class BaseModel(peewee.Model):
    """Models bound to the database ``create_app`` opens."""

    class Meta:
        database = database_proxy


class CacheInvalidation(BaseModel):
    """One invalidation: its selector, reason, who asked, how many entries it hit."""

    created_at = peewee.DoubleField()
    reason = peewee.TextField(null=True)
    selector = peewee.TextField()  # JSON object of the selectors given
    simulation_id = peewee.BigIntegerField(null=True, index=True)
    entry_count = peewee.IntegerField(default=0)
    invalidated_by = peewee.CharField(max_length=200)
    role = peewee.CharField(max_length=50)

    class Meta:
        table_name = "cache_invalidation"
