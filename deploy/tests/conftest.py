"""Fixtures of the deploy/ tests: the checker module, loaded from its file."""

import importlib.util
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def deploy_check():
    """deploy/check.py as a module (deploy/ is not a package)."""
    spec = importlib.util.spec_from_file_location("deploy_check", DEPLOY / "check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
