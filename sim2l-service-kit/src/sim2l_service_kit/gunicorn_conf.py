"""The images' gunicorn configuration: ``gunicorn --config python:sim2l_service_kit.gunicorn_conf``.

The settings are ``gunicorn_settings()`` (see ``gunicorn_settings.py``), read
from the environment, which ``serve`` uses too; the hooks are the metrics
directory's (``gunicorn_hooks``) and, on starting, the optional migration.
Flags on the command line still win over this module, and
``GUNICORN_CMD_ARGS`` over both.
"""

from sim2l_service_kit.access_log import configure_logging
from sim2l_service_kit.gunicorn_hooks import child_exit  # noqa: F401 (a gunicorn hook)
from sim2l_service_kit.gunicorn_hooks import on_exit  # noqa: F401 (a gunicorn hook)
from sim2l_service_kit.gunicorn_settings import gunicorn_settings
from sim2l_service_kit.gunicorn_settings import migrate_on_starting

globals().update({name: value for name, value in gunicorn_settings().items() if value is not None})
on_starting = migrate_on_starting
configure_logging()
