"""Execution ids are plain names, so a run file can never land outside its folder."""

import re
from pathlib import Path

from sim2l.rundb.errors import InvalidExecutionIdError

EXECUTION_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def validate_execution_id(execution_id) -> str:
    """Return ``execution_id`` if it is a plain name, else raise ``InvalidExecutionIdError``.

    A plain name starts with a letter or digit, continues with letters, digits,
    ``.``, ``_`` or ``-``, is at most 128 characters, and holds no ``..``, so it
    can be neither a path nor a hidden file nor an option to a command.
    """
    if not isinstance(execution_id, str):
        raise InvalidExecutionIdError(
            f"execution id must be a string, got {type(execution_id).__name__}"
        )
    if not EXECUTION_ID_PATTERN.fullmatch(execution_id) or ".." in execution_id:
        raise InvalidExecutionIdError(
            f"invalid execution id {execution_id!r}: use 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit, without '..'"
        )
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
