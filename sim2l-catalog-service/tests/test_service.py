"""Health, readiness, metrics, OpenAPI coverage, migrations and the command line."""

import subprocess
import sys

import pytest
import requests
from sim2l_catalog_service.app import create_app
from sim2l_catalog_service.cli import main
from sim2l_catalog_service.versions import InvalidVersionError
from sim2l_catalog_service.versions import version_key
from sim2l_service_kit import route_privileges
from sim2l_service_kit.testing.openapi import check_document
from sim2l_sessions.migrations import UnmigratedDatabaseError


def test_health_ready_metrics(url, clients, thermal):
    assert clients["user"].health()["status"] == "ok"
    assert requests.get(url + "/ready", timeout=10).json()["status"] == "ready"
    metrics = requests.get(url + "/metrics", timeout=10).text
    assert 'sim2l_catalog_simulation_versions{service="catalog"} 1' in metrics
    assert "thermal_sim" not in metrics


def _openapi_path(rule: str) -> str:
    import re

    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def test_openapi_documents_every_route(app, url):
    document = requests.get(url + "/openapi.json", timeout=10).json()
    for method, rule in route_privileges(app):
        operation = document["paths"][_openapi_path(rule)][method.lower()]
        assert operation["responses"], (method, rule)
    assert document["info"]["version"] == "1.0.0"


def test_unmigrated_database_is_refused(database_url):
    with pytest.raises(UnmigratedDatabaseError, match="sim2l-catalog-service migrate"):
        create_app({"database_url": database_url})


def test_migrate_command_then_the_app_starts(database_url, capsys):
    assert main(["migrate", "--db-url", database_url]) == 0
    assert "2 migration(s) applied" in capsys.readouterr().err
    create_app({"database_url": database_url})


def test_backend_flag_must_match_the_url(tmp_path, capsys):
    arguments = ["migrate", "--backend", "postgresql", "--db-url", f"sqlite:///{tmp_path}/c.db"]
    assert main(arguments) == 1
    assert "does not match" in capsys.readouterr().err


def test_module_entry_point_help():
    result = subprocess.run(
        [sys.executable, "-m", "sim2l_catalog_service", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "serve" in result.stdout and "migrate" in result.stdout


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("1.9.0", "1.10.0"),
        ("1.0.0-rc.1", "1.0.0"),
        ("1.0.0-alpha", "1.0.0-alpha.1"),
        ("1.0.0-alpha.1", "1.0.0-alpha.beta"),
        ("1.0.0-beta.2", "1.0.0-beta.11"),
        ("1.0.0-alpha.1", "1.0.0-alpha-x"),
        ("0.9.9", "1"),
        ("1.2", "1.2.1"),
        ("9.0.0", "10.0.0"),
    ],
)
def test_version_order(older, newer):
    assert version_key(older) < version_key(newer)


def test_build_metadata_does_not_order():
    assert version_key("1.0.0+a") == version_key("1.0.0+b") == version_key("1.0.0")


@pytest.mark.parametrize("bad", ["", "v1.0.0", "1.0.0.0", "01.2.3", "1.0.0-", "1..0", None])
def test_invalid_versions(bad):
    with pytest.raises(InvalidVersionError):
        version_key(bad)


def test_the_generated_document_describes_every_route(app):
    check_document(app)
