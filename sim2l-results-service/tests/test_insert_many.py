"""``models.insert_many``: every row of any iterable stored, on SQLite and PostgreSQL alike."""

import peewee
import pytest
from sim2l_results_service import models

COLUMNS = ("simulation_name", "simulation_version", "param_class", "name", "fingerprint")
COLUMNS += ("schema_json", "run_count", "first_seen", "last_seen")


def _rows(count: int):
    """A generator, as registration passes them: the rows are never all in a list."""
    for index in range(count):
        yield ("sim", "1.0.0", "input", f"p{index:05d}", "f" * 64, "{}", index, 1.0, 2.0)


def test_every_row_of_a_generator_is_stored(app, stored_rows):
    count = models.INSERT_BATCH * 2 + 7  # more than one PostgreSQL batch
    with app.app_context(), app.extensions["sim2l_database"].connection_context():
        models.insert_many("results_parameter_schema", COLUMNS, _rows(count))
    rows = stored_rows(
        "SELECT name, run_count FROM results_parameter_schema WHERE simulation_name = 'sim' "
        "ORDER BY name"
    )
    assert rows == [(f"p{index:05d}", index) for index in range(count)]


def test_a_duplicate_row_is_peewees_integrity_error_and_the_transaction_keeps_nothing(
    app, stored_rows
):
    rows = [*_rows(3), next(_rows(1))]  # the last repeats the first's key
    with app.app_context(), app.extensions["sim2l_database"].connection_context():
        database = models.database_proxy.obj
        with pytest.raises(peewee.IntegrityError), database.atomic():
            models.insert_many("results_parameter_schema", COLUMNS, rows)
    assert stored_rows("SELECT count(*) FROM results_parameter_schema") == [(0,)]


def test_the_suffix_applies_to_every_row(app, stored_rows):
    upsert = (
        " ON CONFLICT (simulation_name, simulation_version, param_class, name, fingerprint) "
        "DO UPDATE SET run_count = results_parameter_schema.run_count + excluded.run_count"
    )
    with app.app_context(), app.extensions["sim2l_database"].connection_context():
        models.insert_many("results_parameter_schema", COLUMNS, _rows(3))
        models.insert_many("results_parameter_schema", COLUMNS, _rows(3), upsert)
    rows = stored_rows("SELECT name, run_count FROM results_parameter_schema ORDER BY name")
    assert rows == [("p00000", 0), ("p00001", 2), ("p00002", 4)]
