"""The sessions store: users, revoked sessions, user cut-offs and login attempts, in Peewee.

SQLite at ``<SIM2L_HOME>/sessions.db`` by default, PostgreSQL (or another
SQLite file) via ``SIM2L_SESSIONS_DATABASE_URL``. Every process that shares
the store shares its users, its revocations and its login rate limits.
The store migrates itself on first use: it is a library's store, used from
scripts that have no separate migrate step.
"""

import os
import time

import peewee

from sim2l_sessions.database import bind_models
from sim2l_sessions.database import database_from_url
from sim2l_sessions.migrations import migrate
from sim2l_sessions.paths import default_sqlite_url

MIGRATIONS_PACKAGE = "sim2l_sessions.store_migrations"


class User(peewee.Model):
    """A person who logs in: unique username, role, bcrypt hash."""

    username = peewee.CharField(max_length=150, unique=True)
    email = peewee.CharField(max_length=320, null=True)
    role = peewee.CharField(max_length=32)
    password_hash = peewee.CharField(max_length=100)
    created_at = peewee.DoubleField()
    password_changed_at = peewee.DoubleField()

    class Meta:
        table_name = "sim2l_user"


class RevokedSession(peewee.Model):
    """A token id logged out before its expiry; kept until it would have expired."""

    token_id = peewee.CharField(max_length=64, unique=True)
    expires_at = peewee.DoubleField(index=True)
    revoked_at = peewee.DoubleField()

    class Meta:
        table_name = "sim2l_revoked_session"


class UserCutoff(peewee.Model):
    """Every token of ``username`` issued before ``not_before`` is void.

    An append-only log (a new row per cut-off), so processes read it
    incrementally by row id with the revocations; kept until every token it
    could void has expired (``expires_at``).
    """

    username = peewee.CharField(max_length=150, index=True)
    not_before = peewee.DoubleField()
    expires_at = peewee.DoubleField(index=True)

    class Meta:
        table_name = "sim2l_user_cutoff"


class LoginAttempt(peewee.Model):
    """Login attempts of one key (a user or a client address) in one time window.

    An attempt is reserved (counted) before its password is checked and
    released when the password was right, so ``failures`` counts the failed
    and the in-flight attempts.
    """

    key = peewee.CharField(max_length=400)
    window = peewee.BigIntegerField()
    failures = peewee.IntegerField(default=0)

    class Meta:
        table_name = "sim2l_login_attempt"
        indexes = ((("key", "window"), True),)


def sessions_database_url() -> str:
    """``SIM2L_SESSIONS_DATABASE_URL``, else the SQLite file in ``SIM2L_HOME``."""
    return os.environ.get("SIM2L_SESSIONS_DATABASE_URL") or default_sqlite_url("sessions")


class SessionStore:
    """Queries of the sessions store, over one database."""

    def __init__(self, url: str | None = None):
        self.url = url or sessions_database_url()
        # Password hashes: the SQLite file (and its -wal, -shm) is 0600.
        self.database = database_from_url(self.url, max_connections=8, private=True)
        models = bind_models(self.database, [User, RevokedSession, UserCutoff, LoginAttempt])
        self.User = models["User"]
        self.RevokedSession = models["RevokedSession"]
        self.UserCutoff = models["UserCutoff"]
        self.LoginAttempt = models["LoginAttempt"]
        self._migrated = False

    def ensure_migrated(self) -> None:
        """Apply the store's migrations once per process."""
        if not self._migrated:
            migrate(self.database, MIGRATIONS_PACKAGE)
            self._migrated = True

    def close(self) -> None:
        """Close (or return to the pool) this thread's connection."""
        if not self.database.is_closed():
            self.database.close()

    # Users

    def create_user(self, username, email, role, password_hash) -> dict:
        """Insert a user; ``peewee.IntegrityError`` when the name is taken."""
        self.ensure_migrated()
        now = time.time()
        with self.database.atomic():
            user = self.User.create(
                username=username,
                email=email,
                role=role,
                password_hash=password_hash,
                created_at=now,
                password_changed_at=now,
            )
        return self._user_dict(user)

    def get_user(self, username: str):
        """The user row for ``username``, or None."""
        self.ensure_migrated()
        return self.User.get_or_none(self.User.username == username)

    def list_users(self, limit: int = 100, after: str | None = None) -> list[dict]:
        """Up to ``limit`` users by name, those named after ``after`` when given.

        Keyset paging on the unique username: a later page costs what the first
        costs, and users added or deleted between pages never shift the rest.
        """
        self.ensure_migrated()
        query = self.User.select().order_by(self.User.username).limit(limit)
        if after is not None:
            query = query.where(self.User.username > after)
        return [self._user_dict(user) for user in query]

    def delete_user(self, username: str, cutoff: tuple[float, float] | None = None) -> bool:
        """Delete a user (and cut off their tokens, in the same transaction); whether one was."""
        self.ensure_migrated()
        with self.database.atomic():
            deleted = self.User.delete().where(self.User.username == username).execute() > 0
            if deleted and cutoff:
                self.cut_off_user(username, *cutoff)
        return deleted

    def set_password_hash(
        self, username: str, password_hash: str, cutoff: tuple[float, float] | None = None
    ) -> bool:
        """Replace a user's password hash (and cut off their tokens); whether the user exists."""
        return self._update_user(
            username, {"password_hash": password_hash, "password_changed_at": time.time()}, cutoff
        )

    def set_role(self, username: str, role: str, cutoff: tuple[float, float] | None = None) -> bool:
        """Change a user's role (and cut off their tokens); whether the user exists."""
        return self._update_user(username, {"role": role}, cutoff)

    def _update_user(self, username: str, values: dict, cutoff) -> bool:
        self.ensure_migrated()
        with self.database.atomic():
            query = self.User.update(**values).where(self.User.username == username)
            updated = query.execute() > 0
            if updated and cutoff:
                self.cut_off_user(username, *cutoff)
        return updated

    @staticmethod
    def _user_dict(user) -> dict:
        return {
            "username": user.username,
            "email": user.email,
            "role": user.role,
            "created_at": user.created_at,
        }

    # Revocation

    def revoke(self, token_id: str, expires_at: float) -> None:
        """Record that a token id is no longer valid (idempotent)."""
        self.ensure_migrated()
        self.RevokedSession.insert(
            token_id=token_id, expires_at=expires_at, revoked_at=time.time()
        ).on_conflict_ignore().execute()

    def revoked_since(self, last_id: int) -> tuple[list[str], int]:
        """Token ids revoked after row ``last_id`` (and not yet expired), and the newest row id."""
        self.ensure_migrated()
        model = self.RevokedSession
        rows = list(
            model.select(model.id, model.token_id)
            .where((model.id > last_id) & (model.expires_at > time.time()))
            .order_by(model.id)
            .tuples()
        )
        newest = rows[-1][0] if rows else last_id
        return [token_id for _, token_id in rows], newest

    def cut_off_user(self, username: str, not_before: float, expires_at: float) -> None:
        """Void every token of ``username`` issued before ``not_before``."""
        self.ensure_migrated()
        self.UserCutoff.insert(
            username=username, not_before=not_before, expires_at=expires_at
        ).execute()

    def user_cutoffs_since(self, last_id: int) -> tuple[dict[str, float], int]:
        """``{username: latest not_before}`` of cut-offs after row ``last_id``; the newest id."""
        self.ensure_migrated()
        model = self.UserCutoff
        rows = list(
            model.select(model.id, model.username, model.not_before)
            .where((model.id > last_id) & (model.expires_at > time.time()))
            .order_by(model.id)
            .tuples()
        )
        cutoffs: dict[str, float] = {}
        for _, username, not_before in rows:
            cutoffs[username] = max(not_before, cutoffs.get(username, not_before))
        newest = rows[-1][0] if rows else last_id
        return cutoffs, newest

    def purge_expired(self) -> int:
        """Forget revocations of expired tokens and old login windows."""
        self.ensure_migrated()
        now = time.time()
        removed = self.RevokedSession.delete().where(self.RevokedSession.expires_at < now).execute()
        removed += self.UserCutoff.delete().where(self.UserCutoff.expires_at < now).execute()
        removed += (
            self.LoginAttempt.delete()
            .where(self.LoginAttempt.window < int(now // 60) - 60)
            .execute()
        )
        return removed

    # Login rate limiting

    def failures(self, keys: list[str], windows: list[int]) -> dict[str, int]:
        """Failed logins per key, summed over ``windows``."""
        self.ensure_migrated()
        model = self.LoginAttempt
        query = (
            model.select(model.key, peewee.fn.SUM(model.failures))
            .where(model.key.in_(keys) & model.window.in_(windows))
            .group_by(model.key)
        )
        return {key: int(total) for key, total in query.tuples()}

    def reserve_attempt(self, keys: list[str], window: int) -> dict[str, int]:
        """Count one attempt against every key, atomically; the counts after it, per key.

        One ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` per key: two
        processes reserving at once get different counts, so a limit checked
        on the returned count can never be passed by racing.
        """
        self.ensure_migrated()
        model = self.LoginAttempt
        counts = {}
        with self.database.atomic():
            for key in keys:
                cursor = (
                    model.insert(key=key, window=window, failures=1)
                    .on_conflict(
                        conflict_target=[model.key, model.window],
                        update={model.failures: model.failures + 1},
                    )
                    .returning(model.failures)
                    .tuples()
                    .execute()
                )
                counts[key] = next(iter(cursor))[0]
        return counts

    def release_attempt(self, key: str, window: int) -> None:
        """Give back one reserved attempt of ``key`` (its password was right)."""
        self.ensure_migrated()
        model = self.LoginAttempt
        model.update(failures=model.failures - 1).where(
            (model.key == key) & (model.window == window) & (model.failures > 0)
        ).execute()

    def clear_failures(self, key: str) -> None:
        """Forget the failures of one key (after a successful login)."""
        self.ensure_migrated()
        self.LoginAttempt.delete().where(self.LoginAttempt.key == key).execute()
