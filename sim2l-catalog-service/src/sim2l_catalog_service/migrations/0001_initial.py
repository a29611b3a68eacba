"""Simulations, their tags, executions; a trigram index on PostgreSQL when available."""

import logging

import peewee

logger = logging.getLogger("sim2l.catalog")


def _tables():
    # The models as they are at this migration, so later model changes do not
    # rewrite history.
    class Simulation(peewee.Model):
        id = peewee.AutoField()
        name = peewee.CharField(max_length=200)
        name_lower = peewee.CharField(max_length=200)
        version = peewee.CharField(max_length=64)
        version_key = peewee.CharField(max_length=200)
        description = peewee.TextField(default="")
        tags_json = peewee.TextField(default="[]")
        authors_json = peewee.TextField(default="[]")
        schema_json = peewee.TextField(default="{}")
        metadata_json = peewee.TextField(default="{}")
        search_text = peewee.TextField()
        content_hash = peewee.CharField(max_length=64)
        status = peewee.CharField(max_length=16, default="active")
        registered_by = peewee.CharField(max_length=200)
        updated_by = peewee.CharField(max_length=200)
        created_at = peewee.DoubleField()
        updated_at = peewee.DoubleField()

        class Meta:
            table_name = "catalog_simulation"
            indexes = (
                (("name", "version"), True),
                (("name", "version_key"), False),
                (("status",), False),
                (("created_at",), False),
            )

    class SimulationTag(peewee.Model):
        simulation = peewee.ForeignKeyField(
            Simulation, column_name="simulation_id", on_delete="CASCADE"
        )
        tag = peewee.CharField(max_length=64)

        class Meta:
            table_name = "catalog_simulation_tag"
            primary_key = peewee.CompositeKey("simulation", "tag")
            indexes = ((("tag", "simulation"), True),)

    class Execution(peewee.Model):
        id = peewee.AutoField()
        execution_id = peewee.CharField(max_length=200, unique=True)
        simulation = peewee.ForeignKeyField(
            Simulation, column_name="simulation_id", on_delete="CASCADE"
        )
        status = peewee.CharField(max_length=16)
        duration_seconds = peewee.DoubleField(null=True)
        username = peewee.CharField(max_length=200, null=True)
        executed_at = peewee.DoubleField()
        executed_day = peewee.CharField(max_length=10)
        metadata_json = peewee.TextField(default="{}")
        recorded_by = peewee.CharField(max_length=200)
        recorded_at = peewee.DoubleField()

        class Meta:
            table_name = "catalog_execution"
            indexes = (
                (("simulation", "duration_seconds"), False),
                (("simulation", "executed_at"), False),
                (("executed_day",), False),
            )

    return [Simulation, SimulationTag, Execution]


def up(database, migrator):
    """Create the tables; on PostgreSQL add a pg_trgm index for free-text search."""
    tables = _tables()
    with database.bind_ctx(tables):
        database.create_tables(tables, safe=True)
    if isinstance(database, peewee.PostgresqlDatabase):
        # A trigram GIN index lets LIKE '%word%' use an index. The extension
        # may be missing or need privileges this role lacks: search then
        # scans, which is correct, only slower.
        try:
            with database.atomic():
                database.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                database.execute_sql(
                    "CREATE INDEX IF NOT EXISTS catalog_simulation_search_trgm "
                    "ON catalog_simulation USING gin (search_text gin_trgm_ops)"
                )
        except peewee.DatabaseError as error:
            logger.warning("pg_trgm unavailable, free-text search will scan: %s", error)
