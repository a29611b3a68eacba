"""Where a run came from and what it relates to: provenance, tags, dependencies, notebook cells."""

import time

from sim2l.rundb.checks import as_number
from sim2l.rundb.checks import check_name
from sim2l.rundb.checks import json_loads_or_none
from sim2l.rundb.checks import json_or_none
from sim2l.rundb.execution_ids import validate_execution_id

DEPENDENCY_KINDS = ("run", "file", "package", "service")
_DEPENDENCY_KEYS = ("kind", "target", "version", "sha256", "description")
_CELL_KEYS = (
    "cell_index",
    "execution_count",
    "source",
    "status",
    "started_at",
    "duration_seconds",
    "output",
)


class LineageRecords:
    """Provenance, tags, dependencies and notebook cell executions."""

    def add_provenance(
        self,
        kind: str,
        entity: str,
        *,
        description: str | None = None,
        sha256: str | None = None,
        details=None,
    ) -> None:
        """Record where something came from: ``kind`` (say ``"source_code"``) and ``entity``."""
        self._write(
            "INSERT INTO provenance (kind, entity, description, sha256, details_json, timestamp) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                check_name(kind, "kind"),
                str(entity),
                description,
                sha256,
                json_or_none(details),
                time.time(),
            ),
        )

    def get_provenance(self) -> list[dict]:
        """Provenance records in order."""
        rows = self._execute(
            "SELECT kind, entity, description, sha256, details_json, timestamp FROM provenance "
            "ORDER BY id"
        ).fetchall()
        return [
            {
                "kind": row[0],
                "entity": row[1],
                "description": row[2],
                "sha256": row[3],
                "details": json_loads_or_none(row[4]),
                "timestamp": row[5],
            }
            for row in rows
        ]

    def add_tag(self, key: str, value: str | None = None) -> None:
        """Label the run; a key holds one value (adding it again replaces it)."""
        self._write(
            "INSERT OR REPLACE INTO tags (key, value) VALUES (?, ?)",
            (check_name(key, "tag"), None if value is None else str(value)),
        )

    def get_tags(self) -> dict:
        """``{key: value}`` of every tag."""
        return dict(self._execute("SELECT key, value FROM tags ORDER BY key").fetchall())

    def add_dependency(
        self,
        kind: str,
        target: str,
        *,
        version: str | None = None,
        sha256: str | None = None,
        description: str | None = None,
    ) -> None:
        """Record that the run used another ``run``, ``file``, ``package`` or ``service``."""
        if kind not in DEPENDENCY_KINDS:
            raise ValueError(f"dependency kind must be run, file, package or service, not {kind!r}")
        if kind == "run":
            validate_execution_id(target)
        self._write(
            "INSERT INTO dependencies (kind, target, version, sha256, description) "
            "VALUES (?, ?, ?, ?, ?)",
            (kind, check_name(target, "target"), version, sha256, description),
        )

    def get_dependencies(self) -> list[dict]:
        """Dependencies in order: kind, target, version, sha256, description."""
        rows = self._execute(
            f"SELECT {', '.join(_DEPENDENCY_KEYS)} FROM dependencies ORDER BY id"  # noqa: S608 (constant names)
        ).fetchall()
        return [dict(zip(_DEPENDENCY_KEYS, row, strict=True)) for row in rows]

    def record_cell_execution(
        self,
        cell_index: int,
        source: str,
        *,
        status: str = "ok",
        execution_count: int | None = None,
        started_at: float | None = None,
        duration_seconds: float | None = None,
        output: str | None = None,
    ) -> None:
        """Record one notebook cell run as part of this execution."""
        self._write(
            "INSERT INTO cell_executions (cell_index, execution_count, source, status, started_at, "
            "duration_seconds, output) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                int(cell_index),
                execution_count,
                str(source),
                str(status),
                started_at,
                as_number(duration_seconds, "duration_seconds"),
                output,
            ),
        )

    def get_cell_executions(self) -> list[dict]:
        """Notebook cell executions in order."""
        rows = self._execute(
            f"SELECT {', '.join(_CELL_KEYS)} FROM cell_executions ORDER BY id"  # noqa: S608 (constant names)
        ).fetchall()
        return [dict(zip(_CELL_KEYS, row, strict=True)) for row in rows]
