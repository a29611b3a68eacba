"""sim2l settings: ``configure()`` over ``SIM2L_*`` environment over defaults.

Every setting has a parser that turns a configured or environment value into
its typed form, or raises ``SettingsError`` naming the setting. The environment
is read each time settings are resolved (not once at import), so a process can
change ``SIM2L_*`` variables and tests can patch them.
"""

import contextvars
import os
import threading
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sim2l_sessions.paths import sim2l_home


class SettingsError(ValueError):
    """An unknown setting, or a value that is not valid for its setting."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _parse_bool(name: str, value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise SettingsError(f"setting {name!r} must be a boolean (true/false), got {value!r}")


def _parse_path(name: str, value) -> Path:
    if isinstance(value, (str, os.PathLike)) and str(value).strip():
        return Path(value).expanduser()
    raise SettingsError(f"setting {name!r} must be a folder path, got {value!r}")


def _parse_service_url(name: str, value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        parts = urllib.parse.urlsplit(value.strip())
        if parts.scheme in ("http", "https") and parts.netloc:
            return value.strip().rstrip("/")
    raise SettingsError(f"setting {name!r} must be an http:// or https:// URL, got {value!r}")


def _parse_session_id(name: str, value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip() and value.isprintable():
        return value.strip()
    raise SettingsError(f"setting {name!r} must be a session id string, got {value!r}")


def _parse_database_url(name: str, value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.split(":", 1)[0] in ("sqlite", "postgres", "postgresql"):
        return value
    raise SettingsError(
        f"setting {name!r} must be a sqlite:/// or postgresql:// URL, got {value!r}"
    )


@dataclass(frozen=True)
class Settings:
    """The resolved settings; read them with ``get_settings()``."""

    use_run_database: bool
    run_db_base_path: Path
    cache_service_url: str | None
    cache_session_id: str | None
    catalog_service_url: str | None
    catalog_session_id: str | None
    results_service_url: str | None
    results_session_id: str | None
    catalog_auto_sync: bool
    file_manager_database_url: str | None
    trace_python_memory: bool = False


# name -> (parser, default factory). Defaults are factories because the run
# folder follows SIM2L_HOME, which may change while the process runs.
_SPEC = {
    "use_run_database": (_parse_bool, lambda: True),
    "run_db_base_path": (_parse_path, lambda: sim2l_home() / "runs"),
    "cache_service_url": (_parse_service_url, lambda: None),
    "cache_session_id": (_parse_session_id, lambda: None),
    "catalog_service_url": (_parse_service_url, lambda: None),
    "catalog_session_id": (_parse_session_id, lambda: None),
    "results_service_url": (_parse_service_url, lambda: None),
    "results_session_id": (_parse_session_id, lambda: None),
    "catalog_auto_sync": (_parse_bool, lambda: False),
    "file_manager_database_url": (_parse_database_url, lambda: None),
    # tracemalloc makes allocation-heavy Python code several times slower
    # (measured 8x on a loop building dicts), so a run's Python peak memory is
    # traced only when asked; its peak RSS is recorded always.
    "trace_python_memory": (_parse_bool, lambda: False),
}

SETTING_NAMES = tuple(_SPEC)

_overrides: dict = {}
_lock = threading.Lock()


def environment_variable(name: str) -> str:
    """The environment variable of a setting: ``SIM2L_`` + its name in capitals."""
    return "SIM2L_" + name.upper()


def configure(**settings) -> Settings:
    """Set settings for this process; they win over ``SIM2L_*`` variables.

    Every value is checked before any is applied, so a bad call changes
    nothing. Passing ``None`` removes an earlier ``configure()`` value, so the
    environment or the default applies again. Returns the resolved settings.
    """
    unknown = sorted(set(settings) - set(_SPEC))
    if unknown:
        raise SettingsError(
            f"unknown setting(s): {', '.join(unknown)}; known: {', '.join(SETTING_NAMES)}"
        )
    parsed = {}
    for name, value in settings.items():
        parsed[name] = None if value is None else _SPEC[name][0](name, value)
    with _lock:
        for name, value in parsed.items():
            if settings[name] is None:
                _overrides.pop(name, None)
            else:
                _overrides[name] = value
    return get_settings()


# Settings pinned for one thread or task by settings_in_force(): a sweep's
# point runs on a worker with the caller's settings, whatever the worker's own
# configure() values and environment say.
_pinned: contextvars.ContextVar[Settings | None] = contextvars.ContextVar(
    "sim2l_settings_in_force", default=None
)


@contextmanager
def settings_in_force(settings: Settings):
    """Make ``get_settings()`` return exactly ``settings`` in this thread for the block.

    This is how a sweep point runs on a worker process or machine with the
    settings of the process that started the sweep. ``configure()`` inside
    the block changes the process's settings, which apply after the block.
    """
    if not isinstance(settings, Settings):
        raise TypeError(f"settings_in_force() takes a Settings, not {type(settings).__name__}")
    token = _pinned.set(settings)
    try:
        yield settings
    finally:
        _pinned.reset(token)


def get_settings() -> Settings:
    """The settings in force: ``configure()`` values, else environment, else defaults."""
    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    with _lock:
        overrides = dict(_overrides)
    values = {}
    for name, (parser, default) in _SPEC.items():
        if name in overrides:
            values[name] = overrides[name]
            continue
        variable = environment_variable(name)
        raw = os.environ.get(variable)
        if raw is None:
            values[name] = default()
            continue
        # The parser's error names the variable, which is what the user set.
        value = parser(variable, raw)
        values[name] = default() if value is None else value
    return Settings(**values)


def reset_settings() -> None:
    """Forget every ``configure()`` value (for tests)."""
    with _lock:
        _overrides.clear()
