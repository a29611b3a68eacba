"""Execution ids are plain names on every path."""

import pytest
from sim2l.rundb import InvalidExecutionIdError
from sim2l.rundb import RunDatabase
from sim2l.rundb.execution_ids import run_file_path
from sim2l.rundb.execution_ids import validate_execution_id

BAD_IDS = [
    "",
    "../escape",
    "..",
    "a/../../b",
    "/etc/passwd",
    "runs/exec-1",
    "exec\\1",
    ".hidden",
    "-rf",
    "exec..1",
    "exec 1",
    "exec\x001",
    "é-run",
    "a" * 129,
    None,
    42,
    b"exec-1",
]


@pytest.mark.parametrize("execution_id", ["exec-2024-001", "a", "A.b_c-9", "1" * 128])
def test_plain_names_are_accepted(execution_id, tmp_path):
    assert validate_execution_id(execution_id) == execution_id
    assert run_file_path(execution_id, tmp_path).parent == tmp_path


@pytest.mark.parametrize("execution_id", BAD_IDS)
def test_bad_ids_are_refused_by_the_validator(execution_id):
    with pytest.raises(InvalidExecutionIdError):
        validate_execution_id(execution_id)


@pytest.mark.parametrize("execution_id", [i for i in BAD_IDS if i is not None])
def test_bad_ids_are_refused_by_run_database(execution_id, tmp_path):
    with pytest.raises(InvalidExecutionIdError):
        RunDatabase(execution_id, base_path=tmp_path)
    with pytest.raises(InvalidExecutionIdError):
        RunDatabase(execution_id, path=tmp_path / "x.db")
    assert list(tmp_path.iterdir()) == []


def test_invalid_id_error_is_a_value_error():
    assert issubclass(InvalidExecutionIdError, ValueError)
