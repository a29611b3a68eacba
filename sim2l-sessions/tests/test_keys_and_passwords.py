"""Secret keys, passwords and privileges."""

import stat
import threading

import pytest
from sim2l_sessions import passwords
from sim2l_sessions.keys import SecretKeyError
from sim2l_sessions.keys import load_secret_keys
from sim2l_sessions.privileges import ROLES
from sim2l_sessions.privileges import UnknownPrivilegeError
from sim2l_sessions.privileges import expand_privileges


def test_key_file_is_created_once_with_mode_0600(monkeypatch, sim2l_home):
    monkeypatch.delenv("SIM2L_SECRET_KEY")
    first = load_secret_keys()
    second = load_secret_keys()
    assert first == second and len(first[0]) >= 32
    mode = stat.S_IMODE((sim2l_home / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_environment_lists_several_keys_signing_key_first(monkeypatch):
    monkeypatch.setenv("SIM2L_SECRET_KEY", "n" * 20 + ", " + "o" * 20)
    assert load_secret_keys() == ["n" * 20, "o" * 20]


@pytest.mark.parametrize("value", ["short", " , ", "x" * 20 + ",tiny"])
def test_unusable_keys_are_refused(value):
    with pytest.raises(SecretKeyError):
        load_secret_keys(value)


def test_password_longer_than_bcrypt_limit_is_refused_not_truncated():
    with pytest.raises(passwords.PasswordError, match="72"):
        passwords.hash_password("p" * 73)
    with pytest.raises(passwords.PasswordError, match="bytes"):
        passwords.hash_password("é" * 37)  # 74 bytes, 37 characters
    assert passwords.check_password("p" * 72, passwords.hash_password("p" * 72))


@pytest.mark.parametrize("password", ["", None, 42])
def test_empty_or_non_string_passwords_are_refused(password):
    with pytest.raises(passwords.PasswordError):
        passwords.hash_password(password)


def test_wrong_and_overlong_passwords_never_match():
    stored = passwords.hash_password("secret")
    assert not passwords.check_password("Secret", stored)
    assert not passwords.check_password("s" * 100, stored)


def test_roles_expand_and_nest():
    assert expand_privileges(["developer"]) == ROLES["developer"]
    assert "register_simulation" in expand_privileges(["read_cache", "developer"])
    assert ROLES["user"] < ROLES["developer"] < ROLES["admin"]
    assert "manage_users" not in ROLES["developer"]
    with pytest.raises(UnknownPrivilegeError, match="root"):
        expand_privileges(["root"])


def _load_keys_together(count: int) -> tuple[list, list]:
    """``count`` threads call load_secret_keys() at once: (the keys each got, the errors)."""
    barrier = threading.Barrier(count)
    results, errors = [], []

    def load():
        barrier.wait()
        try:
            results.append(load_secret_keys())
        except SecretKeyError as error:
            errors.append(error)

    threads = [threading.Thread(target=load) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_processes_racing_to_create_the_key_file_all_read_the_one_key(monkeypatch, tmp_path):
    """Services started together on a new SIM2L_HOME must never see a half-written key file."""
    monkeypatch.delenv("SIM2L_SECRET_KEY")
    for attempt in range(100):
        monkeypatch.setenv("SIM2L_HOME", str(tmp_path / str(attempt)))
        results, errors = _load_keys_together(4)
        assert errors == []
        assert len(results) == 4 and all(keys == results[0] for keys in results)
        assert sorted(path.name for path in (tmp_path / str(attempt)).iterdir()) == ["secret_key"]
