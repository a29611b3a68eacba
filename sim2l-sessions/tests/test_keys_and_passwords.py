"""Secret keys, passwords and privileges."""

import stat

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
