"""``sim2l results export``: the columnar table of the results service into CSV, Parquet, JSON."""

import csv
import io
import json
import sys

import pyarrow.parquet
import pytest
from runner_support import configure_services
from sim2l.cli import main
from sim2l.cli.errors import EXIT_USAGE
from sim2l.cli.errors import UsageError
from sim2l.cli.results_export import split_where
from sim2l.rundb import RunDatabase
from sim2l_sessions import get_session_manager

pytest_plugins = ["runner_fixtures"]

TEMPERATURES = ("300", "350", "400")


@pytest.fixture
def exported_runs(capsys, services, tmp_path):
    """Three thermal_sim runs through the whole path; ``{execution_id: run file values}``."""
    session = get_session_manager().create_anonymous_session(privileges=["developer"])
    configure_services(services, tmp_path / "runs", session.session_id)
    for temperature in TEMPERATURES:
        assert main(["run", "thermal_sim", f"temperature={temperature}"]) == 0
    capsys.readouterr()
    values = {}
    for path in (tmp_path / "runs").glob("*.db"):
        with RunDatabase(path=path) as run:
            row = {f"inputs.{item['name']}": item["value"] for item in run.get_inputs()}
            row.update({f"outputs.{item['name']}": item["value"] for item in run.get_outputs()})
            values[run.get_summary()["execution_id"]] = row
    assert len(values) == 3
    return values


def export(capsys, tmp_path, name: str, *options) -> tuple[int, str]:
    target = tmp_path / name
    code = main(["results", "export", "thermal_sim", "--output", str(target), *options])
    return code, capsys.readouterr()


def test_csv_holds_every_run_with_units_in_the_header(capsys, tmp_path, exported_runs):
    code, printed = export(capsys, tmp_path, "runs.csv")
    assert code == 0 and "wrote 3 run(s)" in printed.out
    lines = (tmp_path / "runs.csv").read_text().splitlines()
    assert lines[0] == "# simulation: thermal_sim"
    assert "inputs.temperature=kelvin" in lines[1] and "outputs.max_stress=pascal" in lines[1]
    assert lines[1].startswith("# units: ")
    rows = list(csv.DictReader(lines[3:]))
    assert list(rows[0])[:3] == ["execution_id", "status", "created_at"]
    assert {row["execution_id"] for row in rows} == set(exported_runs)
    for row in rows:
        expected = exported_runs[row["execution_id"]]
        assert float(row["inputs.temperature"]) == expected["inputs.temperature"]
        assert float(row["outputs.max_stress"]) == expected["outputs.max_stress"]
        assert int(row["inputs.points"]) == expected["inputs.points"]
        assert row["inputs.material"] == expected["inputs.material"]
        assert row["status"] == "completed"


def test_where_and_columns_narrow_the_table(capsys, tmp_path, exported_runs):
    code, _ = export(
        capsys,
        tmp_path,
        "hot.json",
        "--where",
        "temperature>320",
        "--where",
        "outputs.max_stress>0",
        "--column",
        "max_stress",
        "--format",
        "json",
    )
    assert code == 0
    table = json.loads((tmp_path / "hot.json").read_text())
    assert table["columns"] == ["execution_id", "status", "created_at", "outputs.max_stress"]
    assert table["count"] == 2 == len(table["data"])
    assert table["units"]["outputs.max_stress"] == "pascal"
    for execution_id, _, created_at, stress in table["data"]:
        assert created_at.endswith("Z")
        assert stress == exported_runs[execution_id]["outputs.max_stress"]
        assert exported_runs[execution_id]["inputs.temperature"] > 320


def test_parquet_types_and_units_in_the_schema(capsys, tmp_path, exported_runs):
    code, _ = export(capsys, tmp_path, "runs.parquet")
    assert code == 0
    table = pyarrow.parquet.read_table(tmp_path / "runs.parquet")
    schema = table.schema
    assert str(schema.field("inputs.temperature").type) == "double"
    assert str(schema.field("inputs.points").type) == "int64"
    assert str(schema.field("inputs.material").type) == "string"
    assert str(schema.field("created_at").type) == "timestamp[us, tz=UTC]"
    assert schema.field("outputs.max_stress").metadata == {b"units": b"pascal"}
    units = json.loads(schema.metadata[b"sim2l.units"])
    assert units["inputs.temperature"] == "kelvin"
    rows = table.to_pylist()
    assert len(rows) == 3
    for row in rows:
        expected = exported_runs[row["execution_id"]]
        for name, value in expected.items():
            assert row[name] == value, name


class Terminal(io.StringIO):
    """stderr as a terminal would be."""

    def isatty(self):
        return True


def test_progress_bar_on_a_terminal_only(capsys, tmp_path, exported_runs, monkeypatch):
    # A terminal as wide as a person's, whatever make (or CI) leaves in COLUMNS.
    monkeypatch.setenv("COLUMNS", "200")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["results", "export", "thermal_sim", "--output", str(tmp_path / "a.csv")]) == 0
    assert "exporting to" in terminal.getvalue() and "3" in terminal.getvalue()
    monkeypatch.undo()
    code, printed = export(capsys, tmp_path, "b.csv")
    assert code == 0 and "exporting" not in printed.err  # not a terminal: no bar


def test_bad_exports_say_why(capsys, tmp_path, exported_runs):
    code, printed = export(capsys, tmp_path, "runs.txt")
    assert code == 2 and "--format" in printed.err
    code, printed = export(capsys, tmp_path, "x.csv", "--where", "nope>1")
    assert code == 4 and "nope" in printed.err
    code, printed = export(capsys, tmp_path, "x.csv", "--where", "temperature>>300")
    assert code == 2 and "starts with an operator" in printed.err
    code, printed = export(capsys, tmp_path, "x.csv", "--column", "nope")
    assert code == 1 and "nope" in printed.err
    code = main(["results", "export", "no_such_sim", "--output", str(tmp_path / "x.csv")])
    assert code == 4 and "no registered runs of 'no_such_sim'" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()
    assert not list(tmp_path.glob(".x.csv.partial"))


def test_where_names_need_no_prefix_unless_ambiguous():
    schemas = [
        {"name": "t", "param_class": "input"},
        {"name": "s", "param_class": "output"},
        {"name": "both", "param_class": "input"},
        {"name": "both", "param_class": "output"},
    ]
    assert split_where(["t>1", "s<=2", "outputs.both=3"], schemas) == (
        {"t": {"gt": 1}},
        {"s": {"le": 2}, "both": {"eq": 3}},
    )
    with pytest.raises(UsageError, match="inputs.both or outputs.both") as raised:
        split_where(["both=1"], schemas)
    assert raised.value.exit_code == EXIT_USAGE
    # One parameter named with and without its prefix: both bounds kept, a repeat refused.
    assert split_where(["t>1", "inputs.t<5"], schemas) == ({"t": {"gt": 1, "lt": 5}}, {})
    with pytest.raises(UsageError, match="input 't' has the same operator twice") as raised:
        split_where(["t>1", "inputs.t>5"], schemas)
    assert raised.value.exit_code == EXIT_USAGE
