"""Results, typed parameter values and parameter schemas.

Written as plain DDL so both backends get exactly the indexes the searches
need: ``(simulation_name, param_class, name, num_value, result_id)`` and
``(..., str_value, result_id)`` make every range or equality filter an
index-only range scan that yields result ids. The primary key
``(result_id, param_class, name)`` answers "does this run's parameter match"
without touching anything else: in SQLite the value table is clustered on it
(WITHOUT ROWID), in PostgreSQL the key index carries the value (INCLUDE).
PostgreSQL compares strings with the "C" collation so string operators order
like SQLite's BINARY.
"""


def _types(database) -> dict:
    sqlite = database.__class__.__name__.startswith("Sqlite")
    if sqlite:
        return {
            "pk": "INTEGER PRIMARY KEY AUTOINCREMENT",
            "real": "REAL",
            "big": "INTEGER",
            "ref": "INTEGER",
            "collate": "",
            "include": "",
            "rowid": " WITHOUT ROWID",
        }
    return {
        "pk": "BIGSERIAL PRIMARY KEY",
        "real": "DOUBLE PRECISION",
        "big": "BIGINT",
        "ref": "BIGINT",
        "collate": ' COLLATE "C"',
        "include": " INCLUDE (value_type, num_value)",
        "rowid": "",
    }


def statements(database) -> list[str]:
    """The DDL of the first schema, for ``database``'s backend."""
    t = _types(database)
    return [
        f"""CREATE TABLE IF NOT EXISTS results_result (
    id {t["pk"]},
    execution_id VARCHAR(128) NOT NULL UNIQUE,
    simulation_name VARCHAR(200) NOT NULL,
    simulation_version VARCHAR(100) NOT NULL,
    status VARCHAR(50) NOT NULL,
    description TEXT,
    username VARCHAR(200),
    input_hash VARCHAR(200),
    created_at {t["real"]},
    started_at {t["real"]},
    completed_at {t["real"]},
    duration_seconds {t["real"]},
    error_message TEXT,
    registered_at {t["real"]} NOT NULL,
    registered_by VARCHAR(200),
    schema_version INTEGER NOT NULL,
    file_size {t["big"]} NOT NULL,
    sha256 CHAR(64) NOT NULL,
    input_count INTEGER NOT NULL,
    output_count INTEGER NOT NULL,
    artifact_count INTEGER NOT NULL,
    inputs_json TEXT NOT NULL,
    outputs_json TEXT NOT NULL,
    units_json TEXT NOT NULL,
    artifacts_json TEXT NOT NULL,
    schema_keys_json TEXT NOT NULL
)""",
        "CREATE INDEX IF NOT EXISTS results_result_sim_created ON results_result "
        "(simulation_name, simulation_version, created_at)",
        "CREATE INDEX IF NOT EXISTS results_result_sim_status ON results_result "
        "(simulation_name, status)",
        "CREATE INDEX IF NOT EXISTS results_result_created ON results_result (created_at)",
        f"""CREATE TABLE IF NOT EXISTS results_parameter_value (
    result_id {t["ref"]} NOT NULL REFERENCES results_result (id) ON DELETE CASCADE,
    simulation_name VARCHAR(200) NOT NULL,
    param_class VARCHAR(6) NOT NULL CHECK (param_class IN ('input', 'output')),
    name VARCHAR(200) NOT NULL,
    value_type VARCHAR(10) NOT NULL,
    num_value {t["real"]},
    str_value TEXT{t["collate"]},
    json_value TEXT,
    PRIMARY KEY (result_id, param_class, name){t["include"]}
){t["rowid"]}""",
        "CREATE INDEX IF NOT EXISTS results_value_num ON results_parameter_value "
        "(simulation_name, param_class, name, num_value, result_id)",
        "CREATE INDEX IF NOT EXISTS results_value_str ON results_parameter_value "
        "(simulation_name, param_class, name, str_value, result_id)",
        f"""CREATE TABLE IF NOT EXISTS results_parameter_schema (
    id {t["pk"]},
    simulation_name VARCHAR(200) NOT NULL,
    simulation_version VARCHAR(100) NOT NULL,
    param_class VARCHAR(6) NOT NULL CHECK (param_class IN ('input', 'output')),
    name VARCHAR(200) NOT NULL,
    fingerprint CHAR(64) NOT NULL,
    schema_json TEXT NOT NULL,
    run_count INTEGER NOT NULL,
    first_seen {t["real"]} NOT NULL,
    last_seen {t["real"]} NOT NULL,
    UNIQUE (simulation_name, simulation_version, param_class, name, fingerprint)
)""",
    ]


def up(database, migrator):
    """Create the three tables and their indexes."""
    for statement in statements(database):
        database.execute_sql(statement)
