"""Gunicorn settings for the sim2l service images: the service kit's, read from the environment.

Every image runs ``gunicorn --config /etc/sim2l/gunicorn.conf.py APP``; the
settings themselves live once, in ``sim2l_service_kit.gunicorn_settings``,
which ``sim2l-<service>-service serve`` uses too. The images differ only in
``SIM2L_SERVICE`` and ``PORT`` (set by their Dockerfiles). Flags on the command
line still win over this file, and ``GUNICORN_CMD_ARGS`` over both defaults.
"""

from sim2l_service_kit.gunicorn_conf import *  # noqa: F403 (gunicorn reads module globals)
