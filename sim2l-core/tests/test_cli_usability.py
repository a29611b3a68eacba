"""The ``sim2l`` command as a newcomer meets it: help, version, exit codes, readable output."""

import argparse
import json
import os
import stat

import pytest
from runner_support import configure_services
from sim2l.cli import main
from sim2l.cli import output
from sim2l.cli import parser
from sim2l_sessions import get_session_manager

pytest_plugins = ["runner_fixtures"]


def sim2l(capsys, *argv) -> tuple[int, str, str]:
    """Run ``sim2l ARGV`` in this process; (exit code, stdout, stderr)."""
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse: --version, --help, a bad command line
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _every_parser(top: argparse.ArgumentParser, path=("sim2l",)):
    yield path, top
    for action in top._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _every_parser(child, (*path, name))


def test_version(capsys):
    code, out, _ = sim2l(capsys, "--version")
    assert code == 0 and out.startswith("sim2l ") and out.strip() != "sim2l unknown"


def test_every_command_and_option_has_help():
    missing = []
    for path, command in _every_parser(parser()):
        for action in command._actions:
            if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
                continue
            if isinstance(action, argparse._SubParsersAction):
                # Each subcommand's help is the line `sim2l COMMAND --help` lists it by.
                missing += [
                    f"{' '.join(path)} {choice.dest}"
                    for choice in action._choices_actions
                    if not choice.help
                ]
                continue
            if not action.help:
                missing.append(f"{' '.join(path)} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


def test_the_exit_codes_are_in_the_help(capsys):
    _, out, _ = sim2l(capsys, "--help")
    assert "exit status:" in out and "3    a service is unreachable" in out


@pytest.mark.parametrize("limit", ["-1", "0", "x"])
def test_a_limit_below_one_is_a_usage_error(capsys, run_folder, limit):
    code, out, err = sim2l(capsys, "runs", "list", "--limit", limit)
    assert code == 2 and "--limit" in err and "(none)" not in out


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0.00261275, "2.61 ms"), (42.5, "42.5 s"), (185, "3 min 05 s"), (3725, "1 h 02 min")],
)
def test_durations_read_like_durations(seconds, shown):
    assert output.duration(seconds) == shown


def test_numbers_read_like_numbers():
    assert [output.number(value) for value in (12500, 0.5, None, True)] == [
        "12,500",
        "0.5",
        "-",
        "true",
    ]


def test_runs_list_shows_durations(capsys, run_folder):
    assert sim2l(capsys, "run", "thermal_sim", "temperature=350")[0] == 0
    code, out, _ = sim2l(capsys, "runs", "list")
    assert code == 0 and "DURATION" in out and " ms" in out.splitlines()[1]


def test_list_json_gives_structured_inputs(capsys):
    code, out, _ = sim2l(capsys, "list", "--json")
    thermal = next(sim for sim in json.loads(out) if sim["name"] == "thermal_sim")
    assert thermal["inputs"]["temperature"]["type"] == "number"
    assert thermal["inputs"]["temperature"]["units"]
    assert "max_stress" in thermal["outputs"]


def test_a_second_services_down_says_nothing_was_running(capsys):
    sim2l(capsys, "services", "down")
    code, out, _ = sim2l(capsys, "services", "down")
    assert code == 0 and "no local services are running" in out


def test_an_unreachable_service_exits_3(capsys, monkeypatch):
    monkeypatch.setenv("SIM2L_RESULTS_SERVICE_URL", "http://127.0.0.1:9")
    code, _, err = sim2l(capsys, "results", "search", "thermal_sim")
    assert code == 3 and "cannot reach" in err


def test_stats_find_whether_a_parameter_is_an_input(capsys, services, tmp_path):
    session = get_session_manager().create_anonymous_session(privileges=["developer"])
    configure_services(services, tmp_path / "runs", session.session_id)
    for temperature in ("300", "400"):
        assert sim2l(capsys, "run", "thermal_sim", f"temperature={temperature}")[0] == 0
    code, out, _ = sim2l(capsys, "results", "stats", "thermal_sim", "temperature", "--json")
    stats = json.loads(out)
    assert code == 0 and stats["count"] == 2 and stats["min_value"] == 300
    code, _, err = sim2l(capsys, "results", "stats", "thermal_sim", "pressure")
    assert code == 4 and "no parameter 'pressure'" in err and "temperature" in err


def test_login_whoami_logout(capsys, monkeypatch):
    get_session_manager().create_user("alice", "correct horse battery", "developer")
    monkeypatch.setenv("SIM2L_PASSWORD", "wrong")
    code, _, err = sim2l(capsys, "login", "alice")
    assert code == 5 and "login refused" in err

    monkeypatch.setenv("SIM2L_PASSWORD", "correct horse battery")
    code, out, _ = sim2l(capsys, "login", "alice")
    assert code == 0 and "logged in as alice (developer)" in out
    kept = os.path.join(os.environ["SIM2L_HOME"], "session.json")
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600

    code, out, _ = sim2l(capsys, "whoami", "--json")
    assert code == 0 and json.loads(out)["username"] == "alice" and json.loads(out)["valid"]
    assert "session_id" not in out

    assert sim2l(capsys, "logout")[0] == 0
    code, _, err = sim2l(capsys, "whoami")
    assert code == 5 and "not logged in" in err


def test_auto_sync_warns_once_when_the_catalog_schema_differs(services, tmp_path):
    from sim2l.runner import load
    from sim2l_catalog_client import CatalogClient

    session = get_session_manager().create_anonymous_session(privileges=["developer"])
    declared = load("thermal_sim")
    CatalogClient(services["catalog"], session_id=session.session_id).register_simulation(
        name="thermal_sim",
        version=declared.version,
        schema={"inputs": {"temperature": {"type": "number", "units": "furlong"}}, "outputs": {}},
    )
    configure_services(services, tmp_path / "runs", session.session_id)
    first = declared.run(temperature=310)
    [warning] = [text for text in first.warnings if "does not match" in text]
    assert "inputs not in the catalog:" in warning and "material" in warning
    assert "input temperature: units" in warning and "'furlong' in the catalog" in warning
    second = declared.run(temperature=320)
    assert not [text for text in second.warnings if "does not match" in text]
