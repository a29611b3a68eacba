"""Parameter statistics over runs that hold the parameter as a number, as NaN, as text, or not at
all, under filters matching many, few or no runs, on both backends and through both of
PostgreSQL's plans (the matches' values probed, or the parameter's values scanned)."""

import math
import random
import statistics
from fractions import Fraction

import pytest
from runfiles import make_run
from sim2l_results_service import statistics as stats_module

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


def in_both_plans(monkeypatch, ask):
    """``ask()`` with PostgreSQL's plan for filtered statistics forced to probes, then to scans;
    both answers, which must be the same (SQLite has one plan: it runs twice there)."""
    answers = []
    for probe_limit, scanned_per_probe in ((10**9, 1), (0, 10**9)):
        with monkeypatch.context() as patch:
            patch.setattr(stats_module, "PROBE_LIMIT", probe_limit)
            patch.setattr(stats_module, "SCANNED_PER_PROBE", scanned_per_probe)
            answers.append(ask())
    probed, scanned = answers
    assert probed == {
        key: pytest.approx(value, rel=1e-9) if isinstance(value, float) else value
        for key, value in scanned.items()
    }
    return answers[0]


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
]  # fmt: skip


@pytest.mark.parametrize(("input_filters", "output_filters", "criteria", "select"), CASES)
def test_filtered_statistics_count_only_numbers_of_matching_runs(
    client, runs, monkeypatch, input_filters, output_filters, criteria, select
):
    """NaN, text and a missing parameter are not counted, whatever the filters and the plan."""
    stats = in_both_plans(
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
        return in_both_plans(
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
    ],
)
def test_statistics_under_a_filter_matching_nothing(
    client, runs, monkeypatch, input_filters, output_filters
):
    stats = in_both_plans(
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
    stats = in_both_plans(
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
        stats = in_both_plans(
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
        stats = in_both_plans(
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
