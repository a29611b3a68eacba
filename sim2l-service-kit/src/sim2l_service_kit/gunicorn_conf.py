"""A gunicorn configuration module: ``gunicorn --config python:sim2l_service_kit.gunicorn_conf``.

The settings are ``gunicorn_settings()`` (see ``gunicorn_settings.py``), read
from the environment; flags on the command line still win over this module,
and ``GUNICORN_CMD_ARGS`` over both.
"""

from sim2l_service_kit.access_log import configure_logging
from sim2l_service_kit.gunicorn_settings import gunicorn_settings
from sim2l_service_kit.gunicorn_settings import migrate_on_starting

globals().update({name: value for name, value in gunicorn_settings().items() if value is not None})
on_starting = migrate_on_starting
configure_logging()
