"""Fixtures shared by sim2l-core's tests (the sim2l_service_kit.testing plugin sets SIM2L_HOME)."""

import pytest
from sim2l.settings import SETTING_NAMES
from sim2l.settings import environment_variable
from sim2l.settings import reset_settings


@pytest.fixture(autouse=True)
def clean_settings(monkeypatch):
    """Every test starts with no configure() values and no SIM2L_* setting variables."""
    reset_settings()
    for name in SETTING_NAMES:
        monkeypatch.delenv(environment_variable(name), raising=False)
    yield
    reset_settings()


@pytest.fixture
def run_folder(tmp_path):
    """A run folder under tmp_path, configured as run_db_base_path."""
    from sim2l import configure

    folder = tmp_path / "runs"
    configure(run_db_base_path=folder)
    return folder
