"""Fixtures of the system tests: the three services, and sessions of every role."""

import importlib

import pytest
from sim2l_sessions.manager import SessionManager

SERVICES = {
    "cache": "sim2l_cache_service.app",
    "catalog": "sim2l_catalog_service.app",
    "results": "sim2l_results_service.app",
}
ROLES = ("user", "developer", "admin")


def create_service_app(service: str, database_url: str, **overrides):
    """The service's own ``create_app`` on a fresh database, migrated."""
    module = importlib.import_module(SERVICES[service])
    config = {"database_url": database_url, "auto_migrate": True, "revocation_refresh_seconds": 0}
    config.update(overrides)
    return module.create_app(config)


@pytest.fixture
def tokens():
    """Fresh tokens: one per role, an anonymous one, a forged, an expired and a revoked one."""
    manager = SessionManager(revocation_refresh_seconds=0)
    result = {role: manager.create_session(f"{role}-person", role).session_id for role in ROLES}
    result["anonymous"] = manager.create_anonymous_session().session_id
    genuine = manager.create_session("mallory", "admin").session_id
    result["forged"] = (
        SessionManager(secret_keys=["f" * 40]).create_session("mallory", "admin").session_id
    )
    result["edited"] = genuine[:-3] + ("AAA" if not genuine.endswith("AAA") else "BBB")
    result["expired"] = manager.create_session("old", "admin", ttl_hours=1e-9).session_id
    revoked = manager.create_session("gone", "admin").session_id
    manager.invalidate_session(revoked)
    result["revoked"] = revoked
    return result
