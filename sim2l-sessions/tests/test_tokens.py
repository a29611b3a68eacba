"""Tokens: genuine ones verify; edited, foreign, expired and malformed ones do not."""

import base64

import orjson
import pytest
from sim2l_sessions.tokens import TokenCodec
from sim2l_sessions.tokens import new_claims
from sim2l_sessions.tokens import session_from_claims

KEY_A = "a" * 32
KEY_B = "b" * 32


def mint(codec, ttl=3600, privileges=("read_cache",)):
    claims = new_claims("alice", "user", privileges, ttl)
    return codec.encode(claims), claims


def test_round_trip_keeps_every_claim():
    codec = TokenCodec([KEY_A])
    token, claims = mint(codec)
    assert codec.decode(token) == claims
    session = session_from_claims(token, codec.decode(token))
    assert session.username == "alice"
    assert session.privileges == frozenset({"read_cache"})
    assert session.is_valid()


def test_token_signed_with_another_key_is_refused():
    token, _ = mint(TokenCodec([KEY_B]))
    assert TokenCodec([KEY_A]).decode(token) is None


def test_edited_payload_is_refused():
    codec = TokenCodec([KEY_A])
    token, claims = mint(codec)
    payload, signature = token.rsplit(".", 1)
    claims["prv"] = ["manage_users", "admin_service"]
    claims["role"] = "admin"
    forged_payload = base64.urlsafe_b64encode(orjson.dumps(claims)).rstrip(b"=").decode()
    assert codec.decode(f"{forged_payload}.{signature}") is None


def test_rotation_accepts_old_tokens_and_signs_with_the_first_key():
    old_codec = TokenCodec([KEY_A])
    old_token, _ = mint(old_codec)
    rotated = TokenCodec([KEY_B, KEY_A])
    assert rotated.decode(old_token) is not None
    new_token, _ = mint(rotated)
    assert TokenCodec([KEY_B]).decode(new_token) is not None
    assert TokenCodec([KEY_A]).decode(new_token) is None


def test_expired_token_verifies_but_is_not_valid():
    codec = TokenCodec([KEY_A])
    claims = new_claims("alice", "user", ("read_cache",), 3600)
    claims["exp"] = claims["iat"] - 1  # expired a second before it was issued: no clock needed
    token = codec.encode(claims)
    session = session_from_claims(token, codec.decode(token))
    assert session.is_expired()
    assert not session.is_valid()
    assert not session.has_privilege("read_cache")


@pytest.mark.parametrize(
    "token",
    ["", "x", "a.b", "..", "é.é", "a" * 5000, None, 123, "eyJ9.sig", "bm90IGpzb24.c2ln"],
)
def test_malformed_tokens_are_refused(token):
    assert TokenCodec([KEY_A]).decode(token) is None


def test_signed_payload_that_is_not_claims_is_refused():
    codec = TokenCodec([KEY_A])
    token = codec._signer.sign(base64.urlsafe_b64encode(b"[1, 2]").rstrip(b"=")).decode()
    assert codec.decode(token) is None
