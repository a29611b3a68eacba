"""The client base is the one layer that retries: which calls, how often, with what body."""

import pytest
from flask import Flask
from flask import request
from sim2l_sessions.client_errors import InvalidRequestError
from sim2l_sessions.client_errors import ServiceUnavailableError
from sim2l_sessions.service_client import ServiceClient


@pytest.fixture
def flaky(live_server):
    """A server whose first two answers to each path are 503, then 200 with what it got."""
    app = Flask("flaky")
    calls: dict[str, list[bytes]] = {}

    @app.route("/<name>", methods=["GET", "POST"])
    def answer(name):
        received = calls.setdefault(name, [])
        received.append(request.get_data())
        if len(received) <= 2:
            return {"error": {"code": "unavailable", "message": "busy", "details": {}}}, 503
        return {"attempts": len(received), "bytes": len(received[-1])}

    return live_server(app), calls


def test_a_get_is_retried_through_503s(flaky):
    url, calls = flaky
    with ServiceClient(url, retries=2) as client:
        assert client._request("GET", "/read")["attempts"] == 3
    assert len(calls["read"]) == 3


def test_a_plain_post_is_sent_once(flaky):
    url, calls = flaky
    with ServiceClient(url, retries=2) as client, pytest.raises(ServiceUnavailableError):
        client._request("POST", "/write", json={"x": 1})
    assert len(calls["write"]) == 1


def test_an_idempotent_upload_is_resent_whole_from_its_file(flaky, tmp_path):
    url, calls = flaky
    upload = tmp_path / "run.db"
    upload.write_bytes(b"r" * 100_000)
    with ServiceClient(url, retries=2) as client:
        answer = client._request("POST", "/upload", data=upload, idempotent=True)
    assert answer == {"attempts": 3, "bytes": 100_000}
    assert [len(body) for body in calls["upload"]] == [100_000] * 3


def test_retries_stop_at_the_limit(flaky):
    url, calls = flaky
    with ServiceClient(url, retries=1) as client, pytest.raises(ServiceUnavailableError):
        client._request("GET", "/limited")
    assert len(calls["limited"]) == 2


@pytest.mark.parametrize("value", [float("inf"), float("nan")])
def test_a_body_that_is_not_json_is_refused_at_once_naming_why(flaky, value):
    """Nothing is sent or retried: the caller's value is wrong, not the network."""
    url, calls = flaky
    with ServiceClient(url, retries=2) as client, pytest.raises(InvalidRequestError) as raised:
        client._request("POST", "/search", json={"temperature": {"gt": value}}, idempotent=True)
    assert "cannot be sent as JSON" in str(raised.value)
    assert "search" not in calls
