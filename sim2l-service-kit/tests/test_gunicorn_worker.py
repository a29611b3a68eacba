"""gunicorn's own rejections (414, 431, 400) in the JSON error shape, from a real gunicorn."""

import json
import socket

import pytest
from sim2l_service_kit.gunicorn_worker import WORKER_CLASS
from sim2l_service_kit.testing.benchmarking import GunicornServer

TOY = "sim2l_service_kit.testing.toy_service:create_app()"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The toy service under gunicorn with the kit's worker, in a scratch SIM2L_HOME."""
    env = {
        "SIM2L_HOME": str(tmp_path_factory.mktemp("gunicorn_home")),
        "SIM2L_SECRET_KEY": "test-secret-" + "k" * 32,
        "SIM2L_TOY_AUTO_MIGRATE": "true",
    }
    server = GunicornServer(TOY, env=env, workers=1, worker_class=WORKER_CLASS).start()
    yield server
    server.stop()


def exchange(server, raw: bytes) -> tuple[int, dict, bytes]:
    """Send raw bytes, read the whole answer: (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(raw)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431, None),
        (b"NOT A REQUEST LINE\r\n\r\n", 400, "bad_request"),
        (b"GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400, "bad_request"),
    ],
)
def test_gunicorn_rejections_carry_the_json_error_shape(server, raw, status, code):
    answered, headers, body = exchange(server, raw)
    assert answered == status, body
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) == len(body)
    error = json.loads(body)["error"]
    assert error["message"] and error["details"] == {}
    assert error["code"] == (code or error["code"]) and error["code"] != "http_error"
