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
def services(home, tmp_path_factory):
    """The three services on SQLite, each from its launcher, as the seed starts them.

    They start together on a new SIM2L_HOME, as a user's first `serve` calls
    would; each one's output goes to a log that a failure to start shows.
    """
    environment = {**os.environ, "SIM2L_HOME": str(home), "SIM2L_BCRYPT_ROUNDS": "4"}
    environment.pop("SIM2L_SECRET_KEY", None)  # the key file is created, as for a user
    logs = tmp_path_factory.mktemp("logs")
    processes, urls = {}, {}
    try:
        for service in CLIENTS:
            port = free_port()
            command = [sys.executable, "-m", f"sim2l.services.{service}_service"]
            command += ["--backend", "sqlite", "--port", str(port), "--workers", "1"]
            with open(logs / f"{service}.log", "wb") as log:
                processes[service] = subprocess.Popen(
                    command,
                    env=environment,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            urls[service] = f"http://127.0.0.1:{port}"
        for service, url in urls.items():
            wait_until_ready(url, processes[service], logs / f"{service}.log")
        yield urls
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            process.wait(timeout=30)


def wait_until_ready(url: str, process: subprocess.Popen, log: Path) -> None:
    """Poll ``url``/ready for up to a minute; fail with the log's end if the service exits."""
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(url + "/ready", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        exited = process.poll()
        if exited is not None or time.monotonic() > deadline:
            ending = log.read_text(errors="replace")[-3000:]
            state = f"exited with {exited}" if exited is not None else "did not start in 60 s"
            pytest.fail(f"{url} {state}; its log ends:\n{ending}")
        time.sleep(0.2)


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
