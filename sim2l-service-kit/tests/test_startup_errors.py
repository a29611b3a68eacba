"""Each start-up failure is one short paragraph with the fixing command, and a non-zero exit.

Run through the toy service's command line in a real process, as a user would
see it: before, a missing database printed 77 lines of chained tracebacks and
a busy port first announced the service, then failed 5 s later.
"""

import socket
import subprocess
import sys

import psycopg2
import pytest
from sim2l_service_kit.preflight import explain_database_error
from sim2l_service_kit.testing.benchmarking import free_port
from sim2l_sessions.database import database_from_url
from sim2l_sessions.migrations import MIGRATIONS_TABLE
from sim2l_sessions.migrations import migrate

TOY_MIGRATIONS = "sim2l_service_kit.testing.toy_service.migrations"
TOY_COMMAND = (
    "from sim2l_service_kit.cli import ServiceCommandLine; import sys; "
    "sys.exit(ServiceCommandLine('toy', 'sim2l_service_kit.testing.toy_service:create_app', "
    f"'{TOY_MIGRATIONS}', 0).main(sys.argv[1:]))"
)


def run_toy(*arguments) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", TOY_COMMAND, *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def assert_short_paragraph(result: subprocess.CompletedProcess, *expected: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3, result.stderr
    assert "service on http" not in result.stderr  # never announced, then failed
    for text in expected:
        assert text in result.stderr


def test_a_postgresql_database_that_does_not_exist(postgres_database_url):
    missing = postgres_database_url.rsplit("/", 1)[0] + "/sim2l_no_such_database"
    result = run_toy("serve", "--db-url", missing, "--port", str(free_port()))
    assert_short_paragraph(result, "'sim2l_no_such_database' does not exist", "createdb")


def test_an_unreachable_postgresql_server():
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/anything"
    result = run_toy("serve", "--db-url", url, "--port", str(free_port()))
    assert_short_paragraph(result, "cannot reach PostgreSQL", "pg_isready")


def test_an_unmigrated_database_served_with_no_migrate(tmp_path):
    url = f"sqlite:///{tmp_path / 'toy.db'}"
    result = run_toy("serve", "--db-url", url, "--no-migrate", "--port", str(free_port()))
    assert_short_paragraph(result, "not migrated", "migrate --db-url")


def test_a_schema_newer_than_the_code(tmp_path):
    url = f"sqlite:///{tmp_path / 'toy.db'}"
    database = database_from_url(url)
    migrate(database, TOY_MIGRATIONS)
    database.execute_sql(
        f"INSERT INTO {MIGRATIONS_TABLE} (name, applied_at) VALUES (?, ?)",  # noqa: S608 - a constant
        (f"{TOY_MIGRATIONS}:0099_from_the_future", "2030-01-01"),
    )
    database.close()
    for arguments in (["serve", "--port", str(free_port())], ["migrate"]):
        result = run_toy(*arguments, "--db-url", url)
        assert_short_paragraph(result, "newer", "0099_from_the_future", "pip install --upgrade")


def test_a_port_in_use(tmp_path):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        port = holder.getsockname()[1]
        result = run_toy(
            "serve", "--db-url", f"sqlite:///{tmp_path / 'toy.db'}", "--port", str(port)
        )
    finally:
        holder.close()
    assert_short_paragraph(result, f"port {port} on 127.0.0.1 is already in use", "--port")


def test_debug_shows_the_traceback(tmp_path):
    url = f"sqlite:///{tmp_path / 'toy.db'}"
    result = run_toy("serve", "--db-url", url, "--no-migrate", "--debug")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_a_bad_flag_is_one_usage_message():
    result = run_toy("serve", "--no-such-flag")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "unrecognized arguments: --no-such-flag" in result.stderr


@pytest.mark.parametrize(
    ("server_says", "expected"),
    [
        ('FATAL:  password authentication failed for user "alice"', "refused the password"),
        ('FATAL:  role "alice" does not exist', "has no user 'alice'"),
    ],
)
def test_credentials_the_server_refuses_are_explained(server_says, expected):
    # libpq's own wording of each refusal, as psycopg2 raises it.
    error = psycopg2.OperationalError(
        f'connection to server at "127.0.0.1", port 5432 failed: {server_says}'
    )
    explained = str(explain_database_error(error, "postgresql://alice:pw@127.0.0.1/db", "toy"))
    assert expected in explained and "pw" not in explained
