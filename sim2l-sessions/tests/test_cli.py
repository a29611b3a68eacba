"""``python -m sim2l_sessions``: users and tokens from a shell."""

import json
import os
import subprocess
import sys


def run(*arguments, password=None):
    env = dict(os.environ)
    if password is not None:
        env["SIM2L_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "sim2l_sessions", *arguments],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_create_login_check_and_logout():
    created = run(
        "create-user", "alice", "--role", "developer", "--email", "a@example.com", password="pw"
    )
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["role"] == "developer"
    login = run("login", "alice", password="pw")
    assert login.returncode == 0
    token = login.stdout.strip()
    check = run("check", token, "register_simulation")
    assert check.returncode == 0 and json.loads(check.stdout)["valid"] is True
    assert run("check", token, "manage_users").returncode == 1
    assert run("logout", token).returncode == 0
    assert json.loads(run("check", token).stdout)["valid"] is False


def test_wrong_password_and_bad_input_fail_with_a_message():
    run("create-user", "bob", password="right")
    wrong = run("login", "bob", password="wrong")
    assert wrong.returncode == 1 and "wrong password" in wrong.stderr
    long = run("create-user", "carol", password="x" * 80)
    assert long.returncode == 1 and "72" in long.stderr
    assert run("check", "not-a-token").returncode == 1


def test_anonymous_and_mint_tokens():
    anonymous = run("anonymous", "--privileges", "read_cache", "--ttl-hours", "1")
    privileges = json.loads(run("check", anonymous.stdout.strip()).stdout)["privileges"]
    assert privileges == ["read_cache"]
    minted = run("mint", "root", "--role", "admin")
    assert json.loads(run("check", minted.stdout.strip(), "manage_users").stdout)["role"] == "admin"
    assert run("anonymous", "--privileges", "superuser").returncode == 1


def test_withdrawing_rights_from_the_command_line_ends_tokens():
    run("create-user", "dora", "--role", "developer", password="pw")
    tokens = [run("login", "dora", password="pw").stdout.strip() for _ in range(3)]

    def valid(token):
        return json.loads(run("check", token).stdout)["valid"]

    assert run("logout-everywhere", tokens[0]).returncode == 0
    assert not any(valid(token) for token in tokens)
    fresh = run("login", "dora", password="pw").stdout.strip()
    assert valid(fresh)
    assert run("revoke-sessions", "dora").returncode == 0
    assert not valid(fresh)
    fresh = run("login", "dora", password="pw").stdout.strip()
    assert run("set-role", "dora", "user").returncode == 0
    assert not valid(fresh)
    assert (
        json.loads(run("check", run("login", "dora", password="pw").stdout.strip()).stdout)["role"]
        == "user"
    )
    assert run("set-role", "nobody", "user").returncode == 1
