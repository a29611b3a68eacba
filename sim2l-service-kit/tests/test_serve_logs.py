"""``serve`` logs one line per request: plain text by default, JSON lines when asked."""

import json
import signal
import subprocess
import sys
import time

import requests
from sim2l_service_kit.testing.benchmarking import free_port
from sim2l_sessions.manager import SessionManager

TOY_COMMAND = (
    "from sim2l_service_kit.cli import ServiceCommandLine; import sys; "
    "sys.exit(ServiceCommandLine('toy', 'sim2l_service_kit.testing.toy_service:create_app', "
    "'sim2l_service_kit.testing.toy_service.migrations', 0).main(sys.argv[1:]))"
)


def serve_toy(tmp_path, *flags) -> tuple[str, str]:
    """Serve the toy service, make three requests, stop it; its URL and what it printed."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database = f"sqlite:///{tmp_path / 'toy.db'}"
    command = [sys.executable, "-c", TOY_COMMAND, "serve", "--db-url", database]
    command += ["--port", str(port), "--workers", "1", *flags]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    token = SessionManager().create_session("alice", "developer").session_id
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stderr.read().decode()
            try:
                requests.get(url + "/health", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the toy service did not start"
                time.sleep(0.1)
        requests.post(url + "/notes", json={"key": "a", "text": "b"}, timeout=5)
        requests.post(
            url + "/notes",
            json={"key": "a", "text": "b"},
            headers={"X-Session-ID": token},
            timeout=5,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    return token, stderr.decode()


def test_text_lines_by_default(tmp_path):
    token, printed = serve_toy(tmp_path)
    requests_logged = [line for line in printed.splitlines() if "sim2l.access" in line]
    assert [line.split("sim2l.access: ")[1].split(" ")[:3] for line in requests_logged] == [
        ["GET", "/health", "200"],
        ["POST", "/notes", "401"],
        ["POST", "/notes", "201"],
    ]
    assert requests_logged[2].endswith(" alice")
    assert token not in printed


def test_json_lines_when_asked(tmp_path):
    token, printed = serve_toy(tmp_path, "--log-format", "json")
    lines = [json.loads(line) for line in printed.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "sim2l.access"]
    assert [(line["method"], line["status"], line["who"]) for line in access] == [
        ("GET", 200, "-"),
        ("POST", 401, "-"),
        ("POST", 201, "alice"),
    ]
    assert all(line["service"] == "toy" for line in access)
    assert token not in printed


def test_request_lines_can_be_turned_off(tmp_path):
    _, printed = serve_toy(tmp_path, "--no-access-log")
    assert "sim2l.access" not in printed
