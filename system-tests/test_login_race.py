"""The login limit cannot be raced: 200 concurrent wrong passwords, at most the limit of checks.

A cache service under gunicorn (several workers) on a PostgreSQL store; 40
threads send 200 wrong passwords for one user from 10 source addresses
(127.0.0.2 to 127.0.0.11) at once. Every worker counts its bcrypt checks
(a gunicorn ``post_fork`` hook wraps ``bcrypt.checkpw`` and appends one byte
per call to a file the test reads); no timing is involved. Reserving each
attempt in the store before the password is checked keeps the count at the
per-user limit (it was 10 for a limit of 5 when the count was read before
bcrypt and written after it).
"""

import concurrent.futures
import http.client
import json
import threading

import pytest
from services import KillableService
from services import migrate_service
from sim2l_service_kit.testing import reset_postgres_schema
from sim2l_sessions.manager import SessionManager
from sim2l_sessions.store import SessionStore

ATTEMPTS = 200
THREADS = 40
ADDRESSES = [f"127.0.0.{n}" for n in range(2, 12)]
LIMIT = SessionManager(secret_keys=["x" * 40]).login_failures_per_user

COUNTING_HOOK = '''
import os

import bcrypt
from sim2l_service_kit.gunicorn_hooks import child_exit, on_exit, on_starting  # noqa: F401


def post_fork(server, worker):
    """Count every bcrypt check this worker makes: one byte per call, appended."""
    real_checkpw = bcrypt.checkpw

    def counting_checkpw(password, hashed):
        with open(os.environ["BCRYPT_CHECKS_FILE"], "ab") as counter:
            counter.write(b"1")
        return real_checkpw(password, hashed)

    bcrypt.checkpw = counting_checkpw
'''


def _login(port: int, source: str) -> int:
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=60, source_address=(source, 0)
    )
    try:
        body = json.dumps({"username": "victim", "password": "wrong guess"})
        connection.request("POST", "/sessions", body, {"Content-Type": "application/json"})
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.slow
def test_concurrent_wrong_passwords_get_at_most_the_limit_of_bcrypt_checks(
    postgres_database_url, tmp_path
):
    url = postgres_database_url
    reset_postgres_schema(url)
    migrate_service("cache", url)
    SessionManager(store=SessionStore(url)).create_user("victim", "the right one")
    hook = tmp_path / "count_bcrypt.py"
    hook.write_text(COUNTING_HOOK)
    checks = tmp_path / "bcrypt_checks"
    checks.write_bytes(b"")
    env = {
        "SIM2L_SESSIONS_DATABASE_URL": url,
        "BCRYPT_CHECKS_FILE": str(checks),
        # A real cost, so that a check takes long enough for attempts to overlap.
        "SIM2L_BCRYPT_ROUNDS": "10",
    }
    service = KillableService("cache", url, workers=4, env=env, config=str(hook))
    with service:
        start = threading.Barrier(THREADS)

        def attempt(index: int) -> int:
            if index < THREADS:
                start.wait()
            return _login(service.port, ADDRESSES[index % len(ADDRESSES)])

        with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
            statuses = list(pool.map(attempt, range(ATTEMPTS)))
    made = len(checks.read_bytes())
    print(f"{ATTEMPTS} concurrent wrong passwords: {made} bcrypt checks (limit {LIMIT})")
    assert sorted(set(statuses)) == [401, 429]
    assert statuses.count(401) == made
    assert made <= LIMIT
