"""What a run file promises about crashes and closing, on real SQLite files.

- An ended run is one plain file: no -wal, -shm, writer lock or temporary file beside it.
- The first commit into a file this process created skips only the WAL header
  sync (``sim2l.rundb.first_commit``): every later commit and the checkpoint
  that settles the run are synced as before, and a file someone else
  committed to first, or with a WAL already beside it, is written synced.
- A writer that dies without closing leaves a valid file with every committed
  row, also when the WAL header of its unsynced first commit never reached the disk.
- A new file appears whole or not at all, made without a name or under a
  temporary one, and creating it leaves nothing else behind.
"""

import os
import sqlite3
import subprocess
import sys
import textwrap

import pytest
from sim2l.rundb import RunDatabase
from sim2l.rundb import RunNotFoundError
from sim2l.rundb import creation

SYNCHRONOUS_OFF, SYNCHRONOUS_NORMAL = 0, 1


def synchronous_in_first_transaction(run_db: RunDatabase) -> int:
    """The writer's ``synchronous`` setting while it makes its first commit."""
    with run_db.transaction():
        setting = run_db._connection.execute("PRAGMA synchronous").fetchone()[0]
        run_db._connection.execute("INSERT INTO tags (key, value) VALUES ('first', NULL)")
    return setting


def writer_settings(run_db: RunDatabase) -> tuple:
    connection = run_db._connection
    return (
        connection.execute("PRAGMA synchronous").fetchone()[0],
        connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0],
    )


def test_an_ended_run_is_one_plain_file_holding_every_row(run_folder):
    with RunDatabase("exec-plain") as run_db:
        run_db.initialize_run("thermal_sim", "1.0.0")
        run_db.save_inputs({"temperature": 350.0, "pressure": 2})
        run_db.save_outputs({"max_stress": 1.5e8})
        run_db.complete_run("completed", duration_seconds=1.0)
    assert sorted(path.name for path in run_folder.iterdir()) == ["exec-plain.db"]
    connection = sqlite3.connect(f"{(run_folder / 'exec-plain.db').as_uri()}?mode=ro", uri=True)
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert connection.execute("SELECT status FROM run").fetchone() == ("completed",)
    assert connection.execute("SELECT count(*) FROM inputs").fetchone() == (2,)
    assert connection.execute("SELECT count(*) FROM outputs").fetchone() == (1,)
    connection.close()
    assert sorted(path.name for path in run_folder.iterdir()) == ["exec-plain.db"]


def test_only_the_first_commit_into_a_created_file_skips_the_header_sync(run_folder):
    run_db = RunDatabase("exec-first")
    assert synchronous_in_first_transaction(run_db) == SYNCHRONOUS_OFF
    assert writer_settings(run_db) == (SYNCHRONOUS_NORMAL, 1000)
    run_db.initialize_run("thermal_sim", "1.0.0", capture_environment=False)
    run_db.complete_run("completed")
    run_db.close()
    with RunDatabase("exec-first", read_only=True) as reader:
        assert reader.get_tags() == {"first": None}
        assert reader.get_summary()["status"] == "completed"


def test_a_writer_joining_an_existing_file_commits_synced(run_folder):
    with RunDatabase("exec-join") as run_db:
        run_db.save_input("x", 1)
    joining = RunDatabase("exec-join")
    assert synchronous_in_first_transaction(joining) == SYNCHRONOUS_NORMAL
    joining.close()


def test_a_wal_already_beside_the_new_file_means_a_synced_first_commit(run_folder):
    run_folder.mkdir(parents=True, exist_ok=True)
    (run_folder / "exec-stale.db-wal").write_bytes(b"")
    run_db = RunDatabase("exec-stale")
    assert synchronous_in_first_transaction(run_db) == SYNCHRONOUS_NORMAL
    run_db.close()


@pytest.mark.parametrize("wal_emptied", [False, True])
def test_a_file_another_writer_committed_to_first_gets_a_synced_first_commit(
    run_folder, wal_emptied
):
    creator = RunDatabase("exec-shared")
    creator._open_writable()  # created the file; its first commit not made yet
    other = RunDatabase("exec-shared")
    other.save_input("from_other", 1)  # joins the file and commits first
    if wal_emptied:  # a checkpoint folded the other's frames in and emptied the WAL
        checkpointer = sqlite3.connect(run_folder / "exec-shared.db")
        assert checkpointer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
        checkpointer.close()
        assert (run_folder / "exec-shared.db-wal").stat().st_size == 0
    assert synchronous_in_first_transaction(creator) == SYNCHRONOUS_NORMAL
    assert writer_settings(creator) == (SYNCHRONOUS_NORMAL, 1000)
    creator.save_input("from_creator", 2)
    other.close()
    creator.close()
    with RunDatabase("exec-shared", read_only=True) as reader:
        assert reader.get_input_values() == {"from_other": 1, "from_creator": 2}
    connection = sqlite3.connect(run_folder / "exec-shared.db")
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    connection.close()


def test_closing_before_any_commit_leaves_the_connection_synced(run_folder):
    run_db = RunDatabase("exec-unborn")
    connection = run_db._open_writable()
    assert connection.execute("PRAGMA synchronous").fetchone()[0] == SYNCHRONOUS_OFF
    run_db._sync_again()  # what close() does first; checked here on the open connection
    assert writer_settings(run_db) == (SYNCHRONOUS_NORMAL, 1000)
    run_db.close()
    with pytest.raises(RunNotFoundError):
        RunDatabase("exec-unborn", read_only=True)


CRASHING_WRITER = textwrap.dedent(
    """
    import os, sys
    from sim2l.rundb import RunDatabase
    run_db = RunDatabase("exec-crash", base_path=sys.argv[1])
    run_db.initialize_run("thermal_sim", "1.0.0")
    run_db.save_inputs({"temperature": 350.0})
    if sys.argv[2] == "completed":
        run_db.save_outputs({"max_stress": 1.5e8})
        run_db.complete_run("completed")
    os._exit(0)  # dies without closing: no checkpoint, no settling
    """
)


def crash_writer(run_folder, how: str) -> None:
    run_folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-c", CRASHING_WRITER, str(run_folder), how], check=True, timeout=60
    )


@pytest.mark.parametrize("how", ["running", "completed"])
def test_a_writer_dying_before_close_loses_no_committed_row(run_folder, how):
    crash_writer(run_folder, how)
    assert (run_folder / "exec-crash.db-wal").stat().st_size > 0  # rows still in the WAL
    with RunDatabase("exec-crash", read_only=True) as run_db:
        summary = run_db.get_summary()
        assert run_db.get_input_values() == {"temperature": 350.0}
        outputs = run_db.get_output_values()
    if how == "completed":
        assert summary["status"] == "completed"
        assert outputs == {"max_stress": 1.5e8}
    else:
        assert summary["status"] == "crashed"
    connection = sqlite3.connect(run_folder / "exec-crash.db")
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    connection.close()


def test_a_lost_wal_header_leaves_the_created_file_valid_and_no_run(run_folder):
    """A power cut before the unsynced header of the first commit reached the disk."""
    crash_writer(run_folder, "running")
    wal = run_folder / "exec-crash.db-wal"
    with open(wal, "r+b") as stream:
        stream.write(bytes(32))  # the WAL header as if never written
    os.remove(run_folder / "exec-crash.db-shm")  # shared memory does not survive a reboot
    connection = sqlite3.connect(run_folder / "exec-crash.db")
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert connection.execute("SELECT count(*) FROM run").fetchone() == (0,)
    connection.close()
    with pytest.raises(RunNotFoundError, match="holds no run"):
        RunDatabase("exec-crash", read_only=True)
    with RunDatabase("exec-crash") as run_db:  # the next writer fills the file
        run_db.initialize_run("thermal_sim", "1.0.0", capture_environment=False)
        run_db.complete_run("completed")
        assert run_db.get_summary()["status"] == "completed"


# ---------------------------------------------------------------- creating the file


@pytest.fixture(params=["unnamed", "named"])
def creation_path(request, monkeypatch):
    """Both ways a file is made: without a name (Linux O_TMPFILE), or under a temporary name."""
    if request.param == "named":
        monkeypatch.setattr(creation, "_O_TMPFILE", None)
    elif creation._O_TMPFILE is None:
        pytest.skip("no O_TMPFILE here")
    return request.param


def test_a_created_file_is_the_whole_image_and_nothing_else_is_left(tmp_path, creation_path):
    path = tmp_path / "exec-made.db"
    assert creation.create_run_file(path) is True
    assert path.read_bytes() == creation.empty_run_file_image()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exec-made.db"]
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    connection.close()


def test_creating_a_file_that_exists_changes_nothing(tmp_path, creation_path):
    path = tmp_path / "exec-taken.db"
    path.write_bytes(b"someone else's")
    assert creation.create_run_file(path) is False
    assert path.read_bytes() == b"someone else's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exec-taken.db"]


def test_both_ways_make_files_with_the_same_permissions(tmp_path, monkeypatch):
    if creation._O_TMPFILE is None:
        pytest.skip("no O_TMPFILE here")
    creation.create_run_file(tmp_path / "unnamed.db")
    monkeypatch.setattr(creation, "_O_TMPFILE", None)
    creation.create_run_file(tmp_path / "named.db")
    assert (tmp_path / "unnamed.db").stat().st_mode == (tmp_path / "named.db").stat().st_mode
