"""SessionManager on SQLite and PostgreSQL: users, logins, sessions, revocation, rate limits."""

import os
import subprocess
import sys
import time

import pytest
from sim2l_sessions import get_session_manager
from sim2l_sessions.errors import AuthenticationError
from sim2l_sessions.errors import InvalidUserError
from sim2l_sessions.errors import RateLimitedError
from sim2l_sessions.errors import UserExistsError
from sim2l_sessions.errors import UserNotFoundError
from sim2l_sessions.manager import SessionManager
from sim2l_sessions.passwords import PasswordError
from sim2l_sessions.privileges import ROLES
from sim2l_sessions.store import SessionStore


def test_seed_session_management_example(monkeypatch, database_url):
    monkeypatch.setenv("SIM2L_SESSIONS_DATABASE_URL", database_url)
    # The seed's block, as written.
    manager = get_session_manager()
    manager.create_user(
        username="alice", password="secret", role="developer", email="alice@example.com"
    )
    session = manager.authenticate("alice", "secret")
    assert session.session_id and session.role == "developer"
    has_privilege = manager.check_privilege(session.session_id, "register_simulation")
    assert has_privilege is True
    anon_session = manager.create_anonymous_session(privileges=["read_cache"], ttl_hours=1)
    assert manager.check_privilege(anon_session.session_id, "read_cache")
    assert not manager.check_privilege(anon_session.session_id, "write_cache")
    checked = manager.get_session(anon_session.session_id)
    assert checked and checked.is_valid()


def test_roles_grant_exactly_their_privileges(manager):
    for role in ROLES:
        manager.create_user(f"{role}-user", "pw", role)
        session = manager.authenticate(f"{role}-user", "pw")
        for privilege in ROLES["admin"]:
            expected = privilege in ROLES[role]
            assert manager.check_privilege(session.session_id, privilege) is expected, (
                role,
                privilege,
            )


def test_anonymous_session_defaults_to_developer_privileges_and_expands_roles(manager, monkeypatch):
    # The local default (the caller holds the secret) runs the seed's examples...
    assert manager.create_anonymous_session().privileges == ROLES["developer"]
    # ...and a site can narrow it.
    monkeypatch.setenv("SIM2L_ANONYMOUS_PRIVILEGES", "read_cache,read_catalog")
    assert manager.create_anonymous_session().privileges == {"read_cache", "read_catalog"}
    assert manager.create_anonymous_session(privileges=["user"]).privileges == ROLES["user"]
    developer = manager.create_anonymous_session(privileges=["developer"], ttl_hours=1)
    assert developer.role == "anonymous" and developer.username is None
    assert manager.check_privilege(developer.session_id, "register_simulation")


@pytest.mark.parametrize("ttl_hours", [0, -1, 10**6, "1", True])
def test_bad_ttl_is_refused(manager, ttl_hours):
    with pytest.raises(ValueError, match="ttl_hours"):
        manager.create_anonymous_session(ttl_hours=ttl_hours)


def test_wrong_password_and_unknown_user_fail_alike(manager):
    manager.create_user("bob", "right")
    with pytest.raises(AuthenticationError) as wrong:
        manager.authenticate("bob", "wrong")
    with pytest.raises(AuthenticationError) as unknown:
        manager.authenticate("nobody", "wrong")
    assert str(wrong.value) == str(unknown.value)


@pytest.mark.parametrize(
    "username, password, role, email, error",
    [
        ("", "pw", "user", None, InvalidUserError),
        ("../etc", "pw", "user", None, InvalidUserError),
        ("a b", "pw", "user", None, InvalidUserError),
        ("x" * 151, "pw", "user", None, InvalidUserError),
        ("carol", "pw", "root", None, ValueError),
        ("carol", "pw", "user", "not-an-email", InvalidUserError),
        ("carol", "p" * 73, "user", None, PasswordError),
        ("carol", "", "user", None, PasswordError),
    ],
)
def test_bad_users_are_refused_and_nothing_is_stored(
    manager, username, password, role, email, error
):
    with pytest.raises(error):
        manager.create_user(username, password, role, email)
    assert manager.list_users() == []


def test_duplicate_user_is_refused_and_the_first_kept(manager):
    manager.create_user("dave", "first")
    with pytest.raises(UserExistsError):
        manager.create_user("dave", "second")
    assert manager.authenticate("dave", "first").username == "dave"


def test_list_delete_and_change_password(manager):
    for name in ("erin", "frank", "grace"):
        manager.create_user(name, "pw", email=f"{name}@example.com")
    assert [user["username"] for user in manager.list_users(limit=2)] == ["erin", "frank"]
    assert [user["username"] for user in manager.list_users(limit=2, after="frank")] == ["grace"]
    assert [user["username"] for user in manager.iter_users(page_size=2)] == [
        "erin",
        "frank",
        "grace",
    ]
    assert "password_hash" not in manager.list_users()[0]
    manager.change_password("erin", "new", old_password="pw")
    with pytest.raises(AuthenticationError):
        manager.authenticate("erin", "pw")
    assert manager.authenticate("erin", "new")
    manager.delete_user("frank")
    with pytest.raises(UserNotFoundError):
        manager.delete_user("frank")
    with pytest.raises(AuthenticationError):
        manager.authenticate("frank", "pw")


def test_logout_revokes_the_session(manager):
    manager.create_user("heidi", "pw")
    session = manager.authenticate("heidi", "pw")
    assert manager.invalidate_session(session.session_id)
    assert not manager.get_session(session.session_id).is_valid()
    assert not manager.check_privilege(session.session_id, "read_cache")
    assert manager.invalidate_session("forged.token") is False


def test_token_from_another_secret_is_not_a_session(manager, store):
    other = SessionManager(store=store, secret_keys=["z" * 40])
    token = other.create_anonymous_session(privileges=["admin"]).session_id
    assert manager.get_session(token) is None
    assert not manager.check_privilege(token, "manage_users")


_REVOKE_IN_CHILD = """
import sys
from sim2l_sessions.manager import SessionManager
from sim2l_sessions.store import SessionStore
manager = SessionManager(store=SessionStore(sys.argv[1]), revocation_refresh_seconds=0)
if sys.argv[2] == "revoke":
    assert manager.invalidate_session(sys.argv[3])
else:
    print("valid" if manager.check_privilege(sys.argv[3], "read_cache") else "refused")
"""


def _child(url, action, token):
    result = subprocess.run(
        [sys.executable, "-c", _REVOKE_IN_CHILD, url, action, token],
        capture_output=True,
        text=True,
        env=os.environ,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_revocation_in_another_process_is_honoured_here(manager, database_url):
    session = manager.create_anonymous_session()
    assert _child(database_url, "check", session.session_id) == "valid"
    _child(database_url, "revoke", session.session_id)
    assert manager.get_session(session.session_id).revoked


def test_revocation_here_is_honoured_in_another_process(manager, database_url):
    session = manager.create_anonymous_session()
    manager.invalidate_session(session.session_id)
    assert _child(database_url, "check", session.session_id) == "refused"


def test_revocations_are_read_at_most_once_per_refresh_interval(store):
    slow = SessionManager(store=store, revocation_refresh_seconds=3600)
    fresh = SessionManager(store=store, revocation_refresh_seconds=0)
    session = fresh.create_anonymous_session()
    assert slow.get_session(session.session_id).is_valid()  # first read of the store
    fresh.invalidate_session(session.session_id)
    # Within the interval the slow manager has not looked again...
    assert slow.get_session(session.session_id).is_valid()
    slow._revoked_checked_at = float("-inf")  # ...and once the interval passes, it has.
    assert not slow.get_session(session.session_id).is_valid()


def test_brute_force_burst_is_rate_limited_per_user(manager, monkeypatch):
    import bcrypt
    from sim2l_sessions import passwords

    checks = []
    real_check = bcrypt.checkpw
    monkeypatch.setattr(
        passwords.bcrypt, "checkpw", lambda *args: checks.append(args) or real_check(*args)
    )
    manager.create_user("ivan", "correct")
    for _ in range(manager.login_failures_per_user):
        with pytest.raises(AuthenticationError):
            manager.authenticate("ivan", "guess", client_address="10.0.0.1")
    assert len(checks) == manager.login_failures_per_user  # each failure paid for bcrypt
    with pytest.raises(RateLimitedError) as limited:
        manager.authenticate("ivan", "correct", client_address="10.0.0.2")
    assert limited.value.retry_after > 0
    # Refused before bcrypt runs: the limit also protects the CPU.
    assert len(checks) == manager.login_failures_per_user


def test_burst_from_one_address_is_rate_limited_across_users(manager):
    manager.login_failures_per_address = 3
    for index in range(3):
        with pytest.raises(AuthenticationError):
            manager.authenticate(f"user{index}", "guess", client_address="10.0.0.9")
    with pytest.raises(RateLimitedError):
        manager.authenticate("user99", "guess", client_address="10.0.0.9")


def test_rate_limit_is_shared_by_managers_on_one_store(database_url):
    first = SessionManager(store=SessionStore(database_url))
    second = SessionManager(store=SessionStore(database_url))
    first.create_user("judy", "pw")
    for _ in range(first.login_failures_per_user):
        with pytest.raises(AuthenticationError):
            first.authenticate("judy", "nope")
    with pytest.raises(RateLimitedError):
        second.authenticate("judy", "pw")


def test_successful_login_clears_user_failures(manager):
    manager.create_user("ken", "pw")
    for _ in range(manager.login_failures_per_user - 1):
        with pytest.raises(AuthenticationError):
            manager.authenticate("ken", "nope")
    manager.authenticate("ken", "pw")
    with pytest.raises(AuthenticationError):
        manager.authenticate("ken", "nope")  # a fresh count, not a rate limit


def test_store_migrates_itself_and_purges(store):
    store.revoke("t1", time.time() - 10)
    store.revoke("t2", time.time() + 3600)
    assert store.purge_expired() >= 1
    assert store.revoked_since(0)[0] == ["t2"]


def test_failures_just_before_a_window_boundary_still_count(manager, store):
    manager.create_user("leo", "pw")
    window = int(time.time() // manager.login_window_seconds)
    for _ in range(manager.login_failures_per_user):
        store.reserve_attempt(["user:leo"], window - 1)
    with pytest.raises(RateLimitedError):
        manager.authenticate("leo", "pw")


WITHDRAWALS = {
    "delete the user": lambda manager, token: manager.delete_user("tmpdev"),
    "change the password": lambda manager, token: manager.change_password("tmpdev", "new-pw"),
    "change the role": lambda manager, token: manager.set_role("tmpdev", "user"),
    "revoke every session": lambda manager, token: manager.revoke_user_sessions("tmpdev"),
    "log out everywhere": lambda manager, token: manager.logout_everywhere(token),
}


@pytest.mark.parametrize("withdraw", sorted(WITHDRAWALS))
def test_withdrawn_rights_end_every_token_at_every_manager_sharing_the_store(
    manager, store, withdraw
):
    other = SessionManager(store=SessionStore(store.url), revocation_refresh_seconds=0)
    manager.create_user("tmpdev", "pw", "developer")
    manager.create_user("bystander", "pw", "developer")
    tokens = [manager.authenticate("tmpdev", "pw", ttl_hours=720).session_id for _ in range(3)]
    minted = manager.create_session("tmpdev", "admin").session_id
    bystander = manager.authenticate("bystander", "pw").session_id
    for token in [*tokens, minted]:
        assert other.check_privilege(token, "register_simulation")

    WITHDRAWALS[withdraw](manager, tokens[0])

    for checker in (manager, other):
        for token in [*tokens, minted]:
            session = checker.get_session(token)
            assert session.revoked and not session.is_valid(), (withdraw, checker)
        assert checker.check_privilege(bystander, "register_simulation")
    # What the user may still do afterwards gets new tokens that work.
    if withdraw != "delete the user":
        password = "new-pw" if withdraw == "change the password" else "pw"
        fresh = manager.authenticate("tmpdev", password).session_id
        assert other.get_session(fresh).is_valid()


def test_a_role_change_takes_effect_in_the_next_login(manager):
    manager.create_user("rolf", "pw", "developer")
    manager.set_role("rolf", "user")
    assert manager.authenticate("rolf", "pw").role == "user"
    with pytest.raises(InvalidUserError):
        manager.set_role("rolf", "emperor")
    with pytest.raises(UserNotFoundError):
        manager.set_role("nobody", "user")


def test_an_anonymous_logout_everywhere_ends_only_its_own_token(manager):
    first = manager.create_anonymous_session().session_id
    second = manager.create_anonymous_session().session_id
    assert manager.logout_everywhere(first) is True
    assert manager.get_session(first).revoked
    assert manager.get_session(second).is_valid()
    assert manager.logout_everywhere("forged.token") is False


def test_cutoffs_are_read_at_most_every_refresh_interval(store):
    # No store query per check: a slow refresh does not see a cut-off made elsewhere...
    writer = SessionManager(store=store, revocation_refresh_seconds=0)
    reader = SessionManager(store=SessionStore(store.url), revocation_refresh_seconds=3600)
    token = writer.create_session("carl", "developer").session_id
    assert reader.get_session(token).is_valid()
    writer.revoke_user_sessions("carl")
    assert reader.get_session(token).is_valid()
    # ...until its next refresh, which brings it.
    reader._revoked_checked_at = float("-inf")
    assert reader.get_session(token).revoked


def test_concurrent_wrong_passwords_make_at_most_the_limit_of_bcrypt_checks(manager, monkeypatch):
    import threading

    import bcrypt

    manager.create_user("vic", "right")
    checks = []
    real_checkpw = bcrypt.checkpw

    def counting_checkpw(password, hashed):
        checks.append(1)
        return real_checkpw(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting_checkpw)
    barrier = threading.Barrier(8)  # the store's pool holds 8 connections
    outcomes = []

    def attempt(index):
        barrier.wait()
        for _ in range(10):
            try:
                manager.authenticate("vic", "wrong", client_address=f"10.0.0.{index}")
            except (AuthenticationError, RateLimitedError) as error:
                outcomes.append(type(error).__name__)
            finally:
                manager.store.close()  # as a service does after each request

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == 80
    assert len(checks) <= manager.login_failures_per_user
    assert outcomes.count("AuthenticationError") == len(checks)
