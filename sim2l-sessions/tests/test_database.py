"""Opening databases from URLs."""

import os

import pytest
from sim2l_sessions.database import InvalidDatabaseURL
from sim2l_sessions.database import database_from_url

SOCKET_DIRECTORY = "/var/run/postgresql"


def test_query_parameters_win_over_the_address():
    # libpq's rule: ?host= names a Unix socket directory instead of the address.
    database = database_from_url(
        "postgresql://someone@127.0.0.1:5433/data?host=/tmp/sockets&port=6000&connect_timeout=2"
    )
    assert database.database == "data"
    assert database.connect_params["host"] == "/tmp/sockets"
    assert database.connect_params["port"] == "6000"
    assert database.connect_params["user"] == "someone"
    assert database.connect_params["connect_timeout"] == "2"


def test_a_port_that_is_not_a_number_is_named():
    with pytest.raises(InvalidDatabaseURL, match="(?i)port"):
        database_from_url("postgresql://postgres@127.0.0.1:54x2/data")


@pytest.mark.skipif(not os.path.isdir(SOCKET_DIRECTORY), reason="no PostgreSQL socket directory")
def test_a_unix_socket_url_connects(postgres_database_url):
    name = postgres_database_url.rsplit("/", 1)[1]
    database = database_from_url(f"postgresql://postgres@/{name}?host={SOCKET_DIRECTORY}")
    try:
        assert database.execute_sql("SELECT 1").fetchone() == (1,)
    finally:
        database.close_all()


def _terminate_other_backends(url: str) -> None:
    import psycopg2

    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
    admin.close()


def _hold_idle_connections(database, count: int) -> None:
    # Check out ``count`` connections at once (one per thread), then return
    # them all to the pool, where they sit idle.
    import threading

    ready = threading.Barrier(count + 1)
    done = threading.Event()

    def hold():
        database.execute_sql("SELECT 1")
        ready.wait()
        done.wait()
        database.close()

    threads = [threading.Thread(target=hold) for _ in range(count)]
    for thread in threads:
        thread.start()
    ready.wait()
    done.set()
    for thread in threads:
        thread.join()


def test_idle_pooled_connections_killed_by_the_server_heal_without_an_error(
    postgres_database_url,
):
    database = database_from_url(postgres_database_url)
    try:
        _hold_idle_connections(database, 3)
        assert len(database._connections) == 3
        _terminate_other_backends(postgres_database_url)
        # Every statement after the outage succeeds: the first one meets a
        # dead idle connection, which is replaced along with the other idle ones.
        for _ in range(5):
            assert database.execute_sql("SELECT 1").fetchone() == (1,)
            database.close()
        assert len(database._connections) == 1
        with database.atomic():
            assert database.execute_sql("SELECT 2").fetchone() == (2,)
        database.close()
    finally:
        database.close_all()


def test_a_connection_that_dies_after_working_is_not_retried_silently(postgres_database_url):
    import peewee

    database = database_from_url(postgres_database_url)
    try:
        database.execute_sql("SELECT 1")  # a connection that has worked on this checkout
        _terminate_other_backends(postgres_database_url)
        with pytest.raises(peewee.PeeweeException):
            database.execute_sql("SELECT 1")
    finally:
        database.close_all()


def test_rewrite_rows_walks_every_row_in_batches_and_skips_unchanged(database_url):
    from sim2l_sessions.migrations import rewrite_rows

    database = database_from_url(database_url)
    try:
        database.execute_sql(
            "CREATE TABLE walked (id INTEGER PRIMARY KEY, text TEXT, keep INTEGER)"
        )
        for identifier in range(1, 8):
            database.execute_sql(
                "INSERT INTO walked (id, text, keep) VALUES (%s, %s, %s)".replace(
                    "%s", database.param
                ),
                (identifier, f"row {identifier}", int(identifier % 3 == 0)),
            )
        seen = []

        def upper_unless_kept(text, keep):
            seen.append(text)
            return None if keep else text.upper()

        # Batches of 2 over 6 rows (row 7 is left out by ``where``): four reads.
        rewrite_rows(database, "walked", ["text", "keep"], upper_unless_kept, "id < 7", batch=2)
        assert seen == [f"row {n}" for n in range(1, 7)]
        rows = database.execute_sql("SELECT text FROM walked ORDER BY id").fetchall()
        assert [text for (text,) in rows] == [
            "ROW 1",
            "ROW 2",
            "row 3",
            "ROW 4",
            "ROW 5",
            "row 6",
            "row 7",
        ]
    finally:
        database.execute_sql("DROP TABLE walked")
        database.close()
