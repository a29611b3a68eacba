"""The database mechanics services share: backend SQL, the write lock, prepared statements."""

import contextlib
import fcntl
import multiprocessing
import os
import threading

import peewee
import pytest
from sim2l_service_kit.database import BackendSQL
from sim2l_service_kit.database import PreparedStatements
from sim2l_service_kit.database import ProcessWriteLock
from sim2l_service_kit.database import WalCheckpointer
from sim2l_service_kit.database import write_lock_for
from sim2l_service_kit.database import write_transaction
from sim2l_service_kit.database.sql import planner_settings
from sim2l_sessions.database import database_from_url


def test_backend_sql_runs_question_mark_sql_on_either_backend(database_url):
    proxy = peewee.DatabaseProxy()
    database = database_from_url(database_url)
    proxy.initialize(database)
    sql = BackendSQL(proxy)
    sql.execute("CREATE TABLE kit_probe (name TEXT, size INTEGER)")
    sql.execute("INSERT INTO kit_probe VALUES (?, ?), (?, ?)", ("a", 1, "b", 2))
    assert sql.fetchall("SELECT name FROM kit_probe WHERE size > ? ORDER BY name", (0,)) == [
        ("a",),
        ("b",),
    ]
    assert sql.fetchone("SELECT size FROM kit_probe WHERE name = ?", ("b",)) == (2,)
    assert sql.is_postgresql() == database_url.startswith("postgresql")
    database.close()


def _try_lock(path: str, answer) -> None:
    descriptor = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        answer.put("acquired")
    except BlockingIOError:
        answer.put("blocked")
    finally:
        os.close(descriptor)


def test_process_write_lock_keeps_other_processes_out_while_held(tmp_path):
    lock = ProcessWriteLock(str(tmp_path / "db-writelock"))
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    with lock:
        child = context.Process(target=_try_lock, args=(lock.path, answers))
        child.start()
        child.join(10)
        assert answers.get(timeout=10) == "blocked"
    child = context.Process(target=_try_lock, args=(lock.path, answers))
    child.start()
    child.join(10)
    assert answers.get(timeout=10) == "acquired"


def test_write_lock_only_for_sqlite(tmp_path):
    assert isinstance(write_lock_for(f"sqlite:///{tmp_path}/x.db"), ProcessWriteLock)
    lock = write_lock_for("postgresql://u@127.0.0.1/db")
    assert isinstance(lock, contextlib.nullcontext)


def test_prepared_statements_prepare_once_per_connection(database_url):
    if not database_url.startswith("postgresql"):
        return  # SQLite has no server-side statements
    database = database_from_url(database_url)
    statements = PreparedStatements(database, "kit_probe")
    for value in (1, 2, 3):
        assert statements.execute("echo", "SELECT %s::int + 1", (value,)).fetchone() == (value + 1,)
    (count,) = database.execute_sql(
        "SELECT COUNT(*) FROM pg_prepared_statements WHERE name = 'kit_probe_echo'"
    ).fetchone()
    assert count == 1
    database.close()


def test_a_prepared_statement_may_take_no_parameters(database_url):
    """``EXECUTE name ()`` is a syntax error on PostgreSQL: a statement whose values are all
    written into its text (a page's ``LIMIT 51``) is executed as ``EXECUTE name``."""
    if not database_url.startswith("postgresql"):
        return  # SQLite has no server-side statements
    database = database_from_url(database_url)
    statements = PreparedStatements(database, "kit_bare")
    for _ in range(2):
        assert statements.execute_text("SELECT 41 + 1", ()).fetchone() == (42,)
    database.close()


def test_prepared_statements_keep_at_most_their_limit_per_connection(database_url, monkeypatch):
    if not database_url.startswith("postgresql"):
        return  # SQLite has no server-side statements
    from sim2l_service_kit.database import prepared_statements

    monkeypatch.setattr(prepared_statements, "MAX_PER_CONNECTION", 3)
    database = database_from_url(database_url)
    statements = PreparedStatements(database, "kit_lru")
    for value in range(5):  # five texts: the two least recently used are deallocated
        sql = f"SELECT %s::int + {value}"
        assert statements.execute_text(sql, (1,)).fetchone() == (1 + value,)
    assert statements.execute_text("SELECT %s::int + 4", (2,)).fetchone() == (6,)
    (count,) = database.execute_sql(
        "SELECT COUNT(*) FROM pg_prepared_statements WHERE name LIKE 'kit_lru_%%'"
    ).fetchone()
    assert count == 3
    database.close()


def test_backend_sql_query_answers_like_execute_on_either_backend(database_url):
    proxy = peewee.DatabaseProxy()
    database = database_from_url(database_url)
    proxy.initialize(database)
    sql = BackendSQL(proxy, "kit_query")
    sql.execute("CREATE TABLE kit_query_probe (name TEXT, size INTEGER)")
    sql.execute("INSERT INTO kit_query_probe VALUES (?, ?), (?, ?)", ("a", 1, "b", 2))
    statement = "SELECT name FROM kit_query_probe WHERE size >= ? ORDER BY name LIMIT ?"
    for low, expected in ((0, [("a",), ("b",)]), (2, [("b",)]), (3, [])):
        assert sql.query(statement, (low, 10)).fetchall() == expected
        assert sql.query(statement, (low, 10)).fetchall() == sql.fetchall(statement, (low, 10))
    if sql.is_postgresql():
        (count,) = database.execute_sql(
            "SELECT COUNT(*) FROM pg_prepared_statements WHERE name LIKE 'kit_query_%%'"
        ).fetchone()
        assert count == 1  # one text, prepared once on this connection
    database.close()


@pytest.mark.parametrize("prepared", [True, False])
def test_planner_settings_hold_for_their_statement_alone(database_url, prepared):
    """PostgreSQL: ``query(..., planner=)`` plans and runs that statement under the
    settings, and the next statement on the same connection sees the defaults again.
    SQLite has no such settings: the statement simply runs."""
    proxy = peewee.DatabaseProxy()
    database = database_from_url(database_url)
    proxy.initialize(database)
    sql = BackendSQL(proxy, "kit_planner")
    sql.prepared_statements = prepared
    planner = {"enable_hashjoin": "off", "jit": "off"}
    if sql.is_postgresql():
        setting = (
            "SELECT current_setting('enable_hashjoin'), current_setting('jit'), CAST(? AS integer)"
        )
        assert sql.query(setting, (1,), planner=planner).fetchall() == [("off", "off", 1)]
        assert sql.query(setting, (2,)).fetchall() == [("on", "on", 2)]
        assert sql.fetchone(setting, (3,)) == ("on", "on", 3)
    else:
        assert sql.query("SELECT ?", (1,), planner=planner).fetchall() == [(1,)]
    database.close()


@pytest.mark.parametrize("name, value", [("enable_hashjoin", "off; DROP TABLE x"), ("a-b", "on")])
def test_planner_settings_refuse_anything_but_plain_words(name, value):
    with pytest.raises(ValueError, match="not a planner setting"):
        planner_settings({name: value})
    assert planner_settings(None) == planner_settings({}) == ""
    assert planner_settings({"jit": "off"}) == "SET LOCAL jit = off; "


def test_wal_checkpointer_turns_automatic_checkpoints_off_and_runs_one_thread(tmp_path):
    url = f"sqlite:///{tmp_path}/wal.db"
    database = database_from_url(url)
    checkpointer = WalCheckpointer(database, url, interval=0.05)
    checkpointer.disable_automatic_checkpoints()
    database.connect()
    assert database.execute_sql("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    database.close()
    checkpointer.ensure_running()
    checkpointer.ensure_running()
    names = [thread.name for thread in threading.enumerate()]
    assert names.count("sim2l-wal-checkpoint") >= 1
    checkpointer._pid = None  # lets the thread end at its next tick


def _increment_many(url: str, times: int, failures) -> None:
    """Read a counter and write it back plus one, ``times`` times, in one process."""
    database = database_from_url(url)
    try:
        for _ in range(times):
            with write_transaction(database):
                (value,) = database.execute_sql("SELECT value FROM counter").fetchone()
                database.execute_sql("UPDATE counter SET value = ?", (value + 1,))
    except peewee.OperationalError as error:
        failures.put(str(error))
    finally:
        database.close()


def test_write_transaction_lets_read_then_write_transactions_wait_their_turn(tmp_path):
    # Deferred transactions that read and then write, in two processes, get
    # "database is locked" at once from SQLite (no busy wait): the catalog's
    # PATCH answered 503 this way under two workers.
    url = f"sqlite:///{tmp_path / 'counter.db'}"
    database = database_from_url(url)
    database.execute_sql("CREATE TABLE counter (value INTEGER NOT NULL)")
    database.execute_sql("INSERT INTO counter VALUES (0)")
    context = multiprocessing.get_context("fork")
    failures = context.Queue()
    workers = [context.Process(target=_increment_many, args=(url, 300, failures)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    assert failures.empty()
    # No increment lost: each read saw the one before it.
    assert database.execute_sql("SELECT value FROM counter").fetchone() == (900,)
    database.close()


def test_write_transaction_is_a_transaction_on_either_backend(database_url):
    database = database_from_url(database_url)
    with write_transaction(database) as transaction:
        assert database.in_transaction()
        assert transaction is not None
    assert not database.in_transaction()
