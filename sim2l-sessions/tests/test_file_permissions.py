"""Files holding password hashes or keys are readable by their owner only, whatever the umask."""

import os
import stat

import pytest
from sim2l_sessions.keys import load_secret_keys
from sim2l_sessions.manager import SessionManager
from sim2l_sessions.store import SessionStore


@pytest.fixture(params=[0o022, 0o000], ids=["umask022", "umask000"])
def umask(request):
    """Run the test under a given umask, restored afterwards."""
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_sessions_store_and_its_wal_files_are_private(umask, sim2l_home):
    store = SessionStore()  # the default file, <SIM2L_HOME>/sessions.db
    manager = SessionManager(store=store)
    manager.create_user(username="alice", password="correct horse", role="user")
    path = sim2l_home / "sessions.db"
    # The connection is still open: the WAL and shared-memory files exist.
    files = [path, path.with_name("sessions.db-wal"), path.with_name("sessions.db-shm")]
    assert all(file.exists() for file in files)
    assert {file.name: mode(file) for file in files} == {file.name: 0o600 for file in files}
    store.close()


def test_an_existing_readable_store_is_tightened(umask, sim2l_home):
    path = sim2l_home / "sessions.db"
    path.touch()
    os.chmod(path, 0o644)
    SessionStore().ensure_migrated()
    assert mode(path) == 0o600


def test_the_generated_secret_key_file_is_private(umask, sim2l_home, monkeypatch):
    monkeypatch.delenv("SIM2L_SECRET_KEY")
    load_secret_keys()
    assert mode(sim2l_home / "secret_key") == 0o600
