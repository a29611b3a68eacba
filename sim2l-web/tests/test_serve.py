"""The start commands: ``sim2l-web serve`` and ``python -m sim2l.services.web`` under gunicorn."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

START_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen) -> requests.Response:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            return requests.get(url, timeout=2, allow_redirects=False)
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _serve(command: list[str]):
    port = free_port()
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, f"http://127.0.0.1:{port}"


def _stop(process: subprocess.Popen) -> str:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
    return output.decode(errors="replace")


def test_launcher_serves_the_dashboard_under_gunicorn():
    unused = f"http://127.0.0.1:{free_port()}"
    process, url = _serve(
        [
            sys.executable,
            "-m",
            "sim2l.services.web",
            "--cache-url",
            unused,
            "--catalog-url",
            unused,
            "--results-url",
            unused,
        ]  # fmt: skip
    )
    try:
        assert _wait_for(url + "/health", process).json() == {"status": "ok"}
        login = requests.get(url + "/login", timeout=5)
        assert login.status_code == 200 and 'name="password"' in login.text
        # The services are not running: signing in says so instead of failing.
        token = login.text.split('name="csrf_token" value="')[1].split('"')[0]
        answer = requests.post(
            url + "/login",
            data={"username": "ada", "password": "x", "csrf_token": token},
            cookies=login.cookies,
            timeout=15,
        )
        assert answer.status_code == 503 and "sign-in service is unavailable" in answer.text
    finally:
        output = _stop(process)
    assert "gthread" in output  # threaded workers: pages wait on the services


def test_console_script_help_names_the_service_flags():
    answer = subprocess.run(
        [sys.executable, "-m", "sim2l_web", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for flag in ("--cache-url", "--catalog-url", "--results-url", "--port"):
        assert flag in answer.stdout


@pytest.mark.parametrize(
    "value, logged",
    [(None, False), ("off", False), ("", False), ("no", False), ("on", True), ("1", True)],
)
def test_access_log_is_the_services_switch_never_a_file_name(value, logged):
    """SIM2L_ACCESS_LOG means for the dashboard what it means for the services: a switch
    (``off`` once made gunicorn write its access log to a file named "off")."""
    from sim2l_web.cli import gunicorn_argv
    from sim2l_web.cli import parser

    args = parser().parse_args(["serve", "--port", "8123", "--workers", "1"])
    environ = {} if value is None else {"SIM2L_ACCESS_LOG": value}
    argv = gunicorn_argv(args, environ)
    assert argv[0] == "gunicorn" and argv[-1] == "sim2l_web.app:create_app()"
    assert "127.0.0.1:8123" in argv
    if logged:
        assert argv[argv.index("--access-logfile") + 1] == "-"
    else:
        assert "--access-logfile" not in argv
