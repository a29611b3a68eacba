"""Run each image's recipe without Docker: the closest check to a build here.

For each service this reads its Dockerfile and

1. creates a fresh virtualenv and runs the Dockerfile's own ``pip install``
   arguments in it, from the repository root (regular, not editable,
   installs: exactly what the image holds, so a module missing from a wheel,
   or an import of an undeclared distribution, fails here as in the image);
2. runs the migration Job's command, ``sim2l-<svc>-service migrate``, against
   a fresh PostgreSQL database;
3. starts the Dockerfile's ``CMD`` (gunicorn with docker/gunicorn.conf.py)
   with the image's ``ENV`` and a clean environment (no variable of this
   shell leaks in), waits for ``GET /ready``, and runs the image's
   HEALTHCHECK command.

It needs PyPI (pip resolves the third-party dependencies, as ``docker build``
does) and PostgreSQL (``SIM2L_TEST_DATABASE_URL``, else
``postgresql://postgres@127.0.0.1:5432/test``). It does not check what only a
real image shows (the base image, the non-root user, the read-only root);
``check.py`` checks those lines statically.

    .venv/bin/python deploy/image_smoke.py [cache catalog results]
"""

import json
import os
import secrets
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
REPOSITORY = DEPLOY.parent
SERVICES = ("cache", "catalog", "results")


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined."""
    instructions, pending = [], ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).strip().partition(" ")
        pending = ""
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def recipe(service: str) -> dict:
    """The pip arguments, runtime ENV and CMD of a service's Dockerfile."""
    instructions = dockerfile_instructions(DEPLOY / "docker" / f"{service}.Dockerfile")
    pip_arguments = None
    for keyword, arguments in instructions:
        if keyword == "RUN" and "pip install" in arguments:
            command = arguments.split("&&")[0]
            pip_arguments = shlex.split(command.split("pip install", 1)[1])
    runtime_start = max(i for i, (k, _) in enumerate(instructions) if k == "FROM")
    environment = {}
    for keyword, arguments in instructions[runtime_start:]:
        if keyword == "ENV":
            for item in shlex.split(arguments):
                name, _, value = item.partition("=")
                environment[name] = value
    command = json.loads(next(a for k, a in reversed(instructions) if k == "CMD"))
    health = json.loads(next(a for k, a in instructions if k == "HEALTHCHECK").split("CMD", 1)[1])
    return {"pip": pip_arguments, "env": environment, "cmd": command, "health": health}


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_database() -> tuple[str, callable]:
    """A new PostgreSQL database and the function that drops it."""
    import psycopg2

    server = (
        os.environ.get("SIM2L_TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    )
    name = f"sim2l_image_smoke_{os.getpid()}_{secrets.token_hex(3)}"
    admin = psycopg2.connect(server, connect_timeout=5)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    parts = urllib.parse.urlsplit(server)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name)), drop


def smoke(service: str, work: Path, database_url: str) -> None:
    """Build the service's virtualenv as the image does, migrate, serve, probe."""
    steps = recipe(service)
    venv = work / f"{service}-venv"
    bin_dir = venv / "bin"
    print(f"[{service}] pip install {' '.join(steps['pip'])}", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(bin_dir / "pip"), "install", "--quiet", "--disable-pip-version-check", *steps["pip"]],
        cwd=REPOSITORY,
        check=True,
    )
    home = work / f"{service}-home"
    port = free_port()
    env = {**steps["env"], "PATH": f"{bin_dir}{os.pathsep}/usr/bin:/bin", "HOME": str(home)}
    env.update(
        {
            "SIM2L_HOME": str(home / "sim2l"),
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "SIM2L_SECRET_KEY": secrets.token_urlsafe(32),
            "SIM2L_SESSIONS_DATABASE_URL": database_url,
            f"SIM2L_{service.upper()}_DATABASE_URL": database_url,
        }
    )
    if "SIM2L_RESULTS_STORAGE_DIR" in env:
        env["SIM2L_RESULTS_STORAGE_DIR"] = str(work / f"{service}-files")
    subprocess.run([f"sim2l-{service}-service", "migrate"], env=env, check=True)

    command = [
        str(DEPLOY / "docker" / Path(a).name) if a.startswith("/etc/sim2l/") else a
        for a in steps["cmd"]
    ]
    log = open(work / f"{service}-gunicorn.log", "wb")  # noqa: SIM115 (kept open for the server)
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(
                    f"[{service}] gunicorn exited: {(work / f'{service}-gunicorn.log').read_text()}"
                )
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as answer:
                    print(f"[{service}] /ready: {answer.read().decode()}", flush=True)
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"[{service}] never became ready") from None
                time.sleep(0.2)
        health = [
            str(DEPLOY / "docker" / Path(a).name) if a.startswith("/etc/sim2l/") else a
            for a in steps["health"]
        ]
        subprocess.run(health, env=env, check=True)
        print(f"[{service}] HEALTHCHECK passed", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def main(argv=None) -> int:
    """Smoke-test the named services' image recipes (all three by default)."""
    services = (argv if argv is not None else sys.argv[1:]) or list(SERVICES)
    database_url, drop = fresh_database()
    failed = []
    try:
        with tempfile.TemporaryDirectory(prefix="sim2l-image-smoke-") as temporary:
            for service in services:
                try:
                    smoke(service, Path(temporary), database_url)
                except (subprocess.CalledProcessError, RuntimeError) as error:
                    print(f"[{service}] FAILED: {error}", flush=True)
                    failed.append(service)
    finally:
        drop()
    print("image smoke: " + (f"FAILED {' '.join(failed)}" if failed else "all passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
