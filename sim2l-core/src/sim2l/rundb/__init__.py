"""The per-run SQLite database: schema, typed values, artifacts and ``RunDatabase``."""

from sim2l.rundb.errors import ArtifactNotFoundError
from sim2l.rundb.errors import InvalidExecutionIdError
from sim2l.rundb.errors import InvalidNameError
from sim2l.rundb.errors import RunDatabaseError
from sim2l.rundb.errors import RunNotFoundError
from sim2l.rundb.errors import RunStateError
from sim2l.rundb.errors import SchemaVersionError
from sim2l.rundb.execution_ids import validate_execution_id
from sim2l.rundb.run_database import RunDatabase
from sim2l.rundb.schema import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION",
    "ArtifactNotFoundError",
    "InvalidExecutionIdError",
    "InvalidNameError",
    "RunDatabase",
    "RunDatabaseError",
    "RunNotFoundError",
    "RunStateError",
    "SchemaVersionError",
    "validate_execution_id",
]
