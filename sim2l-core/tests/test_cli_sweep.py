"""``sim2l sweep``: the value syntax, local processes, errors, and working without Dask."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sim2l.cli import main
from sim2l.cli.errors import EXIT_NOT_FOUND
from sim2l.cli.errors import EXIT_USAGE
from sim2l.cli.errors import CommandError
from sim2l.cli.sweep_command import linspace
from sim2l.cli.sweep_command import parse_axis
from sim2l.runner import load

pytest_plugins = ["runner_fixtures"]

TESTS = Path(__file__).parent


def sim2l(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    "text, expected",
    [
        ("temperature=300:450:16", ("temperature", [300.0 + 10 * i for i in range(16)])),
        ("temperature=300:450:1", ("temperature", [300.0])),
        ("temperature=350", ("temperature", [350.0])),
        ("temperature=300,325.5", ("temperature", [300.0, 325.5])),
        ("material=steel,copper", ("material", ["steel", "copper"])),
        ("points=2:10:5", ("points", [2, 4, 6, 8, 10])),
        ("points=3,5", ("points", [3, 5])),
    ],
)
def test_parse_axis(text, expected):
    name, values = parse_axis(load("thermal_sim"), text)
    assert name == expected[0]
    assert values == pytest.approx(expected[1])
    assert [type(value) for value in values] == [type(value) for value in expected[1]]


def test_linspace_ends_exactly_on_stop():
    assert linspace(0.1, 0.3, 3)[-1] == 0.3
    assert linspace(450, 300, 4) == [450, 400, 350, 300]


@pytest.mark.parametrize(
    "text, message",
    [
        ("points=2:3:3", "not all whole numbers"),
        ("temperature=300:450:zero", "START:STOP:COUNT"),
        ("temperature=300:450:0", "COUNT must be 1 to 100,000"),
        ("temperature=300:450:1000000000", "COUNT must be 1 to 100,000"),
        ("pressure=1,2", "has no input 'pressure'"),
        ("temperature", "key=value"),
        ("material=", "gives no value"),
        ("temperature=hot,300", "must be a number"),
    ],
)
def test_bad_axes_are_named(text, message):
    with pytest.raises(CommandError, match=message) as raised:
        parse_axis(load("thermal_sim"), text)
    assert raised.value.exit_code == EXIT_USAGE


def test_sim2l_sweep_on_local_processes(run_folder, capsys):
    code, out, _ = sim2l(
        capsys, "sweep", "thermal_sim", "temperature=300:400:3", "material=steel,copper",
        "--workers", "2", "--json",
    )  # fmt: skip
    report = json.loads(out)
    assert code == 0 and report["done"] == 6 and report["interrupted"] is False
    temperatures = [result["inputs"]["temperature"] for result in report["results"]]
    assert temperatures == [300, 300, 350, 350, 400, 400]
    assert len(list(run_folder.glob("*.db"))) == 6
    # The table form names every axis, the status and the outputs.
    code, out, _ = sim2l(capsys, "sweep", "thermal_sim", "temperature=300,400", "--workers", "2")
    header = out.splitlines()[0].split()
    assert code == 0 and header == [
        "TEMPERATURE",
        "STATUS",
        "MAX_STRESS",
        "THERMAL_STRAIN",
        "EXECUTION",
    ]


def test_sim2l_sweep_errors(run_folder, capsys):
    code, _, err = sim2l(capsys, "sweep", "no_such_sim", "x=1")
    assert code == EXIT_NOT_FOUND and "no simulation 'no_such_sim'" in err
    code, _, err = sim2l(capsys, "sweep", "thermal_sim", "temperature=300", "--workers", "0")
    assert code == EXIT_USAGE and "--workers must be at least 1" in err
    code, _, err = sim2l(capsys, "sweep", "thermal_sim", "temperature=1,2", "temperature=3")
    assert code == EXIT_USAGE and "given twice" in err
    code, _, err = sim2l(capsys, "sweep", "thermal_sim", "temperature=-5,300")
    assert code == EXIT_USAGE and "sweep point 0" in err
    # Each axis within bounds, but together too many points: refused before any is built.
    code, _, err = sim2l(
        capsys, "sweep", "thermal_sim", "temperature=300:450:1000", "points=1:1000:1000"
    )
    assert code == EXIT_USAGE and "1,000,000 points, more than the 100,000" in err
    assert not list(run_folder.glob("*.db"))
    with pytest.raises(SystemExit):  # argparse: one place to run, not two
        main(
            ["sweep", "thermal_sim", "temperature=1", "--workers", "2", "--scheduler", "tcp://x:1"]
        )
    assert list(run_folder.glob("*.db")) == []


BLOCK_DASK = """
import sys
sys.modules["distributed"] = None  # importing distributed now raises ImportError
import json, sim2l
from sim2l.cli import main
from sweep_simulations import sweep_square
sim2l.configure(run_db_base_path=sys.argv[1])
results = sim2l.sweep(sweep_square, grid={"x": [1, 2, 3]}, workers=2, progress=False)
assert [r["y"] for r in results] == [1, 4, 9], results
code = main(["sweep", "thermal_sim", "temperature=300", "--scheduler", "tcp://127.0.0.1:9"])
print(json.dumps({"code": code}))
"""


def test_workers_need_no_dask_and_scheduler_says_which_extra_to_install(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-c", BLOCK_DASK, str(tmp_path / "runs")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=TESTS,
        env={**os.environ, "PYTHONPATH": str(TESTS)},
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout.splitlines()[-1]) == {"code": 1}
    assert "pip install 'sim2l-core[dask]'" in completed.stderr
