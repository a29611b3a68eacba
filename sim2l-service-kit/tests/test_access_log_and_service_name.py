"""Request log lines, and clients that notice they reached the wrong service."""

import json
import logging

import pytest
from flask import Flask
from sim2l_service_kit.access_log import ACCESS_LOGGER
from sim2l_service_kit.access_log import JSONLineFormatter
from sim2l_sessions.client_errors import WrongServiceError
from sim2l_sessions.manager import SessionManager
from sim2l_sessions.service_client import SERVICE_HEADER
from sim2l_sessions.service_client import ServiceClient


class NotesClient(ServiceClient):
    """A client of the toy service, as a real client names its service."""

    service = "toy"

    def note(self, key):
        return self._request("GET", f"/notes/{key}", not_found_none=True)


class CacheLikeClient(NotesClient):
    service = "cache"


@pytest.fixture
def access_records(caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER.name)
    return lambda: [record for record in caplog.records if record.name == ACCESS_LOGGER.name]


def test_one_line_per_request_with_route_status_and_who_but_no_secret(toy_app, access_records):
    token = SessionManager().create_session("alice", "developer").session_id
    client = toy_app.test_client()
    client.post("/notes", json={"key": "k1", "text": "t"}, headers={"X-Session-ID": token})
    client.get("/notes/k1?secret=querytext", headers={"X-Session-ID": token})
    client.get("/notes/k1")  # no session: a 401 is logged too
    client.post("/sessions", json={"username": "alice", "password": "hunter2-password"})

    lines = [record.getMessage() for record in access_records()]
    assert len(lines) == 4
    assert lines[0].startswith("POST /notes 201 ") and lines[0].endswith(" alice")
    assert lines[1].startswith("GET /notes/<path:key> 200 ")
    assert lines[2].startswith("GET /notes/<path:key> 401 ") and lines[2].endswith(" -")
    assert lines[3].startswith("POST /sessions ")
    logged = "\n".join(lines)
    for secret in (token, "hunter2-password", "querytext", "k1"):
        assert secret not in logged


def test_json_lines_carry_the_fields(toy_app, access_records):
    toy_app.test_client().get("/health")
    (record,) = access_records()
    line = json.loads(JSONLineFormatter().format(record))
    assert line["service"] == "toy"
    assert (line["method"], line["route"], line["status"], line["who"]) == (
        "GET",
        "/health",
        200,
        "-",
    )
    assert line["time"].endswith("Z") and isinstance(line["ms"], float)


def test_every_answer_names_its_service(toy_app):
    client = toy_app.test_client()
    assert client.get("/health").headers[SERVICE_HEADER] == "toy"
    assert client.get("/no/such/route").headers[SERVICE_HEADER] == "toy"


def test_a_client_of_the_service_it_reached_works(toy_url):
    token = SessionManager().create_session("alice", "developer").session_id
    assert NotesClient(toy_url, session_id=token).note("missing") is None


def test_a_client_pointed_at_another_service_says_which_one_it_reached(toy_url):
    token = SessionManager().create_session("alice", "developer").session_id
    with pytest.raises(WrongServiceError) as raised:
        CacheLikeClient(toy_url, session_id=token).note("missing")
    assert str(raised.value).startswith(f"404 {toy_url} is the toy service, not the cache service")


def test_a_client_pointed_at_something_else_says_it_is_no_sim2l_service(live_server):
    url = live_server(Flask("not_sim2l"))
    with pytest.raises(WrongServiceError, match="does not answer as a sim2l cache service"):
        CacheLikeClient(url).note("missing")


@pytest.mark.parametrize(
    "value, default, enabled",
    [
        (None, True, True),
        (None, False, False),
        ("off", True, False),
        (" OFF ", True, False),
        ("", True, False),
        ("false", True, False),
        ("0", True, False),
        ("on", False, True),
        ("json", False, True),
    ],
)
def test_one_access_log_switch_for_every_server(value, default, enabled):
    """``SIM2L_ACCESS_LOG``: off-like values turn request lines off, any other on; unset
    leaves each server's default (the services log requests, the dashboard does not)."""
    from sim2l_sessions.services import access_log_enabled

    environ = {} if value is None else {"SIM2L_ACCESS_LOG": value}
    assert access_log_enabled(default, environ) is enabled
