"""The ``sim2l`` command line and the seed's service launchers."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

import pytest
import requests
from runner_support import configure_services
from sim2l.cli import local_services
from sim2l.cli import main
from sim2l.cli.commands import CommandError
from sim2l.cli.commands import parse_filters
from sim2l.cli.commands import parse_input
from sim2l.cli.errors import EXIT_BROKEN_PIPE
from sim2l.cli.errors import EXIT_NOT_FOUND
from sim2l.cli.errors import EXIT_USAGE
from sim2l.runner import load
from sim2l_sessions import get_session_manager

pytest_plugins = ["runner_fixtures"]


def sim2l(capsys, *argv) -> tuple[int, str, str]:
    """Run ``sim2l ARGV`` in this process; (exit code, stdout, stderr)."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    "text, expected",
    [
        ("temperature=350", ("temperature", 350.0)),
        ("points=5", ("points", 5)),
        ("material=copper", ("material", "copper")),
    ],
)
def test_inputs_are_parsed_by_declared_type(text, expected):
    assert parse_input(load("thermal_sim"), text) == expected


@pytest.mark.parametrize(
    "text, message",
    [("temperature", "key=value"), ("pressure=1", "no input 'pressure'"), ("points=x", "integer")],
)
def test_bad_inputs_say_why(text, message):
    with pytest.raises(CommandError, match=message):
        parse_input(load("thermal_sim"), text)


def test_filters():
    assert parse_filters(["temperature>300", "temperature<=400", "material=steel", "n!=2"]) == {
        "temperature": {"gt": 300, "le": 400},
        "material": {"eq": "steel"},
        "n": {"ne": 2},
    }
    with pytest.raises(CommandError, match="name<op>value"):
        parse_filters(["temperature~3"])
    assert parse_filters(['material=">steel"']) == {"material": {"eq": ">steel"}}


@pytest.mark.parametrize(
    "expressions, message",
    [
        (["temperature>>300"], "the value '>300' starts with an operator"),
        (["temperature=>300"], "the value '>300' starts with an operator"),
        (["temperature<"], "no value after '<'"),
        (["temperature>1e999"], "1e999 is not a finite number"),
        (["temperature<NaN"], "NaN is not a finite number"),
        (["temperature>300", "temperature>400"], "two '>' filters"),
    ],
)
def test_mistyped_filters_are_usage_errors(expressions, message):
    with pytest.raises(CommandError, match=message) as raised:
        parse_filters(expressions)
    assert raised.value.exit_code == EXIT_USAGE


@pytest.mark.parametrize("command_line", [["list"], ["runs", "list", "--json"]])
def test_a_reader_that_goes_away_stops_the_command_quietly(tmp_path, command_line):
    """``sim2l list | head``: the pipe closes before sim2l writes; no traceback, status 141.

    Whatever the output's size: ``runs list`` of an empty folder prints ``[]``,
    which stays in the buffer until the command ends (output to a pipe is
    buffered unless PYTHONUNBUFFERED is set, which the child does without).
    """
    environment = {
        **{key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"},
        "SIM2L_HOME": str(tmp_path),
        "SIM2L_RUN_DB_BASE_PATH": str(tmp_path / "runs"),
    }
    with subprocess.Popen(
        [sys.executable, "-c", "import sys; from sim2l.cli import main; sys.exit(main())"]
        + command_line,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
    ) as command:
        command.stdout.close()  # long before the interpreter has imported sim2l
        stderr = command.stderr.read().decode()
        assert command.wait(timeout=60) == EXIT_BROKEN_PIPE
    assert stderr == ""


# ---------------------------------------------------------------- local runs


def test_run_and_inspect_runs_without_services(capsys, run_folder):
    code, out, _ = sim2l(capsys, "run", "thermal_sim", "temperature=350", "material=copper")
    assert code == 0
    assert "thermal_sim 1.0.0: completed" in out
    assert "max_stress" in out and "pascal" in out

    code, out, _ = sim2l(capsys, "run", "thermal_sim", "temperature=400", "--json")
    run = json.loads(out)
    assert code == 0 and run["status"] == "completed" and run["inputs"]["temperature"] == 400.0

    code, out, _ = sim2l(capsys, "runs", "list")
    assert code == 0 and out.count("thermal_sim-") == 2 and "completed" in out
    code, out, _ = sim2l(capsys, "runs", "list", "--json", "--limit", "1")
    assert [r["execution_id"] for r in json.loads(out)] == [run["execution_id"]]

    code, out, _ = sim2l(capsys, "runs", "show", run["execution_id"])
    assert code == 0
    assert "Outputs" in out and "profile.csv" in out and "wall_time" in out
    code, out, _ = sim2l(capsys, "runs", "show", run["execution_id"], "--json")
    assert json.loads(out)["summary"]["execution_id"] == run["execution_id"]


def test_run_errors_are_one_clear_line(capsys, run_folder):
    """Each with the exit status the table in ``sim2l --help`` gives its kind."""
    code, _, err = sim2l(capsys, "run", "thermal_sim", "temperature=-5")
    assert code == EXIT_USAGE and "input 'temperature': must be at least 0.0" in err
    code, _, err = sim2l(capsys, "run", "thermal_sim", "temperature=hot")
    assert code == EXIT_USAGE and "must be a number, not 'hot'" in err
    code, _, err = sim2l(capsys, "run", "thermal_sim", "pressure=1")
    assert code == EXIT_USAGE and "has no input 'pressure'" in err
    code, _, err = sim2l(capsys, "run", "no_such_sim")
    assert code == EXIT_NOT_FOUND and "no simulation 'no_such_sim'" in err
    code, _, err = sim2l(capsys, "runs", "show", "nope")
    assert code == EXIT_NOT_FOUND and "no run file" in err
    code, _, err = sim2l(capsys, "runs", "show", "../etc/passwd")
    assert code == EXIT_USAGE and "execution" in err


def test_list_shows_the_examples(capsys):
    code, out, _ = sim2l(capsys, "list", "--json")
    assert code == 0 and "thermal_sim" in [s["name"] for s in json.loads(out)]


def test_services_need_configuring(capsys, run_folder):
    code, _, err = sim2l(capsys, "catalog", "search")
    assert code == 1 and "SIM2L_CATALOG_SERVICE_URL" in err and "sim2l services up" in err


# ---------------------------------------------------------------- with services


def test_search_results_catalog_and_sync(capsys, services, tmp_path):
    session = get_session_manager().create_anonymous_session(privileges=["developer"])
    configure_services(services, tmp_path / "runs", session.session_id)
    for temperature in ("300", "350", "400"):
        assert sim2l(capsys, "run", "thermal_sim", f"temperature={temperature}")[0] == 0
    code, out, _ = sim2l(capsys, "run", "thermal_sim", "temperature=350")
    assert "from the cache" in out

    code, out, _ = sim2l(
        capsys, "results", "search", "thermal_sim", "--input", "temperature>320", "--json"
    )
    assert code == 0
    assert sorted(item["input_params"]["temperature"] for item in json.loads(out)) == [350, 400]
    code, out, _ = sim2l(capsys, "results", "search", "thermal_sim", "--output", "max_stress<1e8")
    assert code == 0 and out.count("thermal_sim-") == 1  # only 300 K is below 1e8 Pa
    code, out, _ = sim2l(capsys, "results", "stats", "thermal_sim", "max_stress", "--json")
    assert json.loads(out)["count"] == 3

    code, out, _ = sim2l(capsys, "catalog", "search", "thermal", "--tag", "physics")
    assert code == 0 and "thermal_sim" in out and "1.0.0" in out
    from sim2l_catalog_client import CatalogClient

    catalog = CatalogClient(services["catalog"], session_id=session.session_id)
    catalog.register_simulation(name="thermal_sim_b", version="1.0.0", tags=["physics"])
    code, out, err = sim2l(capsys, "catalog", "search", "thermal", "--limit", "1", "--json")
    assert code == 0 and len(json.loads(out)) == 1 and "--limit shows more" in err
    code, out, err = sim2l(capsys, "catalog", "search", "thermal", "--json")
    assert [s["name"] for s in json.loads(out)] == [
        "thermal_sim_b",
        "thermal_sim",
    ] and not err  # newest first
    code, out, _ = sim2l(capsys, "catalog", "show", "thermal_sim", "--json")
    assert json.loads(out)["stats"]["total_executions"] == 3

    code, out, _ = sim2l(capsys, "sync")
    assert code == 0 and "sent 0, failed 0, 0 still waiting" in out


def test_sync_reports_what_waits(capsys, services, tmp_path):
    session = get_session_manager().create_anonymous_session(privileges=["developer"])
    down = f"http://127.0.0.1:{free_port()}"
    configure_services({**services, "results": down}, tmp_path / "runs", session.session_id)
    code, _, err = sim2l(capsys, "run", "thermal_sim", "temperature=333")
    assert code == 0 and "sim2l sync" in err and "results service" in err
    code, out, _ = sim2l(capsys, "sync")
    assert code == 1 and "1 still waiting" in out and "register_result" in out
    configure_services(services, tmp_path / "runs", session.session_id)
    code, out, _ = sim2l(capsys, "sync", "--json")
    assert code == 0 and json.loads(out)["sent"] == 1


def test_services_up_status_down(capsys, tmp_path):
    ports = [str(free_port()) for _ in range(3)]
    web_port = str(free_port())
    try:
        code, out, _ = sim2l(
            capsys,
            "services",
            "up",
            "--cache-port",
            ports[0],
            "--catalog-port",
            ports[1],
            "--results-port",
            ports[2],
            "--web-port",
            web_port,
        )
        # The three services, and the dashboard where sim2l-web is installed.
        started = 4 if local_services.web_installed() else 3
        assert code == 0 and out.count("ready at") == started
        code, out, _ = sim2l(capsys, "services", "status", "--json")
        rows = json.loads(out)
        assert code == 0 and all(row["healthy"] for row in rows)
        service_rows = [row for row in rows if row["service"] != "web"]
        assert {row["url"].rsplit(":", 1)[1] for row in service_rows} == set(ports)
        # With nothing configured, `run` uses the services `up` started.
        code, out, _ = sim2l(capsys, "run", "thermal_sim", "temperature=360")
        code, out, _ = sim2l(capsys, "run", "thermal_sim", "temperature=360")
        assert code == 0 and "from the cache" in out
        code, out, _ = sim2l(capsys, "services", "up")
        assert out.count("already running") == started
        if started == 4:
            dashboard = [row for row in rows if row["service"] == "web"][0]
            page = requests.get(dashboard["url"] + "/login", timeout=10)
            assert page.status_code == 200 and 'name="username"' in page.text
    finally:
        code, out, _ = sim2l(capsys, "services", "down")
    assert out.count("stopped the") == started
    code, out, _ = sim2l(capsys, "services", "status", "--json")
    assert code == 3 and not any(row["running"] for row in json.loads(out))


@pytest.fixture
def slow_health_url():
    """A real HTTP server whose ``/health`` answers 200 after 1.5 s (a busy service)."""

    class SlowHealth(BaseHTTPRequestHandler):
        def do_GET(self):
            time.sleep(1.5)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowHealth)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_busy_service_counts_as_running(slow_health_url):
    # One missed second once made `up` start a second copy and orphan the first.
    assert not local_services.healthy(slow_health_url)
    deadline = time.monotonic() + 30
    assert local_services._wait_until_healthy(slow_health_url, lambda: True, deadline)


def test_waiting_stops_when_the_process_ends():
    down = f"http://127.0.0.1:{free_port()}"
    deadline = time.monotonic() + 60
    assert not local_services._wait_until_healthy(down, lambda: False, deadline)
    assert time.monotonic() < deadline - 50


# ---------------------------------------------------------------- launchers


def test_launcher_runs_the_service_command_line():
    answer = subprocess.run(
        [sys.executable, "-m", "sim2l.services.catalog_service", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert answer.returncode == 0
    assert "--backend" in answer.stdout and "--db-url" in answer.stdout


def test_launcher_says_what_to_install(monkeypatch, capsys):
    from sim2l import services
    from sim2l_sessions.services import ServiceInfo

    missing = ServiceInfo("cache", 8001, "sim2l-cache-service", "sim2l_not_installed_service")
    monkeypatch.setitem(services.SERVICES, "cache", missing)
    assert services.launch("cache", ["--backend", "sqlite"]) == 2
    assert "pip install sim2l-cache-service" in capsys.readouterr().err
