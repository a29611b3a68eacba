"""Registering a 250 MB run file keeps every gunicorn worker under 200 MB resident.

The run file holds 260 list inputs of about 1 MB of JSON each. The upload is
streamed to disk, introspected from disk, and only values small enough to
embed are kept (the others become ``truncated`` markers; the stored file keeps
them whole). Each worker's resident set is sampled from /proc while a real
gunicorn worker registers the file. SQLite only: the worker's memory does
not depend on the backend, and the PostgreSQL path is the same code.
"""

import contextlib
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from runfiles import make_run
from sim2l_results_client import ResultsClient
from sim2l_service_kit.testing.benchmarking import GunicornServer
from sim2l_sessions.database import database_from_url
from sim2l_sessions.migrations import migrate

APP = "sim2l_results_service.app:create_app()"
LIMIT_MB = 200
BIG_VALUE = "[" + ",".join(["123456"] * 140_000) + "]"  # 980,001 bytes of JSON


def large_run_file(folder: Path, values: int = 260) -> Path:
    """A real run file, then ``values`` inputs of about 1 MB each added to it."""
    path = make_run(folder, "big-run", {"x": 1}, {"y": 2})
    connection = sqlite3.connect(path)
    connection.executemany(
        "INSERT INTO inputs (name, type, value_kind, value_json, created_at) "
        "VALUES (?, 'list', 'list', ?, 0)",
        ((f"big_{index:03d}", BIG_VALUE) for index in range(values)),
    )
    connection.commit()
    connection.execute("PRAGMA journal_mode=DELETE")
    connection.close()
    return path


def worker_pids(master: int) -> list[int]:
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def resident_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return 0


class PeakMemory:
    """Samples the resident set of processes every 20 ms until stopped."""

    def __init__(self, pids: list[int]):
        self.peak = dict.fromkeys(pids, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample)

    def _sample(self):
        while not self._stop.is_set():
            for pid in self.peak:
                with contextlib.suppress(FileNotFoundError):
                    self.peak[pid] = max(self.peak[pid], resident_mb(pid))
            time.sleep(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join(timeout=10)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_registering_a_250_mb_run_file_keeps_workers_under_200_mb(tmp_path, manager):
    path = large_run_file(tmp_path / "runs")
    assert path.stat().st_size > 250_000_000
    url = f"sqlite:///{tmp_path / 'results.db'}"
    database = database_from_url(url)
    migrate(database, "sim2l_results_service.migrations")
    database.close()
    env = {
        "SIM2L_RESULTS_DATABASE_URL": url,
        "SIM2L_RESULTS_STORAGE_DIR": str(tmp_path / "store"),
        "SIM2L_RESULTS_MAX_UPLOAD_BYTES": str(300 * 1024 * 1024),
        # A busy test machine may take longer than gunicorn's default 30 s.
        "GUNICORN_CMD_ARGS": "--timeout 300",
    }
    token = manager.create_session("ada", "admin").session_id
    with GunicornServer(APP, env=env, workers=2) as server:
        client = ResultsClient(server.url, session_id=token, timeout=120)
        with PeakMemory(worker_pids(server.process.pid)) as memory:
            registered = client.register_result(path)
        print(f"peak worker RSS registering {path.stat().st_size:,} bytes: {memory.peak} MB")
        assert registered["input_count"] == 261
        assert max(memory.peak.values()) < LIMIT_MB, memory.peak
        # The stored run keeps every value whole: one result's view reads it back.
        view = client.get_result("big-run")
        assert len(view["input_params"]["big_007"]) == 140_000
        # A page shows a marker in its place.
        (item,) = client.search(simulation_name="thermal_sim")
        client.close()
    assert item["input_params"]["big_007"] == {
        "truncated": True,
        "value_type": "list",
        "json_bytes": len(BIG_VALUE),
    }
