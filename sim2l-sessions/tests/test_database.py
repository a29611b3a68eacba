"""Opening databases from URLs, and how a service holds its connections."""

import os

import pytest
from sim2l_sessions.database import InvalidDatabaseURL
from sim2l_sessions.database import database_from_url
from sim2l_sessions.manager import SessionManager

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


def _backend_pid(app, token, multithread):
    """The PostgreSQL backend that served a note read, and whether the app still holds it."""
    client = app.test_client()
    response = client.get(
        "/notes/missing",
        headers={"X-Session-ID": token},
        environ_overrides={"wsgi.multithread": multithread},
    )
    assert response.status_code == 404
    database = app.extensions["sim2l_database"]
    held = not database.is_closed()
    pid = database.connection().get_backend_pid() if held else None
    return pid, held


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_single_threaded_worker_keeps_its_connection(toy_app):
    token = SessionManager().create_session("reader", "user").session_id
    first, held = _backend_pid(toy_app, token, multithread=False)
    assert held
    second, held = _backend_pid(toy_app, token, multithread=False)
    assert held and second == first


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_threaded_server_returns_connections_to_the_pool(toy_app):
    token = SessionManager().create_session("reader", "user").session_id
    _, held = _backend_pid(toy_app, token, multithread=True)
    assert not held
    database = toy_app.extensions["sim2l_database"]
    assert len(database._connections) == 1  # back in the pool, idle


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_connection_left_in_a_transaction_is_not_kept(toy_app):
    database = toy_app.extensions["sim2l_database"]

    @toy_app.get("/open-transaction")
    def open_transaction():
        database.execute_sql("BEGIN")
        database.execute_sql("SELECT 1")
        return {"ok": True}

    response = toy_app.test_client().get(
        "/open-transaction", environ_overrides={"wsgi.multithread": False}
    )
    assert response.status_code == 200
    assert database.is_closed()
