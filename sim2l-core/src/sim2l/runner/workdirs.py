"""The empty private folder each run works in, re-used when the run leaves it empty.

A simulation runs with its own empty folder as the working directory, and
every file it leaves there becomes an artifact of its run. Creating and
removing a folder per run was a tenth of the cost of a short run on a
journaling file system, and most runs leave nothing behind: a folder that is
still empty and still private (mode 0700) after its run goes back to a small
pool for the next run of this process. One that holds anything, or whose
mode the simulation changed, is removed as before, so every run still starts
in a fresh, empty, private folder that no other run uses at the same time.

The pool belongs to one process: a forked child (a sweep worker) starts
with none of its parent's folders, which the parent may hand out meanwhile.
Pooled folders are removed when their process exits, by a ``multiprocessing``
finalizer: it runs at interpreter exit and also in a worker process of
``multiprocessing`` or ``concurrent.futures``, which leaves without running
``atexit`` handlers.
"""

import contextlib
import multiprocessing.util
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Enough for the runs one process executes at once (threads); more are removed.
POOL_SIZE = 4

_PRIVATE = 0o700

_lock = threading.Lock()
_pool: list[Path] = []
_pool_pid = os.getpid()
_cleanup_pid = None  # the process whose exit removes the pooled folders


@contextmanager
def run_folder() -> Iterator[Path]:
    """An empty folder only this run uses; removed or pooled when the block ends."""
    folder = take_folder()
    try:
        yield folder
    finally:
        give_back(folder)


def take_folder() -> Path:
    """An empty private folder for one run; hand it to ``give_back`` when the run ends."""
    global _pool_pid
    with _lock:
        if _pool_pid != os.getpid():
            _pool.clear()  # the parent's folders, not ours to use
            _pool_pid = os.getpid()
        if _pool:
            return _pool.pop()
    return Path(tempfile.mkdtemp(prefix="sim2l-run-"))


def give_back(folder: Path) -> None:
    """Pool ``folder`` when its run left it empty and private; otherwise remove it."""
    global _cleanup_pid
    if _still_empty_and_private(folder):
        with _lock:
            if _pool_pid == os.getpid() and len(_pool) < POOL_SIZE:
                if _cleanup_pid != _pool_pid:
                    multiprocessing.util.Finalize(None, _remove_pooled_folders, exitpriority=10)
                    _cleanup_pid = _pool_pid
                _pool.append(folder)
                return
    shutil.rmtree(folder, ignore_errors=True)


def _still_empty_and_private(folder: Path) -> bool:
    try:
        status = os.lstat(folder)
        if not stat.S_ISDIR(status.st_mode) or stat.S_IMODE(status.st_mode) != _PRIVATE:
            return False
        with os.scandir(folder) as entries:
            return next(entries, None) is None
    except OSError:
        return False


def _remove_pooled_folders() -> None:
    with _lock:
        folders = list(_pool) if _pool_pid == os.getpid() else []
        _pool.clear()
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()
