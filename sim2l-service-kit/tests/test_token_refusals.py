"""A refused token says why, where that can be told apart safely."""

import time

import pytest
from sim2l_sessions.manager import SessionManager
from sim2l_sessions.privileges import ROLES
from sim2l_sessions.tokens import new_claims


def refusal(toy_app, token: str) -> dict:
    response = toy_app.test_client().get("/sessions/current", headers={"X-Session-ID": token})
    assert response.status_code == 401
    return response.get_json()["error"]


def test_a_token_signed_with_another_key_says_so(toy_app):
    # Made under another SIM2L_HOME: same shape, another secret.
    elsewhere = SessionManager(secret_keys=["another-home-" + "x" * 32])
    token = elsewhere.create_session("alice", "developer").session_id
    error = refusal(toy_app, token)
    assert error["details"] == {"reason": "unknown_key"}
    assert "signed by a key this service does not hold" in error["message"]
    assert "SIM2L_SESSIONS_URL" in error["message"]


@pytest.mark.parametrize("token", ["garbage", "a.b", "x" * 5000])
def test_a_malformed_token_says_so(toy_app, token):
    error = refusal(toy_app, token)
    assert error["details"] == {"reason": "malformed"}


def test_an_edited_token_is_not_called_a_foreign_key_or_valid(toy_app):
    genuine = SessionManager().create_session("alice", "user").session_id
    payload, signature = genuine.rsplit(".", 1)
    edited = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + signature
    assert refusal(toy_app, edited)["details"]["reason"] in ("unknown_key", "malformed")


def test_expired_and_revoked_keep_their_own_codes(toy_app):
    manager = SessionManager(revocation_refresh_seconds=0)
    claims = new_claims("old", "admin", ROLES["admin"], 3600)
    claims["exp"] = time.time() - 60
    assert refusal(toy_app, manager.codec.encode(claims))["code"] == "session_expired"
    revoked = manager.create_session("bob", "user").session_id
    manager.invalidate_session(revoked)
    assert refusal(toy_app, revoked)["code"] == "session_revoked"
