"""The results service's configuration keys and their defaults.

Every key can be set by ``SIM2L_RESULTS_<KEY>`` (see ``sim2l_service_kit.load_config``).
"""

from pathlib import Path

from sim2l_service_kit import load_config
from sim2l_sessions.paths import sim2l_home
from sim2l_sessions.services import RESULTS

SERVICE = RESULTS  # name, port, distribution and packages: the services table's row

DEFAULTS = {
    # Folder where registered run files are kept, named <execution_id>.db.
    # Empty means <SIM2L_HOME>/results-files.
    "storage_dir": "",
    # Largest run file accepted by POST /results (413 beyond).
    "max_upload_bytes": 256 * 1024 * 1024,
    # Limits on what one run file may hold, so a hostile file cannot make
    # the service store millions of rows or megabyte index keys.
    "max_parameters": 10000,
    "max_artifacts": 10000,
    "max_value_json_bytes": 1024 * 1024,
    # A value whose JSON is larger than this is not embedded in the result
    # (answers show a {"truncated": true, ...} marker in its place; the run
    # file keeps it whole), so a result's size, and a page's, stay bounded.
    "max_embedded_value_bytes": 4096,
    # Bytes of inputs (and as many of outputs) each item of a list or search
    # page shows at most, in name order; the item then says how many it left
    # out. A page is at most limit x (2 x this + about 1 KiB) bytes.
    "max_page_params_bytes": 16 * 1024,
    # Seconds an introspection may take before it is abandoned (a corrupt or
    # crafted file cannot keep a worker busy).
    "introspection_timeout_seconds": 10.0,
    # SQLite only: bytes of the database file read through a memory map.
    "sqlite_mmap_bytes": 256 * 1024 * 1024,
    # PostgreSQL only: run searches and statistics as server-side prepared
    # statements, prepared once per connection. Turn off behind a
    # transaction-mode PgBouncer, which does not keep them.
    "postgresql_prepared_statements": True,
}


def results_config(overrides: dict | None = None) -> dict:
    """The effective configuration: defaults, environment, then ``overrides``."""
    config = load_config(SERVICE.name, DEFAULTS, overrides)
    if not config["storage_dir"]:
        config["storage_dir"] = str(sim2l_home() / "results-files")
    config["storage_dir"] = str(Path(config["storage_dir"]).expanduser())
    return config
