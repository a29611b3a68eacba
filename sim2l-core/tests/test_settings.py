"""configure() over SIM2L_* environment over defaults."""

import pytest
from sim2l import SettingsError
from sim2l import configure
from sim2l import get_settings


def test_defaults_follow_sim2l_home(sim2l_home):
    settings = get_settings()
    assert settings.run_db_base_path == sim2l_home / "runs"
    assert settings.use_run_database is True
    assert settings.catalog_auto_sync is False
    assert settings.cache_service_url is None


def test_environment_overrides_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("SIM2L_RUN_DB_BASE_PATH", str(tmp_path / "env-runs"))
    monkeypatch.setenv("SIM2L_USE_RUN_DATABASE", "false")
    monkeypatch.setenv("SIM2L_CATALOG_AUTO_SYNC", "true")
    monkeypatch.setenv("SIM2L_CACHE_SERVICE_URL", "http://localhost:8001/")
    monkeypatch.setenv("SIM2L_RESULTS_SESSION_ID", "session-id-here")
    settings = get_settings()
    assert settings.run_db_base_path == tmp_path / "env-runs"
    assert settings.use_run_database is False
    assert settings.catalog_auto_sync is True
    assert settings.cache_service_url == "http://localhost:8001"
    assert settings.results_session_id == "session-id-here"


def test_configure_overrides_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SIM2L_RUN_DB_BASE_PATH", str(tmp_path / "env-runs"))
    configure(run_db_base_path=str(tmp_path / "custom"), use_run_database=False)
    assert get_settings().run_db_base_path == tmp_path / "custom"
    assert get_settings().use_run_database is False
    configure(run_db_base_path=None)  # None forgets the configured value
    assert get_settings().run_db_base_path == tmp_path / "env-runs"


def test_seed_configure_call():
    settings = configure(
        use_run_database=True,
        cache_service_url="http://localhost:8001",
        cache_session_id="abc",
        catalog_service_url="http://localhost:8002",
        catalog_session_id="abc",
        results_service_url="http://localhost:8003",
        results_session_id="abc",
        catalog_auto_sync=True,
    )
    assert settings.catalog_service_url == "http://localhost:8002"
    assert settings.catalog_auto_sync is True


def test_unknown_setting_is_named():
    with pytest.raises(SettingsError, match="cache_url"):
        configure(cache_url="http://localhost:8001")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("use_run_database", "maybe"),
        ("use_run_database", 1.5),
        ("catalog_auto_sync", "sometimes"),
        ("cache_service_url", "localhost:8001"),
        ("catalog_service_url", "ftp://x"),
        ("results_service_url", 8003),
        ("cache_session_id", 42),
        ("run_db_base_path", ""),
        ("run_db_base_path", 3),
        ("file_manager_database_url", "mysql://x"),
    ],
)
def test_malformed_value_is_named_and_changes_nothing(name, value):
    configure(cache_session_id="before")
    with pytest.raises(SettingsError, match=name):
        configure(**{"cache_session_id": "changed", name: value})
    assert get_settings().cache_session_id == "before"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SIM2L_USE_RUN_DATABASE", "perhaps"),
        ("SIM2L_CATALOG_AUTO_SYNC", "2"),
        ("SIM2L_CACHE_SERVICE_URL", "not a url"),
    ],
)
def test_malformed_environment_is_named(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        get_settings()


def test_version_is_exported():
    import sim2l

    assert sim2l.__version__ == "1.0.0"
