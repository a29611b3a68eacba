"""Each client installs alone from built wheels, and its README's first example runs.

As a reader would: the wheels of sim2l-sessions and the three clients are
built (``make dist`` builds them all), each client is installed into a fresh
venv with ``pip install --find-links DIST <client>``, what it pulled in is
checked (no Flask, Peewee, psycopg2, marshmallow, gunicorn), and the first
Python example of its README runs in that venv against a live service, with
the README's ``SIM2L_SESSIONS_URL`` set. Only the example's
``http://localhost:800N`` is pointed at the port the test's service got.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest
import requests
from sim2l_service_kit.testing.benchmarking import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVER_STACK = {"flask", "peewee", "psycopg2", "psycopg2-binary", "marshmallow", "gunicorn"}
CLIENTS = {
    "cache": ("sim2l-cache-service/client", "sim2l-cache-client", 8001),
    "catalog": ("sim2l-catalog-service/client", "sim2l-catalog-client", 8002),
    "results": ("sim2l-results-service/client", "sim2l-results-client", 8003),
}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dist")
    for source in ["sim2l-sessions", *(path for path, _, _ in CLIENTS.values())]:
        subprocess.run(
            [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(folder)]
            + [str(ROOT / source)],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return folder


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """A SIM2L_HOME shared by the services and the run file the results example registers."""
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def services(home):
    """The three services on SQLite, each from its launcher, as the seed starts them."""
    environment = {**os.environ, "SIM2L_HOME": str(home), "SIM2L_BCRYPT_ROUNDS": "4"}
    processes, urls = [], {}
    try:
        for service in CLIENTS:
            port = free_port()
            command = [sys.executable, "-m", f"sim2l.services.{service}_service"]
            command += ["--backend", "sqlite", "--port", str(port), "--workers", "1"]
            processes.append(
                subprocess.Popen(
                    command,
                    env=environment,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
            urls[service] = f"http://127.0.0.1:{port}"
        for url in urls.values():
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(url + "/ready", timeout=1).ok:
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, f"{url} did not start"
                time.sleep(0.2)
        yield urls
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)


def first_python_example(readme: Path) -> str:
    return re.search(r"```python\n(.*?)```", readme.read_text(), re.DOTALL).group(1)


def fresh_venv_with(client: str, wheels: Path, folder: Path) -> Path:
    venv.EnvBuilder(with_pip=True).create(folder)
    python = folder / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--find-links", str(wheels), client],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return python


def installed(python: Path) -> set[str]:
    listing = subprocess.run(
        [str(python), "-m", "pip", "list", "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {package["name"].lower() for package in json.loads(listing)}


def prepare(service: str, home: Path, urls: dict) -> None:
    """What the README says must exist first: a developer user, a run file."""
    environment = {**os.environ, "SIM2L_HOME": str(home), "SIM2L_BCRYPT_ROUNDS": "4"}
    if service == "catalog":
        subprocess.run(
            [sys.executable, "-m", "sim2l_sessions", "create-user", "alice", "--role", "developer"],
            env={**environment, "SIM2L_PASSWORD": "secret"},
            check=True,
            capture_output=True,
        )
    if service == "results":
        script = (
            "from sim2l.database import RunDatabase\n"
            "with RunDatabase('exec-2024-001') as run_db:\n"
            "    run_db.initialize_run('thermal_sim', '1.0.0')\n"
            "    run_db.save_input('temperature', 350, 'number', units='kelvin')\n"
            "    run_db.save_output('max_stress', 1.5e8, 'number', units='pascal')\n"
            "    run_db.complete_run('completed', duration_seconds=42.5)\n"
        )
        subprocess.run([sys.executable, "-c", script], env=environment, check=True)


@pytest.mark.parametrize("service", sorted(CLIENTS))
def test_a_client_installs_alone_and_its_readme_example_runs(
    service, wheels, services, home, tmp_path
):
    source, distribution, readme_port = CLIENTS[service]
    python = fresh_venv_with(distribution, wheels, tmp_path / "venv")
    packages = installed(python)
    assert distribution in packages and "sim2l-sessions" in packages
    assert packages & SERVER_STACK == set()

    prepare(service, home, services)
    example = first_python_example(ROOT / source / "README.md")
    example = example.replace(f"http://localhost:{readme_port}", services[service])
    result = subprocess.run(
        [str(python), "-c", example],
        env={
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "SIM2L_HOME": str(tmp_path / "client-home"),  # not the services': no secret here
            "SIM2L_SESSIONS_URL": services[service],
            "SIM2L_RUN_DB_BASE_PATH": str(home / "runs"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
