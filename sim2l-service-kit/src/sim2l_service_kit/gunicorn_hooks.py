"""The gunicorn hooks every sim2l service runs with: one metrics directory per server.

``/metrics`` sums the counters of every worker (prometheus_client's
multiprocess mode, see ``sim2l_service_kit.metrics``). That needs, before any
worker starts, an empty ``PROMETHEUS_MULTIPROC_DIR`` shared by the master and
its workers, and, as each worker exits, ``mark_process_dead`` for it. This
module is the one place that does it, used by every launcher:

- ``gunicorn -c python:sim2l_service_kit.gunicorn_hooks APP`` (the system
  tests, the benchmarks, ``sim2l services up``);
- ``sim2l-<service>-service serve``, which passes the same hooks;
- the container image's ``gunicorn.conf.py``, which imports them.

A ``PROMETHEUS_MULTIPROC_DIR`` given in the environment is used (and emptied
of old values at start, so counters start from zero with the server);
otherwise a private folder is made in ``/dev/shm`` (memory; else the
temporary folder) and removed when the server exits. Folders left by a
server that was killed are removed by the next one that starts.
"""

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

PREFIX = "sim2l-metrics-"
_created: list[str] = []


def _base_folder() -> str | None:
    shm = "/dev/shm"  # noqa: S108 - a memory-backed folder, like gunicorn's worker_tmp_dir
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _remove_abandoned(base: Path) -> None:
    """Remove folders of servers that no longer run (killed before their on_exit)."""
    for folder in base.glob(PREFIX + "*"):
        pid = folder.name[len(PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)) and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)


def prepare_metrics_directory() -> str:
    """Make ``PROMETHEUS_MULTIPROC_DIR`` exist and be empty; set it for the workers; return it."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
        return directory
    base = Path(_base_folder() or tempfile.gettempdir())
    _remove_abandoned(base)
    directory = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=base)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    _created.append(directory)
    return directory


def on_starting(server):
    """Gunicorn hook (master, before any worker): the metrics directory."""
    prepare_metrics_directory()


def child_exit(server, worker):
    """Gunicorn hook (master, a worker exited): its live gauges go; its counters stay summed."""
    from prometheus_client import multiprocess

    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        multiprocess.mark_process_dead(worker.pid, directory)


def on_exit(server):
    """Gunicorn hook (master, shutting down): remove the folder it made."""
    while _created:
        shutil.rmtree(_created.pop(), ignore_errors=True)


HOOKS = {"on_starting": on_starting, "child_exit": child_exit, "on_exit": on_exit}
