"""The client installs and imports without Flask, Peewee or psycopg2 (DESIGN section 2)."""

import importlib.metadata
import re
import subprocess
import sys

FORBIDDEN = {"flask", "peewee", "psycopg2", "psycopg2-binary", "gunicorn", "marshmallow", "bcrypt"}


def _requirements(distribution: str) -> set[str]:
    names = set()
    for requirement in importlib.metadata.requires(distribution) or []:
        if "extra ==" in requirement:
            continue  # optional extras are not installed by a plain pip install
        names.add(re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower())
    return names


def test_declared_dependencies_bring_no_server_stack():
    direct = _requirements("sim2l-results-client")
    through_sessions = _requirements("sim2l-sessions") if "sim2l-sessions" in direct else set()
    assert not (direct | through_sessions) & FORBIDDEN


def test_importing_the_client_loads_no_server_stack():
    code = (
        "import sys, sim2l_results_client; "
        "loaded = {'flask', 'peewee', 'psycopg2', 'bcrypt', 'marshmallow'} & set(sys.modules); "
        "print(sorted(loaded))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "[]"
