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
