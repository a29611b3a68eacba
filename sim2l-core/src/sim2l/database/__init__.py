"""What users import: ``from sim2l.database import RunDatabase, FileManager, ...``.

The run database and the file manager live in sim2l-core itself. The service
clients (``CacheClient``, ``CatalogClient``, ``ResultsClient``) and
``get_session_manager`` are re-exported here by the issue that adds them.
"""

from sim2l.file_manager import FileManager
from sim2l.rundb import RunDatabase

# --- service clients and the session manager -------------------------------
# Re-exports of sim2l_cache_client.CacheClient, sim2l_catalog_client.CatalogClient,
# sim2l_results_client.ResultsClient and sim2l_sessions.get_session_manager
# (with SessionManager) go here, and into __all__ below.

__all__ = [
    "FileManager",
    "RunDatabase",
]
