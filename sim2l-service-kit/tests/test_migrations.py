"""The migration runner: namespaced records, idempotence, concurrent runners."""

import threading

from sim2l_sessions.database import database_from_url
from sim2l_sessions.migrations import applied_migrations
from sim2l_sessions.migrations import migrate
from sim2l_sessions.migrations import pending_migrations

STORE = "sim2l_sessions.store_migrations"
TOY = "sim2l_service_kit.testing.toy_service.migrations"


def test_packages_sharing_a_database_keep_separate_records(database_url):
    database = database_from_url(database_url)
    assert migrate(database, TOY) == ["0001_initial"]
    # Same module name, other package: still pending, then applied.
    assert pending_migrations(database, STORE) == ["0001_initial", "0002_user_cutoffs"]
    assert migrate(database, STORE) == ["0001_initial", "0002_user_cutoffs"]
    assert migrate(database, STORE) == [] and migrate(database, TOY) == []
    assert applied_migrations(database, TOY) == {"0001_initial"}
    database.close()


def test_concurrent_runners_on_one_fresh_database(database_url):
    errors = []

    def run(package):
        database = database_from_url(database_url)
        try:
            migrate(database, package)
        except Exception as error:  # noqa: BLE001 - collected for the assertion
            errors.append(repr(error))
        finally:
            if hasattr(database, "close_all"):
                database.close_all()
            else:
                database.close()

    threads = [threading.Thread(target=run, args=(package,)) for package in [STORE, TOY] * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    database = database_from_url(database_url)
    assert pending_migrations(database, STORE) == [] and pending_migrations(database, TOY) == []
    database.close()
