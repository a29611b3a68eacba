"""Signed, expiring session tokens and the ``Session`` they describe.

A token is ``base64url(JSON claims) "." base64url(HMAC-SHA256)``, signed with
itsdangerous. The claims carry the token id, the user (or none for anonymous),
the role, the privileges and the expiry, so any process holding one of the
accepted keys verifies a token with no database round trip and no bcrypt.
Editing a claim breaks the signature; a token signed with a key that is not
accepted is refused.
"""

import base64
import binascii
import hashlib
import secrets
import time

import orjson
from itsdangerous import BadSignature
from itsdangerous import Signer

from sim2l_sessions.session import Session

MAX_TOKEN_LENGTH = 4096
_SALT = "sim2l.session.v1"


class TokenCodec:
    """Signs claims into tokens and verifies tokens back into claims.

    ``keys`` lists the accepted secret keys, the signing key first. Verified
    tokens are remembered in a bounded map, so a token seen again costs a
    dictionary look-up; expiry and revocation are still checked by the caller
    on every use.
    """

    def __init__(self, keys: list[str], cache_size: int = 4096):
        if not keys:
            raise ValueError("at least one secret key is required")
        # itsdangerous signs with the last key of the list and accepts all.
        self._signer = Signer(
            list(reversed(keys)),
            salt=_SALT,
            key_derivation="hmac",
            digest_method=hashlib.sha256,
        )
        self._verified: dict[str, dict] = {}
        self._cache_size = cache_size

    def encode(self, claims: dict) -> str:
        """Sign ``claims`` into a token string."""
        payload = base64.urlsafe_b64encode(orjson.dumps(claims)).rstrip(b"=")
        return self._signer.sign(payload).decode("ascii")

    def decode(self, token: str) -> dict | None:
        """The claims of a genuine token, or None for anything forged or malformed."""
        claims = self._verified.get(token)
        if claims is not None:
            return claims
        claims = self.verify(token)
        if claims is not None:
            if len(self._verified) >= self._cache_size:
                self._verified.clear()
            self._verified[token] = claims
        return claims

    def verify(self, token: str) -> dict | None:
        """Check the signature and parse the claims, with no cache."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        try:
            payload = self._signer.unsign(token.encode("ascii"))
            claims = orjson.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
        except (
            BadSignature,
            UnicodeEncodeError,
            binascii.Error,
            orjson.JSONDecodeError,
            ValueError,
        ):
            return None
        if (
            not isinstance(claims, dict)
            or not {"jti", "role", "prv", "exp", "iat"} <= claims.keys()
        ):
            return None
        return claims

    def refusal_reason(self, token: str) -> str:
        """Why ``verify`` refuses ``token``: ``malformed`` or ``unknown_key``.

        Telling these apart is safe: it says nothing about any key, only that
        a well-formed token was signed by a key this process does not hold (a
        token made on another machine, or under another ``SIM2L_HOME``).
        """
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            return "malformed"
        try:
            self._signer.unsign(token.encode("ascii"))
        except BadSignature as error:
            if error.payload is not None and _decodes_to_claims(error.payload):
                return "unknown_key"
            return "malformed"
        except UnicodeEncodeError:
            return "malformed"
        return "malformed"  # signed by us, yet its claims are not a session's


def _decodes_to_claims(payload: bytes) -> bool:
    try:
        claims = orjson.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
    except (binascii.Error, orjson.JSONDecodeError, ValueError):
        return False
    return isinstance(claims, dict) and {"jti", "role", "prv", "exp"} <= claims.keys()


def new_claims(username, role, privileges, ttl_seconds: float) -> dict:
    """Claims for a new token: a fresh random id, now, and the expiry."""
    now = time.time()
    return {
        "jti": secrets.token_hex(16),
        "sub": username,
        "role": role,
        "prv": sorted(privileges),
        # Unrounded: a user cut-off taken after this is always later than it.
        "iat": now,
        "exp": now + ttl_seconds,
    }


def session_from_claims(token: str, claims: dict, revoked: bool = False) -> Session:
    """Build the ``Session`` a verified token describes."""
    return Session(
        session_id=token,
        token_id=claims["jti"],
        username=claims.get("sub"),
        role=claims["role"],
        privileges=frozenset(claims["prv"]),
        issued_at=claims["iat"],
        expires_at=claims["exp"],
        revoked=revoked,
    )
