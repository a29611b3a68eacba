"""What users import: ``from sim2l.database import RunDatabase, FileManager, ...``.

The run database and the file manager live in sim2l-core itself. The service
clients (``CacheClient``, ``CatalogClient``, ``ResultsClient``) and
``get_session_manager`` are re-exported here by the issue that adds them.
"""

import tempfile
from pathlib import Path

from sim2l_cache_client import CacheClient
from sim2l_catalog_client import CatalogClient
from sim2l_results_client import ResultsClient as _ServiceResultsClient
from sim2l_sessions import SessionManager
from sim2l_sessions import get_session_manager

from sim2l.file_manager import FileManager
from sim2l.rundb import RunDatabase
from sim2l.rundb import RunDatabaseError
from sim2l.rundb.crash_report import crashed_copy

# --- service clients and the session manager -------------------------------


class ResultsClient(_ServiceResultsClient):
    """``sim2l_results_client.ResultsClient`` reading run files from sim2l's run folder.

    ``register_result("exec-2024-001")`` uploads ``{run_db_base_path}/exec-2024-001.db``,
    where ``run_db_base_path`` is the configured one (``configure()``,
    ``SIM2L_RUN_DB_BASE_PATH`` or ``~/.sim2l/runs``) unless given here.
    """

    def __init__(
        self, base_url: str, session_id: str | None = None, run_db_base_path=None, **options
    ):
        if run_db_base_path is None:
            from sim2l.settings import get_settings

            run_db_base_path = get_settings().run_db_base_path
        super().__init__(
            base_url, session_id=session_id, run_db_base_path=run_db_base_path, **options
        )

    def register_result(self, execution_id_or_path, *, replace: bool = False) -> dict:
        """Upload a run file for registration (see the service client's ``register_result``).

        A run whose writing process is gone before it ended is registered as
        ``crashed`` (with when it was last seen): what is uploaded is a copy
        marked so; the run file itself is not changed.
        """
        path, _ = self._resolve(execution_id_or_path)
        if path.is_file():
            with tempfile.TemporaryDirectory(prefix="sim2l-crashed-") as folder:
                try:
                    copy = crashed_copy(path, Path(folder))
                except RunDatabaseError:
                    copy = None  # not a readable run file: the service says what is wrong
                if copy is not None:
                    return super().register_result(copy, replace=replace)
        return super().register_result(execution_id_or_path, replace=replace)


__all__ = [
    "CacheClient",
    "CatalogClient",
    "FileManager",
    "ResultsClient",
    "RunDatabase",
    "SessionManager",
    "get_session_manager",
]
