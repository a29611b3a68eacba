"""The sim2l cache service: simulation results shared across users and machines.

Run it with ``sim2l-cache-service serve --backend sqlite --port 8001`` or under
gunicorn with ``sim2l_cache_service.app:create_app()``.
"""

from sim2l_cache_service.app import create_app

__all__ = ["create_app"]
