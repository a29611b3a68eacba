"""Client-only behaviour: URLs, run file paths, argument checks, error mapping, the progress bar.

End-to-end behaviour through this client is tested in the service's tests,
whose environment has the service installed.
"""

import io
import os
import sqlite3
import sys

import pytest
from sim2l_results_client import NotFoundError
from sim2l_results_client import ResultsClient
from sim2l_results_client import ServiceConnectionError
from sim2l_results_client import UnauthenticatedError
from sim2l_results_client.client import _Progress


def test_url_must_be_http():
    with pytest.raises(ValueError):
        ResultsClient("localhost:8003")
    assert ResultsClient("http://localhost:8003/").base_url == "http://localhost:8003"


def test_run_file_path_follows_settings(monkeypatch, tmp_path, sim2l_home):
    client = ResultsClient("http://localhost:8003")
    monkeypatch.delenv("SIM2L_RUN_DB_BASE_PATH", raising=False)
    assert client.run_file_path("exec-1") == sim2l_home / "runs" / "exec-1.db"
    monkeypatch.setenv("SIM2L_RUN_DB_BASE_PATH", str(tmp_path))
    assert client.run_file_path("exec-1") == tmp_path / "exec-1.db"
    explicit = ResultsClient("http://localhost:8003", run_db_base_path=tmp_path / "mine")
    assert explicit.run_file_path("exec-1") == tmp_path / "mine" / "exec-1.db"


@pytest.mark.parametrize("bad", ["../etc/passwd", "a/b", "", ".hidden", "x" * 200, "a..b"])
def test_execution_ids_are_plain_names(bad):
    client = ResultsClient("http://localhost:8003")
    with pytest.raises((ValueError, TypeError, FileNotFoundError)):
        client.get_result(bad)
    with pytest.raises((ValueError, TypeError, FileNotFoundError)):
        client.register_result(bad)


def test_missing_run_file_is_file_not_found(tmp_path):
    client = ResultsClient("http://localhost:8003", run_db_base_path=tmp_path)
    with pytest.raises(FileNotFoundError, match="exec-404"):
        client.register_result("exec-404")


def test_unreachable_service_is_a_connection_error(tmp_path):
    run = tmp_path / "run.db"
    sqlite3.connect(run).close()
    run.write_bytes(b"SQLite format 3\x00")
    client = ResultsClient("http://127.0.0.1:9", retries=0, timeout=1)
    with pytest.raises(ServiceConnectionError):
        client.search(simulation_name="x")
    with pytest.raises(ServiceConnectionError):
        client.register_result(run)


def test_download_never_overwrites_before_asking_the_service(tmp_path):
    existing = tmp_path / "run.db"
    existing.write_bytes(b"keep")
    client = ResultsClient("http://127.0.0.1:9", retries=0, timeout=1)
    with pytest.raises(FileExistsError):
        client.download("run", existing)
    assert existing.read_bytes() == b"keep"


def test_progress_bar_draws_on_the_given_stream():
    stream = io.StringIO()
    bar = _Progress(4, True, stream=stream, width=8)
    for done in range(1, 5):
        bar.update(done, failed=1 if done == 4 else 0)
    text = stream.getvalue()
    assert (
        "4/4 runs" in text and "1 failed" in text and text.endswith("\n") and "[########]" in text
    )
    silent = io.StringIO()
    _Progress(3, False, stream=silent).update(3, 0)
    assert silent.getvalue() == ""


def test_errors_map_from_a_real_service(live_server, tmp_path):
    service = pytest.importorskip("sim2l_results_service")
    app = service.create_app(
        {
            "database_url": f"sqlite:///{tmp_path / 'results.db'}",
            "auto_migrate": True,
            "storage_dir": str(tmp_path / "files"),
            "revocation_refresh_seconds": 0,
        }
    )
    url = live_server(app)
    with pytest.raises(UnauthenticatedError) as error:
        ResultsClient(url).search(simulation_name="x")
    assert error.value.status == 401 and error.value.method == "POST"
    from sim2l_sessions.manager import SessionManager

    client = ResultsClient(
        url, session_id=SessionManager().create_session("ann", "admin").session_id
    )
    assert client.get_result("nothing") is None
    assert client.delete_result("nothing") is False
    with pytest.raises(NotFoundError):
        client.download("nothing", tmp_path / "x.db")
    assert not os.path.exists(tmp_path / "x.db")
    assert client.health()["service"] == "results"


def test_to_dataframe_without_pandas_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # what an install without the extra sees
    client = ResultsClient("http://127.0.0.1:9", retries=0, timeout=1)
    with pytest.raises(ImportError, match=r"sim2l-results-client\[pandas\]"):
        client.to_dataframe("thermal_sim")
