"""Parameter statistics over runs that hold the parameter as a number, as NaN, as text, or not at
all, under filters matching many, few or no runs, on both backends and through both of
PostgreSQL's plans (the matches' values probed, or the parameter's values scanned)."""

import hashlib
import math
import random
import statistics
import tempfile
from fractions import Fraction

import pytest
from at_once import run_at_once
from runfiles import make_run
from sim2l_results_service import statistics as stats_module
from sim2l_service_kit.database.sql import planner_settings
from spying import record_statements

MATERIALS = ["steel", "copper", "alu"]


@pytest.fixture
def runs(client, tmp_path):
    """Thirty runs of ``beam``: ``stress`` a number in most, NaN, text or missing in the rest;
    ``load`` only in every third run; two runs of another version and one failed run."""
    rng = random.Random(11)
    data, paths = {}, []
    for n in range(30):
        inputs = {"temperature": 10.0 * n, "material": MATERIALS[n % 3]}
        outputs = {"stress": round(rng.uniform(-1e3, 1e3), 6)}
        if n % 7 == 3:
            outputs["stress"] = float("nan")  # stored as no number
        elif n % 7 == 5:
            outputs["stress"] = "diverged"
        elif n % 11 == 4:
            del outputs["stress"]
        if n % 3 == 0:
            outputs["load"] = float(n)
        version = "2.0.0" if n in (28, 29) else "1.0.0"
        status = "failed" if n == 27 else "completed"
        execution_id = f"beam-{n:02d}"
        data[execution_id] = (inputs, outputs, version, status)
        paths.append(
            make_run(
                tmp_path,
                execution_id,
                inputs,
                outputs,
                simulation="beam",
                version=version,
                status=status,
            )
        )
    assert client.bulk_register(paths, progress=False)["registered"] == 30
    return data


def _is_number(value) -> bool:
    return isinstance(value, float) and math.isfinite(value)


def _expected(runs, name, select) -> list[float]:
    """The numeric values of output ``name`` of the runs ``select`` keeps."""
    return [
        outputs[name]
        for inputs, outputs, version, status in runs.values()
        if select(inputs, outputs, version, status) and _is_number(outputs.get(name))
    ]


def _check(stats: dict, values: list[float]) -> None:
    assert stats["count"] == len(values)
    if not values:
        assert (stats["min_value"], stats["max_value"], stats["avg_value"]) == (None,) * 3
        assert stats["stddev_value"] is None and stats["variance"] is None
        return
    assert (stats["min_value"], stats["max_value"]) == (min(values), max(values))
    assert stats["avg_value"] == pytest.approx(statistics.fmean(values), rel=1e-12)
    if len(values) == 1:
        assert stats["stddev_value"] is None and stats["variance"] is None
    else:
        assert stats["variance"] == pytest.approx(statistics.variance(values), rel=1e-9)
        assert stats["stddev_value"] == pytest.approx(statistics.stdev(values), rel=1e-9)


# PostgreSQL's plans for filtered statistics, forced by their limits: (PROBE_LIMIT,
# SCANNED_PER_PROBE, SCANNED_PER_LONE_PROBE)
PLANS = {
    "probes from the narrowest filter": (10**9, 1, 1),
    "scans": (0, 10**9, 10**9),
    # the parameter's own filter counted over the limit; the one other filter drives
    "probes from the other filter": (0, 10**9, 1),
}


def in_every_plan(monkeypatch, ask):
    """``ask()`` with PostgreSQL's plan for filtered statistics forced to each of ``PLANS``;
    the first answer, which every other must equal (SQLite has one plan: it runs each time)."""
    answers = []
    for probe_limit, scanned_per_probe, scanned_per_lone_probe in PLANS.values():
        with monkeypatch.context() as patch:
            patch.setattr(stats_module, "PROBE_LIMIT", probe_limit)
            patch.setattr(stats_module, "SCANNED_PER_PROBE", scanned_per_probe)
            patch.setattr(stats_module, "SCANNED_PER_LONE_PROBE", scanned_per_lone_probe)
            answers.append(ask())
    first, *others = answers
    for other in others:
        assert other == {
            key: pytest.approx(value, rel=1e-9) if isinstance(value, float) else value
            for key, value in first.items()
        }
    return first


def _stress(outputs, test) -> bool:
    return _is_number(outputs.get("stress")) and test(outputs["stress"])


# (input filters, output filters, other criteria, which runs match: f(inputs, outputs, version,
# status)); the predicates restate the service's filter semantics for these cases
CASES = [
    ({"temperature": {"between": [40, 220]}}, {}, {},
     lambda i, o, v, s: 40 <= i["temperature"] <= 220),
    ({"material": "steel"}, {}, {}, lambda i, o, v, s: i["material"] == "steel"),
    ({"material": {"in": ["alu", "copper"]}}, {"stress": {"gt": -500}}, {},
     lambda i, o, v, s: i["material"] != "steel" and _stress(o, lambda x: x > -500)),
    ({"temperature": {"ge": 30}}, {"stress": {"lt": 600}, "load": {"ge": 0}}, {},
     lambda i, o, v, s: i["temperature"] >= 30 and _stress(o, lambda x: x < 600) and "load" in o),
    ({}, {"stress": {"ge": 0}}, {"simulation_version": "1.0.0"},
     lambda i, o, v, s: v == "1.0.0" and _stress(o, lambda x: x >= 0)),
    ({"temperature": {"lt": 285}}, {}, {"status": "completed"},
     lambda i, o, v, s: s == "completed" and i["temperature"] < 285),
    # the parameter's own filter among those the narrowest one's matches are checked against
    # (stress < 400 matches more runs than steel, and not every steel run: 586 in beam-09)
    ({"material": "steel"}, {"stress": {"lt": 400}}, {},
     lambda i, o, v, s: i["material"] == "steel" and _stress(o, lambda x: x < 400)),
    ({"material": "steel", "temperature": {"ge": 50}}, {"stress": {"lt": 400}}, {},
     lambda i, o, v, s: i["material"] == "steel" and i["temperature"] >= 50
     and _stress(o, lambda x: x < 400)),
    # the parameter's own filter the narrowest: its values drive, the others are probed
    ({"temperature": {"gt": 50}}, {"stress": {"between": [-400, 700]}}, {"status": "completed"},
     lambda i, o, v, s: s == "completed" and i["temperature"] > 50
     and _stress(o, lambda x: -400 <= x <= 700)),
]  # fmt: skip


@pytest.mark.parametrize(("input_filters", "output_filters", "criteria", "select"), CASES)
def test_filtered_statistics_count_only_numbers_of_matching_runs(
    client, runs, monkeypatch, input_filters, output_filters, criteria, select
):
    """NaN, text and a missing parameter are not counted, whatever the filters and the plan."""
    stats = in_every_plan(
        monkeypatch,
        lambda: client.get_parameter_stats(
            "beam",
            "stress",
            param_class="output",
            input_filters=input_filters,
            output_filters=output_filters,
            **criteria,
        ),
    )
    values = _expected(runs, "stress", select)
    assert len(values) > 1  # each case has something to compute
    _check(stats, values)


def test_statistics_of_a_parameter_only_some_runs_hold(client, runs, monkeypatch):
    everything = client.get_parameter_stats("beam", "load", param_class="output")
    _check(everything, _expected(runs, "load", lambda *_: True))
    assert everything["count"] == 10

    def of(material):
        return in_every_plan(
            monkeypatch,
            lambda: client.get_parameter_stats(
                "beam", "load", param_class="output", input_filters={"material": material}
            ),
        )

    _check(of("steel"), _expected(runs, "load", lambda i, *_: i["material"] == "steel"))
    # the runs holding load are all steel ones (n % 3 == 0): copper's have nothing to count
    _check(of("copper"), [])


@pytest.mark.parametrize(
    ("input_filters", "output_filters"),
    [
        ({"temperature": {"gt": 1e6}}, {}),  # a range no run reaches
        ({"material": "wood"}, {}),  # an equality no run holds
        ({"temperature": {"between": [0, 100]}}, {"stress": {"gt": 1e6}}),  # the second empties it
        ({"no_such_input": {"ge": 0}}, {}),  # a parameter no run holds
        ({"temperature": {"ge": 0}}, {"stress": "diverged"}),  # its own filter matches text
    ],
)
def test_statistics_under_a_filter_matching_nothing(
    client, runs, monkeypatch, input_filters, output_filters
):
    stats = in_every_plan(
        monkeypatch,
        lambda: client.get_parameter_stats(
            "beam",
            "stress",
            param_class="output",
            input_filters=input_filters,
            output_filters=output_filters,
        ),
    )
    _check(stats, [])


def test_a_single_matching_value_has_no_deviation(client, runs, monkeypatch):
    stats = in_every_plan(
        monkeypatch,
        lambda: client.get_parameter_stats(
            "beam", "stress", param_class="output", input_filters={"temperature": 0.0}
        ),
    )
    _check(stats, _expected(runs, "stress", lambda i, *_: i["temperature"] == 0.0))
    assert stats["count"] == 1


def test_statistics_of_a_simulation_or_parameter_nobody_registered(client, runs, monkeypatch):
    for simulation, name, filters in (
        ("no_such_simulation", "stress", {"temperature": {"ge": 0}}),
        ("beam", "no_such_output", {"temperature": {"ge": 0}}),
        ("beam", "no_such_output", None),
    ):
        stats = in_every_plan(
            monkeypatch,
            lambda simulation=simulation, name=name, filters=filters: client.get_parameter_stats(
                simulation, name, param_class="output", input_filters=filters
            ),
        )
        _check(stats, [])


def test_values_whose_sums_overflow_a_double(client, tmp_path, monkeypatch):
    """Finite values near the largest double: sums overflow, the answer is still a 200."""
    values = [1.5e308, 1.7e308, -1.6e308, 1.0]
    paths = [
        make_run(tmp_path, f"huge-{n}", {"x": n}, {"stress": value}, simulation="huge")
        for n, value in enumerate(values)
    ]
    assert client.bulk_register(paths, progress=False)["registered"] == len(values)
    for filters in (None, {"x": {"ge": 0}}):
        stats = in_every_plan(
            monkeypatch,
            lambda filters=filters: client.get_parameter_stats(
                "huge", "stress", param_class="output", input_filters=filters
            ),
        )
        assert (stats["count"], stats["min_value"], stats["max_value"]) == (4, -1.6e308, 1.7e308)
        # the mean is a double (SQLite's filtered sum may have become infinite: then null);
        # the variance, about 2.6e616, is not
        mean = float(sum(map(Fraction, values)) / len(values))  # (fmean's sum overflows)
        assert stats["avg_value"] in (None, pytest.approx(mean, rel=1e-12))
        assert stats["variance"] is None and stats["stddev_value"] is None


# ------------------------------------------------- statistics from the running sums (no filters)


def summed_and_scanned(monkeypatch, ask, summed: bool = True) -> dict:
    """``ask()`` answered as the service chooses, then with the running sums turned off.

    ``summed``: whether the first answer must come from the sums (the scan is
    not called) or from the scan they fall back to. Both answers must agree.
    """
    scans = []
    scanned = stats_module._scanned

    def spy(*args):
        scans.append(args)
        return scanned(*args)

    with monkeypatch.context() as patch:
        patch.setattr(stats_module, "_scanned", spy)
        first = ask()
    assert bool(scans) is not summed
    with monkeypatch.context() as patch:
        patch.setattr(stats_module, "_summed", lambda request: None)
        second = ask()
    assert first == {
        key: pytest.approx(value, rel=1e-9) if isinstance(value, float) else value
        for key, value in second.items()
    }
    return first


def _stats_of(client, simulation, name, **criteria):
    """A statistics request without parameter filters (its ``ask``)."""
    return lambda: client.get_parameter_stats(simulation, name, param_class="output", **criteria)


def test_statistics_without_filters_come_from_the_running_sums(client, runs, monkeypatch):
    """NaN, text and missing values are not counted; versions narrow the rows; a status needs
    the runs, so it scans."""
    for name in ("stress", "load"):
        stats = summed_and_scanned(monkeypatch, _stats_of(client, "beam", name))
        _check(stats, _expected(runs, name, lambda *_: True))
        for version in ("1.0.0", "2.0.0", "9.9.9"):
            stats = summed_and_scanned(
                monkeypatch, _stats_of(client, "beam", name, simulation_version=version)
            )
            _check(stats, _expected(runs, name, lambda i, o, v, s, version=version: v == version))
    stats = summed_and_scanned(
        monkeypatch, _stats_of(client, "beam", "stress", status="failed"), summed=False
    )
    _check(stats, _expected(runs, "stress", lambda i, o, v, s: s == "failed"))


def _register(client, tmp_path, values: dict, version="1.0.0", replace=False) -> None:
    """Register (or replace) runs of ``sums``: execution id -> output ``y``."""
    folder = tempfile.mkdtemp(dir=tmp_path)
    for execution_id, value in values.items():
        path = make_run(
            folder, execution_id, {"n": 1}, {"y": value}, simulation="sums", version=version
        )
        client.register_result(path, replace=replace)


def _numbers_of(stored: dict, version=None) -> list[float]:
    return [
        value
        for value, run_version in stored.values()
        if _is_number(value) and version in (None, run_version)
    ]


def test_the_sums_follow_registrations_replacements_and_deletions(
    admin, stored_rows, tmp_path, monkeypatch
):
    """Every change of the stored values, summed per version, answers what the values say."""
    rng = random.Random(5)
    stored = {}  # execution id -> (output y, version)

    def register(values: dict, version="1.0.0", replace=False):
        _register(admin, tmp_path, values, version, replace)
        stored.update({key: (value, version) for key, value in values.items()})

    def check():
        for version in (None, "1.0.0", "2.0.0"):
            criteria = {"simulation_version": version} if version else {}
            stats = summed_and_scanned(monkeypatch, _stats_of(admin, "sums", "y", **criteria))
            _check(stats, _numbers_of(stored, version))

    register({f"s-{n:02d}": rng.uniform(-50, 50) for n in range(12)})
    register({f"t-{n:02d}": rng.uniform(1e3, 2e3) for n in range(6)}, version="2.0.0")
    register({"s-00": "diverged"}, replace=True)  # a string in some runs
    check()
    # replaced with other values: a number for a number, a number for the string, a string
    # for a number, a number of the other version
    register({"s-00": 7.5, "s-01": 1e4, "s-02": "failed"}, replace=True)
    register({"s-03": 1500.0}, version="2.0.0", replace=True)
    check()
    for execution_id in ("s-04", "s-05", "t-00"):
        assert admin.delete_result(execution_id)
        del stored[execution_id]
    check()
    for execution_id in list(stored):
        assert admin.delete_result(execution_id)
        del stored[execution_id]
    check()
    assert _sums_rows_of(stored_rows, "sums") == []


def _sums_rows_of(stored_rows, simulation: str) -> list[tuple]:
    """The stored running sums of ``simulation``, by key."""
    return stored_rows(
        "SELECT param_class, name, simulation_version, value_count, value_sum "
        "FROM results_parameter_sums WHERE simulation_name = ? "
        "ORDER BY param_class, name, simulation_version",
        (simulation,),
    )


def test_a_large_mean_with_a_tiny_spread_keeps_its_digits(client, tmp_path, monkeypatch):
    """Deviations from a shift inside the data: the textbook sums of these values (about 1e19
    each) would leave nothing of a variance of about 1e-5."""
    rng = random.Random(8)
    values = {f"p-{n:02d}": 1e9 + rng.uniform(0, 0.01) for n in range(40)}
    _register(client, tmp_path, values)
    scans = []
    monkeypatch.setattr(stats_module, "_scanned", lambda *args: scans.append(args))
    stats = client.get_parameter_stats("sums", "y", param_class="output")
    assert scans == []
    _check(stats, list(values.values()))


def test_infinite_values_are_not_numbers_and_huge_ones_make_the_sums_unknown(
    admin, tmp_path, monkeypatch
):
    """±inf is stored as no number. A value past the sums' bound makes its version's sums
    unknown (a scan answers) until its last run is gone."""
    stored = {"a": (1.0, "1.0.0"), "b": (2.5, "1.0.0"), "c": (float("inf"), "1.0.0")}
    stored |= {"d": (-float("inf"), "1.0.0"), "e": (4.0, "2.0.0")}
    for execution_id, (value, version) in stored.items():
        _register(admin, tmp_path, {execution_id: value}, version)
    stats = summed_and_scanned(monkeypatch, _stats_of(admin, "sums", "y"))
    _check(stats, _numbers_of(stored))
    _register(admin, tmp_path, {"f": 1.7e308, "g": -1e141})
    stored |= {"f": (1.7e308, "1.0.0"), "g": (-1e141, "1.0.0")}
    stats = summed_and_scanned(monkeypatch, _stats_of(admin, "sums", "y"), summed=False)
    assert (stats["count"], stats["min_value"], stats["max_value"]) == (5, -1e141, 1.7e308)
    assert stats["avg_value"] == pytest.approx(float(sum(map(Fraction, _numbers_of(stored))) / 5))
    # the other version's row is still known
    stats = summed_and_scanned(
        monkeypatch, _stats_of(admin, "sums", "y", simulation_version="2.0.0")
    )
    _check(stats, [4.0])
    assert admin.delete_result("g")
    stats = summed_and_scanned(monkeypatch, _stats_of(admin, "sums", "y"), summed=False)
    assert stats["count"] == 4  # unknown for good, while a value it counted remains
    assert admin.delete_result("f") and admin.delete_result("a") and admin.delete_result("b")
    for key in ("g", "f", "a", "b"):
        del stored[key]
    stats = summed_and_scanned(monkeypatch, _stats_of(admin, "sums", "y"))
    _check(stats, _numbers_of(stored))
    _register(admin, tmp_path, {"h": 3.0})  # the version's row starts again, known
    stored["h"] = (3.0, "1.0.0")
    stats = summed_and_scanned(monkeypatch, _stats_of(admin, "sums", "y"))
    _check(stats, _numbers_of(stored))


def test_sums_that_would_overflow_or_are_not_finite_never_fail(app, stored_rows):
    """``update_sums`` given what registration never stores (±inf) or what overflows a
    double when squared: the row's sums become unknown, with no error (PostgreSQL raises
    22003 on an overflow)."""
    from sim2l_results_service import running_sums

    one, huge = [("edge", "1.0.0", "output", "y", value) for value in (1.0, 1e200)]
    with app.app_context():
        database = app.extensions["sim2l_database"]
        with database.connection_context():
            for value in (2.0, float("inf"), -float("inf"), 1e300, -1.7e308):
                with database.atomic():
                    running_sums.update_sums([], [("edge", "1.0.0", "output", "z", value)])
            with database.atomic():
                running_sums.update_sums([], [one])
                running_sums.update_sums([], [huge])
                running_sums.update_sums([one], [])
    rows = _sums_rows_of(stored_rows, "edge")
    assert rows == [("output", "y", "1.0.0", 1, None), ("output", "z", "1.0.0", 5, None)]


def test_deleting_a_far_value_repairs_the_sums(admin, tmp_path, stored_rows, monkeypatch):
    """Taking 1e100 out of the sums takes the small values' squares with it (rounding): the
    sums' peak tells, and the deletion rewrites the row from the values still stored, so the
    sums answer again, exactly."""
    stored = {"a": (1.0, "1.0.0"), "b": (2.0, "1.0.0"), "c": (3.0, "1.0.0")}
    _register(admin, tmp_path, {key: value for key, (value, _) in stored.items()})
    _register(admin, tmp_path, {"far": 1e100})
    assert admin.delete_result("far")
    stats = summed_and_scanned(monkeypatch, _stats_of(admin, "sums", "y"))
    _check(stats, [1.0, 2.0, 3.0])
    assert stats["stddev_value"] == 1.0
    peak = stored_rows(
        "SELECT value_squares, squares_peak FROM results_parameter_sums "
        "WHERE simulation_name = 'sums' AND name = 'y'"
    )
    assert peak == [(2.0, 2.0)]  # deviations from the mean, 2: the peak starts again


def test_unknown_sums_are_repaired_when_their_last_far_value_goes(
    admin, tmp_path, stored_rows, monkeypatch
):
    """A value past the bound makes its version's sums unknown; when the last such value is
    deleted or replaced, the row is recomputed from the numbers left and the sums answer."""
    stored = {"a": 1.0, "b": 2.5, "f": 1.7e308, "g": -1e200}
    _register(admin, tmp_path, stored)
    summed_and_scanned(monkeypatch, _stats_of(admin, "sums", "y"), summed=False)
    assert admin.delete_result("g")  # f is still past the bound: unknown still
    del stored["g"]
    stats = summed_and_scanned(monkeypatch, _stats_of(admin, "sums", "y"), summed=False)
    assert stats["count"] == 3
    _register(admin, tmp_path, {"f": 4.0}, replace=True)  # replaced by a number within it
    stored["f"] = 4.0
    stats = summed_and_scanned(monkeypatch, _stats_of(admin, "sums", "y"))
    _check(stats, list(stored.values()))
    (row,) = [row for row in _sums_rows_of(stored_rows, "sums") if row[1] == "y"]
    assert row[3] == 3 and row[4] is not None  # known again, counting a, b and f
    _register(admin, tmp_path, {"h": 1e150})  # unknown again, then deleted: known again
    stored["h"] = 1e150
    summed_and_scanned(monkeypatch, _stats_of(admin, "sums", "y"), summed=False)
    assert admin.delete_result("h")
    del stored["h"]
    _check(summed_and_scanned(monkeypatch, _stats_of(admin, "sums", "y")), list(stored.values()))


def test_repairs_and_registrations_at_once_leave_the_sums_of_the_values(
    admin, tmp_path, monkeypatch
):
    """Deleting the far values (each deletion may rewrite the row) while other runs of the
    same version are registered and replaced, all at the same moment: every request lands,
    and the row the statistics then read is the one the values left."""
    stored = {f"n-{n}": float(n) for n in range(6)} | {"far-a": 1e200, "far-b": -1e180}
    _register(admin, tmp_path, stored)
    summed_and_scanned(monkeypatch, _stats_of(admin, "sums", "y"), summed=False)
    folder = tempfile.mkdtemp(dir=tmp_path)
    added = {f"m-{n}": 10.0 + n for n in range(4)} | {"n-0": 2.5, "n-1": -4.0}
    paths = {
        execution_id: make_run(folder, execution_id, {"n": 1}, {"y": value}, simulation="sums")
        for execution_id, value in added.items()
    }
    jobs = [lambda key=key: admin.delete_result(key) for key in ("far-a", "far-b")]
    jobs += [lambda path=path: admin.register_result(path, replace=True) for path in paths.values()]
    errors = run_at_once(jobs)
    assert errors == []
    del stored["far-a"], stored["far-b"]
    stored |= added
    stats = summed_and_scanned(monkeypatch, _stats_of(admin, "sums", "y"))
    _check(stats, list(stored.values()))


def test_the_migration_fills_the_sums_registration_keeps(
    client, runs, app, stored_rows, monkeypatch
):
    """Emptied and filled again by migration 0007's statement, the sums answer the same."""
    import importlib

    from sim2l_results_service.models import execute

    module = importlib.import_module("sim2l_results_service.migrations.0007_parameter_sums")
    kept = _sums_rows_of(stored_rows, "beam")
    with app.app_context():
        database = app.extensions["sim2l_database"]
        with database.connection_context(), database.atomic():
            execute("DELETE FROM results_parameter_sums")
            execute(module.fill_statement())
    filled = _sums_rows_of(stored_rows, "beam")
    assert [row[:4] for row in filled] == [row[:4] for row in kept]  # (other shifts: other sums)
    for name in ("stress", "load", "temperature"):
        param_class = "input" if name == "temperature" else "output"
        for version in ("1.0.0", "2.0.0"):
            ask = lambda name=name, param_class=param_class, version=version: (  # noqa: E731
                client.get_parameter_stats(
                    "beam", name, param_class=param_class, simulation_version=version
                )
            )
            summed_and_scanned(monkeypatch, ask)
    _check(
        summed_and_scanned(monkeypatch, _stats_of(client, "beam", "stress")),
        _expected(runs, "stress", lambda *_: True),
    )


# Two input names whose keys (parameter_key: the first 32 bits of md5("input:<name>")) are equal
SAME_KEY = ("p77658", "p106023")


def test_parameters_sharing_a_key_are_told_apart(
    client, tmp_path, monkeypatch, stored_rows, database_url
):
    """PostgreSQL probes a parameter's values by a 32-bit key of its class and name; two
    names with one key (found by search) never mix, in statistics or in columns. The
    probes read the key's index whatever the planner might prefer for a tiny table."""
    first, second = SAME_KEY
    digests = {
        hashlib.md5(f"input:{name}".encode(), usedforsecurity=False).hexdigest()[:8]
        for name in SAME_KEY
    }
    assert len(digests) == 1
    paths = [
        make_run(tmp_path, f"keyed-{n:02d}", {"t": n, first: n, second: 1000 + n}, {},
                 simulation="keyed")
        for n in range(12)
    ]  # fmt: skip
    assert client.bulk_register(paths, progress=False)["registered"] == 12
    statements = record_statements(monkeypatch, stats_module, "query")
    for name, offset in ((first, 0), (second, 1000)):
        stats = in_every_plan(
            monkeypatch,
            lambda name=name: client.get_parameter_stats(
                "keyed", name, param_class="input", input_filters={"t": {"between": [2, 5]}}
            ),
        )
        _check(stats, [float(offset + n) for n in range(2, 6)])
    sparse = client.columns("keyed", {"t": {"in": [0, 11]}}, columns=list(SAME_KEY))
    assert sparse["columns"][f"inputs.{first}"] == [0, 11]
    assert sparse["columns"][f"inputs.{second}"] == [1000, 1011]
    if database_url.startswith("postgresql"):
        probes = [entry for entry in statements if "= ANY(" in entry[0] and "md5" in entry[0]]
        assert probes
        sql, params = probes[0]
        settings = planner_settings({"enable_seqscan": "off", "enable_bitmapscan": "off"})
        plan = "\n".join(row[0] for row in stored_rows(settings + "EXPLAIN " + sql, params))
        assert "results_value_key" in plan, plan
