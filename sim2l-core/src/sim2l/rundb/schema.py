"""The run file's schema: DDL, version, and ``describe()`` for readers.

The schema is a contract: the results service opens uploaded run files
read-only and reads these tables with plain SQL, so tables and columns are only
ever added (with a migration in ``migrations.py``), never renamed or dropped.
SCHEMA.md beside the package documents every table.

Timestamps are REAL seconds since the Unix epoch (UTC). Typed values use the
four value columns described in ``sim2l.rundb.values``.
"""

SCHEMA_VERSION = 2

# Shared by inputs and outputs (and the default of a parameter schema).
_VALUE_COLUMNS = """
    value_kind TEXT NOT NULL,
    value_json TEXT,
    value_number REAL,
    value_blob BLOB
"""

TABLES = {
    "schema_version": """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    applied_at REAL NOT NULL,
    description TEXT
)""",
    "run": """
CREATE TABLE IF NOT EXISTS run (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    execution_id TEXT NOT NULL,
    simulation_name TEXT,
    simulation_version TEXT,
    status TEXT NOT NULL DEFAULT 'created',
    description TEXT,
    username TEXT,
    input_hash TEXT,
    squid_id TEXT,
    metadata_json TEXT,
    created_at REAL NOT NULL,
    started_at REAL,
    completed_at REAL,
    duration_seconds REAL,
    error_message TEXT,
    traceback TEXT,
    warning_count INTEGER NOT NULL DEFAULT 0,
    error_count INTEGER NOT NULL DEFAULT 0,
    artifact_count INTEGER NOT NULL DEFAULT 0,
    artifact_bytes INTEGER NOT NULL DEFAULT 0
)""",
    "parameter_schemas": """
CREATE TABLE IF NOT EXISTS parameter_schemas (
    direction TEXT NOT NULL CHECK (direction IN ('input', 'output')),
    name TEXT NOT NULL,
    type TEXT,
    units TEXT,
    min_value REAL,
    max_value REAL,
    description TEXT,
    options_json TEXT,
    required INTEGER NOT NULL DEFAULT 0,
    default_kind TEXT,
    default_json TEXT,
    default_blob BLOB,
    PRIMARY KEY (direction, name)
)""",
    "inputs": f"""
CREATE TABLE IF NOT EXISTS inputs (
    name TEXT PRIMARY KEY,
    type TEXT,
    {_VALUE_COLUMNS},
    units TEXT,
    description TEXT,
    created_at REAL NOT NULL
)""",
    "outputs": f"""
CREATE TABLE IF NOT EXISTS outputs (
    name TEXT PRIMARY KEY,
    type TEXT,
    {_VALUE_COLUMNS},
    units TEXT,
    description TEXT,
    created_at REAL NOT NULL
)""",
    "blobs": """
CREATE TABLE IF NOT EXISTS blobs (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    chunk_size INTEGER NOT NULL,
    chunk_count INTEGER NOT NULL
)""",
    "blob_chunks": """
CREATE TABLE IF NOT EXISTS blob_chunks (
    blob_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (blob_id, seq)
) WITHOUT ROWID""",
    "artifacts": """
CREATE TABLE IF NOT EXISTS artifacts (
    name TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL REFERENCES blobs (sha256),
    size INTEGER NOT NULL,
    content_type TEXT,
    category TEXT NOT NULL DEFAULT 'output',
    description TEXT,
    source_name TEXT,
    created_at REAL NOT NULL
)""",
    "logs": """
CREATE TABLE IF NOT EXISTS logs (
    id INTEGER PRIMARY KEY,
    timestamp REAL NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL,
    source TEXT,
    context_json TEXT
)""",
    "metrics": """
CREATE TABLE IF NOT EXISTS metrics (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    value REAL,
    unit TEXT,
    category TEXT,
    step INTEGER,
    timestamp REAL NOT NULL
)""",
    "resource_usage": """
CREATE TABLE IF NOT EXISTS resource_usage (
    id INTEGER PRIMARY KEY,
    timestamp REAL NOT NULL,
    cpu_percent REAL,
    memory_bytes INTEGER,
    peak_memory_bytes INTEGER,
    disk_read_bytes INTEGER,
    disk_write_bytes INTEGER,
    gpu_percent REAL,
    gpu_memory_bytes INTEGER,
    extra_json TEXT
)""",
    "provenance": """
CREATE TABLE IF NOT EXISTS provenance (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    entity TEXT NOT NULL,
    description TEXT,
    sha256 TEXT,
    details_json TEXT,
    timestamp REAL NOT NULL
)""",
    "environment": """
CREATE TABLE IF NOT EXISTS environment (
    key TEXT PRIMARY KEY,
    value TEXT
)""",
    "packages": """
CREATE TABLE IF NOT EXISTS packages (
    name TEXT PRIMARY KEY,
    version TEXT
)""",
    "tags": """
CREATE TABLE IF NOT EXISTS tags (
    key TEXT PRIMARY KEY,
    value TEXT
)""",
    "checkpoints": f"""
CREATE TABLE IF NOT EXISTS checkpoints (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    step INTEGER,
    {_VALUE_COLUMNS},
    sha256 TEXT REFERENCES blobs (sha256),
    size INTEGER,
    timestamp REAL NOT NULL
)""",
    "status_events": """
CREATE TABLE IF NOT EXISTS status_events (
    id INTEGER PRIMARY KEY,
    timestamp REAL NOT NULL,
    status TEXT NOT NULL,
    message TEXT
)""",
    "cell_executions": """
CREATE TABLE IF NOT EXISTS cell_executions (
    id INTEGER PRIMARY KEY,
    cell_index INTEGER NOT NULL,
    execution_count INTEGER,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at REAL,
    duration_seconds REAL,
    output TEXT
)""",
    # Added within version 2 (files written before lack it; the first writer
    # to open such a file adds it): who writes the run and when it was last seen.
    "writer": """
CREATE TABLE IF NOT EXISTS writer (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pid INTEGER NOT NULL,
    host TEXT,
    boot_id TEXT,
    started_at REAL NOT NULL,
    last_seen_at REAL NOT NULL
)""",
    "dependencies": """
CREATE TABLE IF NOT EXISTS dependencies (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('run', 'file', 'package', 'service')),
    target TEXT NOT NULL,
    version TEXT,
    sha256 TEXT,
    description TEXT
)""",
}

INDEXES = """
CREATE INDEX IF NOT EXISTS logs_level ON logs (level);
CREATE INDEX IF NOT EXISTS metrics_name_step ON metrics (name, step);
CREATE INDEX IF NOT EXISTS metrics_category ON metrics (category);
CREATE INDEX IF NOT EXISTS artifacts_category ON artifacts (category);
CREATE INDEX IF NOT EXISTS checkpoints_name ON checkpoints (name, step);
"""

# get_summary() must cost the same whatever the run's size. Inputs, outputs,
# logs and metrics are never deleted and get rowids max+1 (an upsert that hits
# an existing name inserts nothing), so their counts are max(rowid): one
# B-tree seek. Warnings, errors and artifacts are few, so triggers count them
# in the run row; a trigger on every log row would slow batch writes by a third.
TRIGGERS = """
CREATE TRIGGER IF NOT EXISTS logs_count_warning AFTER INSERT ON logs
WHEN NEW.level = 'WARNING'
BEGIN UPDATE run SET warning_count = warning_count + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS logs_count_error AFTER INSERT ON logs
WHEN NEW.level IN ('ERROR', 'CRITICAL')
BEGIN UPDATE run SET error_count = error_count + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS artifacts_count_insert AFTER INSERT ON artifacts
BEGIN UPDATE run SET artifact_count = artifact_count + 1,
    artifact_bytes = artifact_bytes + NEW.size WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS artifacts_count_update AFTER UPDATE OF size ON artifacts
BEGIN UPDATE run SET artifact_bytes = artifact_bytes - OLD.size + NEW.size WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS artifacts_count_delete AFTER DELETE ON artifacts
BEGIN UPDATE run SET artifact_count = artifact_count - 1,
    artifact_bytes = artifact_bytes - OLD.size WHERE id = 1; END;
"""

# The run row with every count: what get_summary() and the results service read.
VIEWS = """
CREATE VIEW IF NOT EXISTS run_summary AS
SELECT run.*,
    coalesce((SELECT max(rowid) FROM inputs), 0) AS input_count,
    coalesce((SELECT max(rowid) FROM outputs), 0) AS output_count,
    coalesce((SELECT max(id) FROM logs), 0) AS log_count,
    coalesce((SELECT max(id) FROM metrics), 0) AS metric_count
FROM run WHERE run.id = 1;
"""

# Recomputes the trigger-kept counters from the rows; migrations run it.
RECOUNT = """
UPDATE run SET
    warning_count = (SELECT count(*) FROM logs WHERE level = 'WARNING'),
    error_count = (SELECT count(*) FROM logs WHERE level IN ('ERROR', 'CRITICAL')),
    artifact_count = (SELECT count(*) FROM artifacts),
    artifact_bytes = (SELECT coalesce(sum(size), 0) FROM artifacts)
WHERE id = 1
"""

TABLE_DESCRIPTIONS = {
    "schema_version": "one row per schema version applied to this file; max(version) is current",
    "run": "exactly one row (id = 1): run metadata, status, warning/error/artifact counters",
    "run_summary (view)": "the run row plus input_count, output_count, log_count, metric_count",
    "parameter_schemas": "declared inputs and outputs: type, units, min, max, default, options",
    "inputs": "input values by name, typed (value_kind/value_json/value_number/value_blob)",
    "outputs": "output values by name, typed like inputs",
    "blobs": "content-addressed artifact and checkpoint contents, keyed by sha256",
    "blob_chunks": "the bytes of each blob (blob_id = blobs.id) in order of seq",
    "artifacts": "named files of the run pointing at a blob; size, content type, category",
    "logs": "log records: timestamp, level (DEBUG..CRITICAL), message, source, context",
    "metrics": "numeric metrics and time series (step), with unit and category",
    "resource_usage": "samples of CPU, memory, disk and GPU use",
    "provenance": "where inputs and code came from: kind, entity, hash, details",
    "environment": "key/value facts about where the run ran (host, python, platform, ...)",
    "packages": "installed Python distributions and their versions",
    "tags": "free key/value labels",
    "checkpoints": "named, stepped states: a typed value and/or a blob",
    "status_events": "every status change of the run, in order",
    "cell_executions": "notebook cells executed as part of the run",
    "dependencies": "other runs, files, packages or services this run depends on",
    "writer": "the process writing the run (pid, host, boot id) and when it was last seen",
}


def create_schema_script() -> str:
    """The SQL that creates the current schema (every statement idempotent)."""
    tables = ";\n".join(TABLES.values())
    return f"{tables};\n{INDEXES}\n{TRIGGERS}\n{VIEWS}"


def describe() -> dict:
    """Table name -> description of the current schema, for tools and documentation."""
    return {"schema_version": SCHEMA_VERSION, "tables": dict(TABLE_DESCRIPTIONS)}
