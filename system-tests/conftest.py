"""Fixtures of the system tests: the three services, and sessions of every role."""

import importlib
import os
import time

import pytest
from sim2l_service_kit.testing.postgres_cluster import ClusterUnavailable
from sim2l_service_kit.testing.postgres_cluster import ThrowawayCluster
from sim2l_sessions.manager import SessionManager
from sim2l_sessions.privileges import ROLES as ROLE_PRIVILEGES
from sim2l_sessions.tokens import new_claims

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


def expired_token(manager: SessionManager) -> str:
    """A genuine admin token whose expiry passed a minute ago."""
    claims = new_claims("old", "admin", ROLE_PRIVILEGES["admin"], 3600)
    claims["exp"] = time.time() - 60
    return manager.codec.encode(claims)


@pytest.fixture
def tokens():
    """Fresh tokens: one per role, an anonymous one, a forged, an expired and a revoked one."""
    manager = SessionManager(revocation_refresh_seconds=0)
    result = {role: manager.create_session(f"{role}-person", role).session_id for role in ROLES}
    result["anonymous"] = manager.create_anonymous_session(privileges=["user"]).session_id
    genuine = manager.create_session("mallory", "admin").session_id
    result["forged"] = (
        SessionManager(secret_keys=["f" * 40]).create_session("mallory", "admin").session_id
    )
    flipped = "B" if genuine[10] != "B" else "C"  # an edited payload, same signature
    result["edited"] = genuine[:10] + flipped + genuine[11:]
    result["expired"] = expired_token(manager)
    revoked = manager.create_session("gone", "admin").session_id
    manager.invalidate_session(revoked)
    result["revoked"] = revoked
    return result


@pytest.fixture
def cluster():
    """A private PostgreSQL cluster on a free port, stopped and deleted after the test.

    For tests that stop or crash the database, which they must never do to
    the shared server. Without the server binaries the test is skipped, or
    fails when ``SIM2L_REQUIRE_POSTGRES=1`` (as in CI).
    """
    try:
        cluster = ThrowawayCluster()
    except ClusterUnavailable as error:
        if os.environ.get("SIM2L_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"SIM2L_REQUIRE_POSTGRES=1 but no throwaway cluster: {error}")
        pytest.skip(str(error))
    try:
        yield cluster.start()
    finally:
        cluster.close()
