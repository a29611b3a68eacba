"""The catalog's tables, behind a database proxy that ``create_app`` initialises.

- ``Simulation``: one row per (name, version). JSON values (tags, authors,
  schema, metadata) are stored as text and passed through to responses
  without a parse; ``search_text`` (lower-cased name, description and tags)
  serves free-text search, ``version_key`` semantic-version ordering,
  ``content_hash`` the idempotent re-registration.
- ``SimulationTag``: one row per (simulation, lower-cased tag), indexed both
  ways, so "all of these tags" is an index lookup, not a scan.
- ``Execution``: one row per execution id (unique: recording is idempotent),
  indexed by simulation and duration (statistics) and by day (overview).

Queries live in ``catalog.py`` and ``executions.py``.
"""

import peewee

database_proxy = peewee.DatabaseProxy()

# The largest id a table's key holds (PostgreSQL's SERIAL).
MAX_ID = 2**31 - 1


class BaseModel(peewee.Model):
    """Bound to the proxy."""

    class Meta:
        database = database_proxy


class Simulation(BaseModel):
    """One version of one simulation tool."""

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


class SimulationTag(BaseModel):
    """One (lower-cased) tag of one simulation version."""

    simulation = peewee.ForeignKeyField(
        Simulation, column_name="simulation_id", on_delete="CASCADE"
    )
    tag = peewee.CharField(max_length=64)

    class Meta:
        table_name = "catalog_simulation_tag"
        primary_key = peewee.CompositeKey("simulation", "tag")
        indexes = ((("tag", "simulation"), True),)


class Execution(BaseModel):
    """One recorded run of a simulation version."""

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


TABLES = [Simulation, SimulationTag, Execution]
