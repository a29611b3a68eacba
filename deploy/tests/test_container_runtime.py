"""The pieces the images run, exercised without a Docker engine.

- ``docker/gunicorn.conf.py``: loads in gunicorn, and its ``on_starting`` hook
  migrates an empty database when ``SIM2L_MIGRATE_ON_START`` is set (the compose
  setup); without it a service refuses an unmigrated database (Kubernetes,
  where the Job migrates).
- ``docker/healthcheck.py``: exit 0 against a live /health, 1 otherwise.
- The variables the manifests and the compose file set are settings the
  services really read, with values they accept.
"""

import importlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[1]
DOCKER = DEPLOY / "docker"
SERVICES = ("cache", "catalog", "results")
# Variables read by something other than a service's load_config.
OTHER_VARIABLES = {
    "SIM2L_HOME",  # sim2l_sessions.paths
    "SIM2L_SECRET_KEY",  # shared key of load_config and the session manager
    "SIM2L_SESSIONS_DATABASE_URL",  # shared key of load_config and the store
    "SIM2L_MIGRATE_ON_START",  # docker/gunicorn.conf.py
    "SIM2L_SERVICE",  # docker/gunicorn.conf.py
    "SIM2L_ACCESS_LOG",  # docker/gunicorn.conf.py
    "WEB_CONCURRENCY",  # docker/gunicorn.conf.py
    "PORT",  # docker/gunicorn.conf.py and healthcheck.py
    "POSTGRES_USER",  # the postgres image
    "POSTGRES_PASSWORD",
    "POSTGRES_DB",
    "PGDATA",
}


def require_service(service: str) -> None:
    if importlib.util.find_spec(f"sim2l_{service}_service") is None:
        pytest.skip(f"sim2l-{service}-service is not installed")


def container_environment(service: str, tmp_path: Path, **extra) -> dict:
    """What compose's dev profile gives a container: SQLite files, the image's config."""
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    env = {
        "SIM2L_SERVICE": service,
        "SIM2L_HOME": str(tmp_path / "home"),
        f"SIM2L_{service.upper()}_DATABASE_URL": f"sqlite:///{data / (service + '.db')}",
        "SIM2L_SESSIONS_DATABASE_URL": f"sqlite:///{data / 'sessions.db'}",
        "SIM2L_RESULTS_STORAGE_DIR": str(tmp_path / "results"),
        "SIM2L_ACCESS_LOG": "",
        "GUNICORN_CMD_ARGS": f"--config {DOCKER / 'gunicorn.conf.py'}",
        # The image's PATH starts with its virtualenv; the hook runs the console script.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.update(extra)
    return env


@pytest.mark.parametrize("service", SERVICES)
def test_migrate_on_start_serves_an_empty_database(service, tmp_path):
    from sim2l_service_kit.testing.benchmarking import GunicornServer

    require_service(service)
    env = container_environment(service, tmp_path, SIM2L_MIGRATE_ON_START="true")
    with GunicornServer(
        f"sim2l_{service}_service.app:create_app()", env=env, workers=2, ready_path="/ready"
    ) as server:
        import requests

        assert requests.get(server.url + "/ready", timeout=10).json()["status"] == "ready"


@pytest.mark.parametrize("service", SERVICES)
def test_without_migrations_a_replica_refuses_to_start(service, tmp_path):
    from sim2l_service_kit.testing.benchmarking import GunicornServer

    require_service(service)
    server = GunicornServer(
        f"sim2l_{service}_service.app:create_app()",
        env=container_environment(service, tmp_path),
        workers=1,
    )
    with pytest.raises(RuntimeError) as refusal:
        server.start()
    server.stop()
    assert f"sim2l-{service}-service migrate" in str(refusal.value)


def test_image_healthcheck_reports_health(tmp_path):
    from sim2l_service_kit.testing.benchmarking import GunicornServer
    from sim2l_service_kit.testing.benchmarking import free_port

    script = [sys.executable, str(DOCKER / "healthcheck.py")]
    with GunicornServer(
        "sim2l_service_kit.testing.benchmarking:bare_flask_app()", workers=1
    ) as server:
        healthy = subprocess.run(script, env={**os.environ, "PORT": str(server.port)}, timeout=10)
    assert healthy.returncode == 0
    nothing = subprocess.run(script, env={**os.environ, "PORT": str(free_port())}, timeout=10)
    assert nothing.returncode == 1


def read_env_file(path: Path) -> dict:
    pairs = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name] = value
    return pairs


def variables_set_by_deploy() -> dict:
    """Every variable the ConfigMap, the manifests, the env examples and compose set."""
    variables = dict(read_env_file(DEPLOY / "base" / "config.properties"))
    for example in DEPLOY.rglob("*.env.example"):
        variables.update(read_env_file(example))
    for manifest in DEPLOY.rglob("*.yaml"):
        for document in yaml.safe_load_all(manifest.read_text()):
            if not isinstance(document, dict):
                continue
            if "services" in document:  # compose
                for service in document["services"].values():
                    variables.update(service.get("environment") or {})
                continue
            containers = (
                document.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])
            )
            for container in containers:
                for item in container.get("env", []):
                    variables.setdefault(item["name"], item.get("value", ""))
    return variables


def dashboard_variables() -> set[str]:
    """The variables sim2l-web reads (the service URLs, ``SIM2L_WEB_<KEY>``)."""
    if importlib.util.find_spec("sim2l_web") is None:
        return {f"SIM2L_{service.upper()}_SERVICE_URL" for service in SERVICES}
    from sim2l_web import config

    return {variable for variable, _ in config.SERVICE_URL_ENVIRONMENT.values()} | {
        config.ENV_PREFIX + key.upper() for key in config.DEFAULTS
    }


def test_every_variable_deploy_sets_is_read_by_something():
    from sim2l_service_kit.config import COMMON_DEFAULTS

    unknown = []
    for name in variables_set_by_deploy():
        if name in OTHER_VARIABLES or name.startswith("GUNICORN_"):
            continue
        if name in dashboard_variables():
            continue
        service = next((s for s in SERVICES if name.startswith(f"SIM2L_{s.upper()}_")), None)
        if service is None:
            unknown.append(name)
            continue
        key = name[len(f"SIM2L_{service.upper()}_") :].lower()
        known = set(COMMON_DEFAULTS)
        if importlib.util.find_spec(f"sim2l_{service}_service") is not None:
            known |= set(importlib.import_module(f"sim2l_{service}_service.config").DEFAULTS)
        elif key not in known:
            continue  # cannot tell without the service
        if key not in known:
            unknown.append(name)
    assert unknown == []


@pytest.mark.parametrize("service", SERVICES)
def test_the_configmap_values_load(service, monkeypatch):
    require_service(service)
    from sim2l_service_kit.config import load_config

    for name, value in read_env_file(DEPLOY / "base" / "config.properties").items():
        monkeypatch.setenv(name, value)
    defaults = importlib.import_module(f"sim2l_{service}_service.config").DEFAULTS
    config = load_config(service, defaults)
    assert config["pool_size"] == 4
    assert config["revocation_refresh_seconds"] == 1.0
