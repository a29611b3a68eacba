"""The database proxy and the three tables of the results service.

The tables are created by ``migrations/0001_initial.py``; these models mirror
them for batched inserts. Searches and statistics are hand-written SQL in
``queries.py`` (one statement returning tuples).
"""

import peewee

database_proxy = peewee.DatabaseProxy()


class BaseModel(peewee.Model):
    """Base of the results service's models."""

    class Meta:
        database = database_proxy


class Result(BaseModel):
    """One registered run: metadata, the stored file, and its values as JSON to pass through."""

    execution_id = peewee.CharField(max_length=128, unique=True)
    simulation_name = peewee.CharField(max_length=200)
    simulation_version = peewee.CharField(max_length=100)
    status = peewee.CharField(max_length=50)
    description = peewee.TextField(null=True)
    username = peewee.CharField(max_length=200, null=True)
    input_hash = peewee.CharField(max_length=200, null=True)
    created_at = peewee.DoubleField(null=True)
    started_at = peewee.DoubleField(null=True)
    completed_at = peewee.DoubleField(null=True)
    duration_seconds = peewee.DoubleField(null=True)
    error_message = peewee.TextField(null=True)
    registered_at = peewee.DoubleField()
    registered_by = peewee.CharField(max_length=200, null=True)
    schema_version = peewee.IntegerField()
    file_size = peewee.BigIntegerField()
    sha256 = peewee.CharField(max_length=64)
    input_count = peewee.IntegerField()
    output_count = peewee.IntegerField()
    artifact_count = peewee.IntegerField()
    inputs_json = peewee.TextField()
    outputs_json = peewee.TextField()
    units_json = peewee.TextField()
    artifacts_json = peewee.TextField()
    schema_keys_json = peewee.TextField()

    class Meta:
        table_name = "results_result"


class ParameterValue(BaseModel):
    """One typed input or output value of a result (numbers in num_value, text in str_value)."""

    result_id = peewee.BigIntegerField()
    simulation_name = peewee.CharField(max_length=200)
    param_class = peewee.CharField(max_length=6)
    name = peewee.CharField(max_length=200)
    value_type = peewee.CharField(max_length=10)
    num_value = peewee.DoubleField(null=True)
    str_value = peewee.TextField(null=True)
    json_value = peewee.TextField(null=True)

    class Meta:
        table_name = "results_parameter_value"
        primary_key = peewee.CompositeKey("result_id", "param_class", "name")


class ParameterSchema(BaseModel):
    """A parameter schema seen in the runs of a simulation version (a row per distinct schema)."""

    simulation_name = peewee.CharField(max_length=200)
    simulation_version = peewee.CharField(max_length=100)
    param_class = peewee.CharField(max_length=6)
    name = peewee.CharField(max_length=200)
    fingerprint = peewee.CharField(max_length=64)
    schema_json = peewee.TextField()
    run_count = peewee.IntegerField()
    first_seen = peewee.DoubleField()
    last_seen = peewee.DoubleField()

    class Meta:
        table_name = "results_parameter_schema"
        indexes = (
            (("simulation_name", "simulation_version", "param_class", "name", "fingerprint"), True),
        )


def execute(sql: str, params=()):
    """Run ``sql`` written with ``?`` placeholders on the current backend; return the cursor."""
    database = database_proxy.obj
    if database.param != "?":
        sql = sql.replace("?", database.param)
    return database.execute_sql(sql, params)


def uses_question_marks() -> bool:
    """Whether the current backend is SQLite (``?`` placeholders) rather than PostgreSQL."""
    return database_proxy.obj.param == "?"
