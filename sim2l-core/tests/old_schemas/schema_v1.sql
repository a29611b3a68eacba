-- The run file schema of sim2l-core before schema version 2: no summary
-- counters in run, no value_number on values, and no resource_usage,
-- provenance, checkpoints, cell_executions or dependencies tables.
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL, description TEXT);
CREATE TABLE run (
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
    traceback TEXT
);
CREATE TABLE parameter_schemas (
    direction TEXT NOT NULL CHECK (direction IN ('input', 'output')),
    name TEXT NOT NULL, type TEXT, units TEXT, min_value REAL, max_value REAL,
    description TEXT, options_json TEXT, required INTEGER NOT NULL DEFAULT 0,
    default_kind TEXT, default_json TEXT, default_blob BLOB,
    PRIMARY KEY (direction, name)
);
CREATE TABLE inputs (
    name TEXT PRIMARY KEY, type TEXT, value_kind TEXT NOT NULL, value_json TEXT, value_blob BLOB,
    units TEXT, description TEXT, created_at REAL NOT NULL
);
CREATE TABLE outputs (
    name TEXT PRIMARY KEY, type TEXT, value_kind TEXT NOT NULL, value_json TEXT, value_blob BLOB,
    units TEXT, description TEXT, created_at REAL NOT NULL
);
CREATE TABLE blobs (
    id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, size INTEGER NOT NULL,
    chunk_size INTEGER NOT NULL, chunk_count INTEGER NOT NULL
);
CREATE TABLE blob_chunks (
    blob_id INTEGER NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (blob_id, seq)
) WITHOUT ROWID;
CREATE TABLE artifacts (
    name TEXT PRIMARY KEY, sha256 TEXT NOT NULL, size INTEGER NOT NULL, content_type TEXT,
    category TEXT NOT NULL DEFAULT 'output', description TEXT, source_name TEXT,
    created_at REAL NOT NULL
);
CREATE TABLE logs (
    id INTEGER PRIMARY KEY, timestamp REAL NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL,
    source TEXT, context_json TEXT
);
CREATE TABLE metrics (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, value REAL, unit TEXT, category TEXT,
    step INTEGER, timestamp REAL NOT NULL
);
CREATE TABLE environment (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE packages (name TEXT PRIMARY KEY, version TEXT);
CREATE TABLE tags (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE status_events (
    id INTEGER PRIMARY KEY, timestamp REAL NOT NULL, status TEXT NOT NULL, message TEXT
);
INSERT INTO schema_version VALUES (1, 1700000000.0, 'created');
INSERT INTO run (id, execution_id, simulation_name, simulation_version, status, created_at,
                 started_at, completed_at, duration_seconds)
VALUES (1, 'exec-old', 'thermal_sim', '0.9.0', 'completed', 1700000000.0, 1700000001.0,
        1700000043.5, 42.5);
INSERT INTO inputs VALUES ('temperature', 'number', 'int', '350', NULL, 'kelvin', NULL, 1700000001.0);
INSERT INTO inputs VALUES ('enabled', 'boolean', 'bool', 'true', NULL, NULL, NULL, 1700000001.0);
INSERT INTO inputs VALUES ('label', 'string', 'str', '"run a"', NULL, NULL, NULL, 1700000001.0);
INSERT INTO outputs VALUES ('max_stress', 'number', 'float', '150000000.0', NULL, 'pascal', NULL, 1700000040.0);
INSERT INTO logs VALUES (1, 1700000002.0, 'INFO', 'started', NULL, NULL);
INSERT INTO logs VALUES (2, 1700000003.0, 'ERROR', 'a recoverable problem', NULL, NULL);
INSERT INTO metrics VALUES (1, 'residual', 0.5, NULL, 'performance', 1, 1700000004.0);
INSERT INTO blobs VALUES (1, '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824', 5, 1048576, 1);
INSERT INTO blob_chunks VALUES (1, 0, CAST('hello' AS BLOB));
INSERT INTO artifacts VALUES ('output.dat', '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824', 5, 'text/plain', 'output', NULL, NULL, 1700000041.0);
