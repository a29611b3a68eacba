"""``SessionManager``: users, logins and sessions, minted and verified locally.

The manager holds the shared secret, so it signs tokens itself and verifies
them with no database round trip. Revocations are read from the shared store
incrementally, at most every ``revocation_refresh_seconds`` (1 s by default),
so a logout at one process is honoured by every process sharing the store
within that time, without a query per request.

Withdrawing a user's rights (deleting the user, changing their password or
role, ``revoke_user_sessions``, ``logout_everywhere``) writes a cut-off time
for the user to the store; it is read with the revocations, and every token
of that user issued before it (tokens carry their issue time, ``iat``) is
refused from then on, at every process sharing the store.

A login reserves its attempt in the store (an atomic counter) before the
password is checked, so concurrent wrong passwords never buy more bcrypt
checks than the limit.
"""

import os
import re
import threading
import time

import peewee

from sim2l_sessions import passwords
from sim2l_sessions.errors import AuthenticationError
from sim2l_sessions.errors import InvalidUserError
from sim2l_sessions.errors import RateLimitedError
from sim2l_sessions.errors import UserExistsError
from sim2l_sessions.errors import UserNotFoundError
from sim2l_sessions.keys import load_secret_keys
from sim2l_sessions.privileges import ANONYMOUS_ROLE
from sim2l_sessions.privileges import ROLES
from sim2l_sessions.privileges import expand_privileges
from sim2l_sessions.privileges import role_privileges
from sim2l_sessions.store import SessionStore
from sim2l_sessions.tokens import Session
from sim2l_sessions.tokens import TokenCodec
from sim2l_sessions.tokens import new_claims
from sim2l_sessions.tokens import session_from_claims

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,149}")
DEFAULT_TTL_HOURS = 8.0
DEFAULT_ANONYMOUS_ROLE = "developer"
MAX_TTL_HOURS = 24.0 * 30
# Rows of the store's revocation logs read again at each refresh: a row whose
# id was taken before a newer one's but committed after it is still seen.
REREAD_ROWS = 100


def _float_env(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    try:
        return float(value) if value else default
    except ValueError:
        raise ValueError(f"{name} must be a number, not {value!r}") from None


def _default_anonymous_privileges() -> list[str]:
    value = os.environ.get("SIM2L_ANONYMOUS_PRIVILEGES", "")
    names = [name.strip() for name in value.split(",") if name.strip()]
    return names or [DEFAULT_ANONYMOUS_ROLE]


def _ttl_seconds(ttl_hours) -> float:
    if ttl_hours is None:
        return DEFAULT_TTL_HOURS * 3600
    if isinstance(ttl_hours, bool) or not isinstance(ttl_hours, (int, float)):
        raise ValueError(f"ttl_hours must be a number, not {ttl_hours!r}")
    if not 0 < ttl_hours <= MAX_TTL_HOURS:
        raise ValueError(f"ttl_hours must be greater than 0 and at most {MAX_TTL_HOURS:g}")
    return float(ttl_hours) * 3600


class SessionManager:
    """Create users, log them in, mint and check session tokens.

    ``store`` is a ``SessionStore`` (default: ``SIM2L_SESSIONS_DATABASE_URL``
    or the local SQLite file); ``secret_keys`` the accepted keys, signing key
    first (default: ``SIM2L_SECRET_KEY`` or the local key file).
    """

    def __init__(
        self,
        store: SessionStore | None = None,
        secret_keys: list[str] | str | None = None,
        revocation_refresh_seconds: float | None = None,
        login_failures_per_user: int = 5,
        login_failures_per_address: int = 20,
        login_window_seconds: int = 60,
    ):
        self.store = store or SessionStore()
        self.codec = TokenCodec(load_secret_keys(secret_keys))
        if revocation_refresh_seconds is None:
            revocation_refresh_seconds = _float_env("SIM2L_REVOCATION_REFRESH_SECONDS", 1.0)
        self.revocation_refresh_seconds = revocation_refresh_seconds
        self.login_failures_per_user = login_failures_per_user
        self.login_failures_per_address = login_failures_per_address
        self.login_window_seconds = login_window_seconds
        self._revoked: set[str] = set()
        self._revoked_last_id = 0
        self._cutoffs: dict[str, float] = {}
        self._cutoffs_last_id = 0
        self._revoked_checked_at = float("-inf")
        self._revocation_lock = threading.Lock()

    # Users

    def create_user(self, username: str, password: str, role: str = "user", email=None) -> dict:
        """Create a user with a bcrypt-hashed password; returns the user without the hash."""
        if not isinstance(username, str) or not USERNAME_PATTERN.fullmatch(username):
            raise InvalidUserError(
                f"invalid username {username!r}: use 1-150 letters, digits and ._@+- "
                "starting with a letter or digit"
            )
        role_privileges(role)
        if email is not None and (
            not isinstance(email, str) or "@" not in email or len(email) > 320
        ):
            raise InvalidUserError(f"invalid email address {email!r}")
        password_hash = passwords.hash_password(password)
        try:
            return self.store.create_user(username, email, role, password_hash)
        except peewee.IntegrityError:
            raise UserExistsError(f"user {username!r} already exists") from None

    def list_users(self, limit: int = 100, after: str | None = None) -> list[dict]:
        """Up to ``limit`` users by name; ``after`` (the last name seen) asks for the next ones."""
        return self.store.list_users(limit=limit, after=after)

    def iter_users(self, page_size: int = 500):
        """Every user, by name, read a page at a time."""
        after = None
        while users := self.list_users(limit=page_size, after=after):
            yield from users
            after = users[-1]["username"]

    def delete_user(self, username: str) -> None:
        """Delete a user and end every token they hold."""
        cutoff = self._new_cutoff()
        if not self.store.delete_user(username, cutoff):
            raise UserNotFoundError(f"no user named {username!r}")
        self._remember_cutoff(username, cutoff)

    def change_password(self, username: str, new_password: str, old_password: str | None = None):
        """Set a new password and end every token the user holds; checks ``old_password`` first."""
        if old_password is not None:
            self.authenticate(username, old_password)
        password_hash = passwords.hash_password(new_password)
        cutoff = self._new_cutoff()
        if not self.store.set_password_hash(username, password_hash, cutoff):
            raise UserNotFoundError(f"no user named {username!r}")
        self._remember_cutoff(username, cutoff)

    def set_role(self, username: str, role: str) -> None:
        """Give a user another role and end every token they hold (it names the old role)."""
        if role not in ROLES:
            raise InvalidUserError(f"unknown role {role!r}; use one of {', '.join(sorted(ROLES))}")
        cutoff = self._new_cutoff()
        if not self.store.set_role(username, role, cutoff):
            raise UserNotFoundError(f"no user named {username!r}")
        self._remember_cutoff(username, cutoff)

    def revoke_user_sessions(self, username: str) -> None:
        """End every token issued to ``username`` so far, at every process sharing the store."""
        if not isinstance(username, str) or not username:
            raise InvalidUserError(f"invalid username {username!r}")
        cutoff = self._new_cutoff()
        self.store.cut_off_user(username, *cutoff)
        self._remember_cutoff(username, cutoff)

    def logout_everywhere(self, session_id: str) -> bool:
        """End every token of this token's user (just this one for an anonymous session).

        Returns whether the token was genuine.
        """
        claims = self.codec.decode(session_id)
        if claims is None:
            return False
        if claims.get("sub") is None:
            return self.invalidate_session(session_id)
        self.revoke_user_sessions(claims["sub"])
        return True

    @staticmethod
    def _new_cutoff() -> tuple[float, float]:
        # Tokens carry their unrounded issue time (tokens.new_claims): every
        # token minted before this call is earlier, every one after is later.
        not_before = time.time()
        return not_before, not_before + MAX_TTL_HOURS * 3600

    def _remember_cutoff(self, username: str, cutoff: tuple[float, float]) -> None:
        with self._revocation_lock:
            self._cutoffs[username] = max(cutoff[0], self._cutoffs.get(username, cutoff[0]))

    # Logins and sessions

    def authenticate(
        self,
        username: str,
        password: str,
        client_address: str | None = None,
        ttl_hours: float | None = None,
    ) -> Session:
        """Check a password and return a new session for the user.

        Raises ``AuthenticationError`` for an unknown user or a wrong password
        (both cost one bcrypt check) and ``RateLimitedError`` after too many
        failures for this user or address in the current window.
        """
        ttl_seconds = _ttl_seconds(ttl_hours)
        keys = {"user": f"user:{username}"[:400]}
        if client_address:
            keys["address"] = f"address:{client_address}"[:400]
        window = int(time.time() // self.login_window_seconds)
        self._reserve_login_attempt(keys, window)
        user = self.store.get_user(username) if isinstance(username, str) else None
        if user is None:
            passwords.spend_check_time(password if isinstance(password, str) else "")
            raise AuthenticationError("unknown user or wrong password")
        if not passwords.check_password(password, user.password_hash):
            raise AuthenticationError("unknown user or wrong password")
        self.store.clear_failures(keys["user"])
        if "address" in keys:
            self.store.release_attempt(keys["address"], window)
        return self._mint(user.username, user.role, role_privileges(user.role), ttl_seconds)

    def _reserve_login_attempt(self, keys: dict[str, str], window: int) -> None:
        """Count this attempt before any password check; refuse it when over a limit.

        The reservation is one atomic counter update per key in the store, so
        concurrent attempts see distinct counts: at most the limit of them
        reach bcrypt per window, however many run at once. Attempts of this
        window and the one before count together, so no burst gets twice the
        limit through by straddling a window boundary.
        """
        counts = self.store.reserve_attempt(list(keys.values()), window)
        earlier = self.store.failures(list(keys.values()), [window - 1])
        retry_after = 2 * self.login_window_seconds - int(time.time() % self.login_window_seconds)
        refusal = None
        if counts[keys["user"]] + earlier.get(keys["user"], 0) > self.login_failures_per_user:
            refusal = "too many failed logins for this user; try again later"
        elif (
            "address" in keys
            and counts[keys["address"]] + earlier.get(keys["address"], 0)
            > self.login_failures_per_address
        ):
            refusal = "too many failed logins from this address; try again later"
        if refusal is not None:
            # A refused attempt never reaches bcrypt, so it is no failure: give
            # its reservation back. The attempts still checking their password
            # keep theirs, so the count never drops below what is in flight.
            for key in keys.values():
                self.store.release_attempt(key, window)
            raise RateLimitedError(refusal, retry_after)

    def create_anonymous_session(self, privileges=None, ttl_hours: float | None = None) -> Session:
        """A session with no user; ``privileges`` may name privileges and roles.

        Without ``privileges`` it gets ``SIM2L_ANONYMOUS_PRIVILEGES`` (default:
        the ``developer`` role, what a scientist running the documented
        examples on their own machine needs: read, write and invalidate the
        cache, register simulations). This manager holds the secret, so its
        caller could mint any token anyway; the boundary that matters is a
        service's ``POST /sessions``, which applies the service's anonymous
        policy (``user`` by default) before calling this.
        """
        if privileges is None:
            privileges = _default_anonymous_privileges()
        granted = expand_privileges(privileges)
        return self._mint(None, ANONYMOUS_ROLE, granted, _ttl_seconds(ttl_hours))

    def create_session(self, username: str, role: str, ttl_hours: float | None = None) -> Session:
        """Mint a session for ``username`` with ``role``'s privileges, without a password.

        For administrators and command lines that hold the secret.
        """
        return self._mint(username, role, role_privileges(role), _ttl_seconds(ttl_hours))

    def _mint(self, username, role, privileges, ttl_seconds) -> Session:
        claims = new_claims(username, role, privileges, ttl_seconds)
        token = self.codec.encode(claims)
        return session_from_claims(token, claims)

    def get_session(self, session_id: str) -> Session | None:
        """The session a token describes, or None when it is not a genuine token.

        An expired or revoked session is returned with ``is_valid()`` False.
        """
        claims = self.codec.decode(session_id)
        if claims is None:
            return None
        revoked = self.is_revoked(claims["jti"])
        if not revoked:
            # One dictionary look-up: the cut-offs were read with the revocations.
            cutoff = self._cutoffs.get(claims.get("sub"))
            revoked = cutoff is not None and claims["iat"] < cutoff
        return session_from_claims(session_id, claims, revoked=revoked)

    def check_privilege(self, session_id: str, privilege: str) -> bool:
        """Whether the token is genuine, valid, and holds ``privilege``."""
        session = self.get_session(session_id)
        return session is not None and session.has_privilege(privilege)

    def invalidate_session(self, session_id: str) -> bool:
        """Revoke a session everywhere the store is shared; whether it was genuine."""
        claims = self.codec.decode(session_id)
        if claims is None:
            return False
        self.store.revoke(claims["jti"], claims["exp"])
        with self._revocation_lock:
            self._revoked.add(claims["jti"])
        return True

    logout = invalidate_session

    # Revocation cache

    def is_revoked(self, token_id: str) -> bool:
        """Whether ``token_id`` was revoked, reading the store at most every refresh interval.

        Each read also brings the user cut-offs (``get_session`` checks them).
        """
        now = time.monotonic()
        if now - self._revoked_checked_at >= self.revocation_refresh_seconds:
            with self._revocation_lock:
                if now - self._revoked_checked_at >= self.revocation_refresh_seconds:
                    self._read_revocations()
                    self._revoked_checked_at = now
        return token_id in self._revoked

    def _read_revocations(self) -> None:
        token_ids, newest = self.store.revoked_since(max(self._revoked_last_id - REREAD_ROWS, 0))
        self._revoked.update(token_ids)
        self._revoked_last_id = max(newest, self._revoked_last_id)
        cutoffs, newest = self.store.user_cutoffs_since(max(self._cutoffs_last_id - REREAD_ROWS, 0))
        for username, not_before in cutoffs.items():
            self._cutoffs[username] = max(not_before, self._cutoffs.get(username, not_before))
        self._cutoffs_last_id = max(newest, self._cutoffs_last_id)
