"""The sim2l catalog service: the registry of every sim2l tool and version.

``create_app()`` builds the Flask app (see ``app.py``); ``sim2l-catalog-service``
serves and migrates it (see ``cli.py``).
"""

from sim2l_catalog_service.app import create_app

__all__ = ["create_app"]
