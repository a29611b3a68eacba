"""Execution ids are plain names, so a run file can never land outside its folder."""

from pathlib import Path

from sim2l_sessions.execution_ids import EXECUTION_ID_PATTERN  # noqa: F401 (part of this API)
from sim2l_sessions.execution_ids import EXECUTION_ID_RULE
from sim2l_sessions.execution_ids import is_valid_execution_id

from sim2l.rundb.errors import InvalidExecutionIdError


def validate_execution_id(execution_id) -> str:
    """Return ``execution_id`` if it is a plain name, else raise ``InvalidExecutionIdError``.

    The rule is ``sim2l_sessions.execution_ids``' (the results client and
    service apply the same one).
    """
    if not isinstance(execution_id, str):
        raise InvalidExecutionIdError(
            f"execution id must be a string, got {type(execution_id).__name__}"
        )
    if not is_valid_execution_id(execution_id):
        raise InvalidExecutionIdError(f"invalid execution id {execution_id!r}: {EXECUTION_ID_RULE}")
    return execution_id


def run_file_path(execution_id: str, base_path: Path) -> Path:
    """``{base_path}/{execution_id}.db`` for a valid execution id."""
    validate_execution_id(execution_id)
    base = Path(base_path).expanduser()
    path = base / f"{execution_id}.db"
    # The pattern already forbids separators; this guards the invariant itself.
    if path.parent != base:
        raise InvalidExecutionIdError(f"execution id {execution_id!r} escapes the run folder")
    return path
