"""All matching runs as columns: ``POST /results/columns``, ``ResultsClient.columns`` and
``to_dataframe``, checked value by value against what the run files hold."""

import math
import random

import orjson
import pandas
import pytest
import requests
from runfiles import make_run
from sim2l.rundb import RunDatabase
from sim2l_results_client import InvalidRequestError
from sim2l_results_client import ServerError
from sim2l_results_service import column_values
from sim2l_results_service import columnar
from sim2l_sessions.timestamps import format_timestamp
from sim2l_sessions.timestamps import parse_timestamp
from spying import record_statements

LONG_TEXT = "x" * 3000  # longer than the string index keeps: stored as JSON
UNITS = {"temperature": "K", "pressure": "bar", "max_stress": "Pa"}


def run_values(n: int) -> tuple[dict, dict]:
    inputs = {
        "temperature": 300.0 + 10 * n,
        "steps": 10 + n,
        "material": ["steel", "copper"][n % 2],
        "refine": n % 3 == 0,
    }
    if n % 4 != 1:
        inputs["pressure"] = 1.5 * n  # missing from every fourth run
    outputs = {"max_stress": 1e8 * (n + 1), "mesh": [n, n + 1]}
    if n == 2:
        outputs["max_stress"] = float("nan")
    if n == 3:
        outputs["note"] = LONG_TEXT
    if n == 4:
        outputs["note"] = None
    return inputs, outputs


@pytest.fixture
def runs(client, tmp_path):
    """Eight runs of thermal_sim 1.0.0 and one of 2.0.0; returns their run file paths by id."""
    paths = {}
    for n in range(8):
        inputs, outputs = run_values(n)
        paths[f"col-{n}"] = make_run(
            tmp_path,
            f"col-{n}",
            inputs,
            outputs,
            units=UNITS,
            schemas={"inputs": {"temperature": {"type": "number", "units": "K"}}},
        )
    paths["other-version"] = make_run(
        tmp_path, "other-version", {"temperature": 1.0}, {"max_stress": 2.0}, version="2.0.0"
    )
    summary = client.bulk_register(list(paths.values()), progress=False)
    assert summary["registered"] == 9, summary["failed"]
    return paths


def file_values(path) -> dict:
    """``{column name: value}`` of one run file, read with sim2l-core's RunDatabase."""
    with RunDatabase(path=path) as run:
        values = {f"inputs.{item['name']}": item["value"] for item in run.get_inputs()}
        values.update({f"outputs.{item['name']}": item["value"] for item in run.get_outputs()})
        values["status"] = run.get_summary()["status"]
    return values


def same(expected, actual) -> bool:
    if isinstance(expected, float) and math.isnan(expected):
        return actual is None or (isinstance(actual, float) and math.isnan(actual))
    return expected == actual and type(expected) is type(actual)


def test_columns_hold_every_value_of_every_run(client, runs):
    answer = client.columns("thermal_sim", simulation_version="1.0.0")
    assert answer["simulation_name"] == "thermal_sim"
    assert answer["count"] == 8
    names = list(answer["columns"])
    assert names[:3] == ["execution_id", "status", "created_at"]
    assert names[3:] == [
        "inputs.material",
        "inputs.pressure",
        "inputs.refine",
        "inputs.steps",
        "inputs.temperature",
        "outputs.max_stress",
        "outputs.mesh",
        "outputs.note",
    ]
    assert {len(column) for column in answer["columns"].values()} == {8}
    assert answer["columns"]["execution_id"] == [f"col-{n}" for n in range(8)]
    for row, execution_id in enumerate(answer["columns"]["execution_id"]):
        expected = file_values(runs[execution_id])
        for name in names[3:]:
            value = answer["columns"][name][row]
            if name not in expected:
                assert value is None, (execution_id, name)
            else:
                assert same(expected[name], value), (execution_id, name, value)
        assert answer["columns"]["status"][row] == expected["status"] == "completed"
        created = answer["columns"]["created_at"][row]
        assert created == format_timestamp(parse_timestamp(created))  # the one format
    assert answer["units"]["inputs.temperature"] == "K"
    assert answer["units"]["outputs.max_stress"] == "Pa"
    assert answer["units"]["inputs.material"] is None
    assert answer["types"]["inputs.temperature"] == "number"
    assert answer["types"]["created_at"] == "datetime"


def test_filters_and_chosen_columns(client, runs):
    answer = client.columns(
        "thermal_sim",
        {"temperature": {"ge": 320}, "material": {"in": ["steel"]}},
        {"max_stress": {"between": [1e8, 8e8]}},
        simulation_version="1.0.0",
        columns=["temperature", "outputs.max_stress"],
    )
    assert list(answer["columns"]) == [
        "execution_id",
        "status",
        "created_at",
        "inputs.temperature",
        "outputs.max_stress",
    ]
    # steel is every even run; temperature >= 320 from run 2 on; run 2's stress is NaN
    assert answer["columns"]["execution_id"] == ["col-4", "col-6"]
    assert answer["columns"]["inputs.temperature"] == [340.0, 360.0]
    assert answer["columns"]["outputs.max_stress"] == [5e8, 7e8]
    named = client.columns("thermal_sim", columns=["execution_id", "created_at", "inputs.steps"])
    assert list(named["columns"]) == ["execution_id", "status", "created_at", "inputs.steps"]
    everything = client.columns("thermal_sim", columns=["temperature"])
    assert everything["count"] == 9  # both versions without simulation_version
    assert client.columns("thermal_sim", {"temperature": -1})["count"] == 0
    assert client.columns("thermal_sim", columns=[])["columns"].keys() == {
        "execution_id",
        "status",
        "created_at",
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"simulation_name": "thermal_sim", "columns": "temperature"}, "columns"),
        ({"simulation_name": "thermal_sim", "input_filters": {"t": {"near": 1}}}, "input_filters"),
        ({"columns": ["temperature"]}, "simulation_name"),
        ({"simulation_name": "thermal_sim", "limit": 5}, "limit"),
    ],
)
def test_bad_requests_are_400s_naming_the_field(client, runs, url, tokens, body, field):
    response = requests.post(
        url + "/results/columns", json=body, headers={"X-Session-ID": tokens["user"]}, timeout=10
    )
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    with pytest.raises(InvalidRequestError):
        client.columns("thermal_sim", columns=["no_such_parameter"])


def test_a_parameter_no_run_holds_is_a_422_naming_it(client, runs, url, tokens):
    body = {"simulation_name": "thermal_sim", "columns": ["temperature", "nope"]}
    response = requests.post(
        url + "/results/columns", json=body, headers={"X-Session-ID": tokens["user"]}, timeout=10
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "unknown_parameter"
    assert "'nope'" in error["details"]["columns"][0]
    with pytest.raises(InvalidRequestError, match="no_such_parameter"):
        client.columns("thermal_sim", columns=["no_such_parameter"])


def test_needs_read_results(url, runs):
    response = requests.post(
        url + "/results/columns", json={"simulation_name": "thermal_sim"}, timeout=10
    )
    assert response.status_code == 401


def test_the_answer_streams_in_chunks(client, runs, url, tokens, monkeypatch):
    monkeypatch.setattr(columnar, "CHUNK_ROWS", 3)
    response = requests.post(
        url + "/results/columns",
        json={"simulation_name": "thermal_sim", "simulation_version": "1.0.0"},
        headers={"X-Session-ID": tokens["user"]},
        stream=True,
        timeout=10,
    )
    assert response.headers["Content-Type"] == "application/x-ndjson"
    assert "Content-Length" not in response.headers
    lines = [orjson.loads(line) for line in response.iter_lines()]
    header, chunks, trailer = lines[0], lines[1:-1], lines[-1]
    assert header["columns"][:3] == ["execution_id", "status", "created_at"]
    assert [chunk["rows"] for chunk in chunks] == [3, 3, 2]
    assert trailer == {"count": 8}
    whole = client.columns("thermal_sim", simulation_version="1.0.0")
    for name in header["columns"]:
        joined = [value for chunk in chunks for value in chunk["columns"][name]]
        assert orjson.dumps(joined) == orjson.dumps(whole["columns"][name])


def test_more_parameters_than_a_join_may_hold(client, tmp_path, monkeypatch):
    """70 parameters (SQLite joins at most 64 tables), across chunks, other simulations between."""
    monkeypatch.setattr(columnar, "CHUNK_ROWS", 2)
    paths = []
    for n in range(5):
        inputs = {f"p{i:02d}": float(n * 100 + i) for i in range(70)}
        paths.append(make_run(tmp_path, f"wide-{n}", inputs, {"out": n}))
        paths.append(make_run(tmp_path, f"other-{n}", {"p00": -1.0}, {}, simulation="other"))
    client.bulk_register(paths, progress=False)
    answer = client.columns("thermal_sim")
    assert answer["count"] == 5
    for i in range(70):
        assert answer["columns"][f"inputs.p{i:02d}"] == [float(n * 100 + i) for n in range(5)]
    assert answer["columns"]["outputs.out"] == [0, 1, 2, 3, 4]
    assert client.columns("other", columns=["p00"])["columns"]["inputs.p00"] == [-1.0] * 5


def test_a_failure_part_way_is_an_error_not_a_short_answer(client, runs, monkeypatch):
    monkeypatch.setattr(columnar, "CHUNK_ROWS", 3)
    real_chunk = columnar._chunk
    calls = []

    def failing_second_chunk(*args):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real_chunk(*args)

    monkeypatch.setattr(columnar, "_chunk", failing_second_chunk)
    with pytest.raises(ServerError, match="failed part way"):
        client.columns("thermal_sim")


def test_dataframe_matches_the_run_files(client, runs):
    frame = client.to_dataframe("thermal_sim", simulation_version="1.0.0")
    assert list(frame.columns[:3]) == ["execution_id", "status", "created_at"]
    assert len(frame) == 8
    assert str(frame["created_at"].dtype) == "datetime64[us, UTC]" or str(
        frame["created_at"].dtype
    ).startswith("datetime64")
    assert frame["inputs.temperature"].dtype == "float64"
    assert frame["inputs.steps"].dtype == "int64"
    assert frame["inputs.pressure"].dtype == "float64"  # NaN where a run lacks it
    assert frame["outputs.max_stress"].dtype == "float64"
    assert frame["inputs.refine"].dtype == bool
    assert frame.attrs["units"]["inputs.temperature"] == "K"
    assert frame.attrs["units"]["inputs.pressure"] == "bar"
    assert frame.attrs["units"]["outputs.max_stress"] == "Pa"
    assert set(frame.attrs["units"]) == set(frame.columns)
    for _, row in frame.iterrows():
        expected = file_values(runs[row["execution_id"]])
        for name in frame.columns[3:]:
            actual = row[name]
            if name not in expected or expected[name] is None:
                assert actual is None or pandas.isna(actual), (row["execution_id"], name)
            elif isinstance(expected[name], float) and math.isnan(expected[name]):
                assert math.isnan(actual)
            elif isinstance(expected[name], list):
                assert list(actual) == expected[name]
            else:
                assert actual == expected[name], (row["execution_id"], name, actual)
    assert frame.loc[frame["execution_id"] == "col-3", "outputs.note"].item() == LONG_TEXT
    assert frame["outputs.max_stress"].isna().sum() == 1
    assert frame["inputs.pressure"].isna().sum() == 2


def test_dataframe_filters_and_columns(client, runs):
    frame = client.to_dataframe(
        "thermal_sim", {"material": "copper"}, columns=["inputs.temperature"]
    )
    assert list(frame.columns) == ["execution_id", "status", "created_at", "inputs.temperature"]
    assert frame["execution_id"].tolist() == ["col-1", "col-3", "col-5", "col-7"]
    assert frame["inputs.temperature"].tolist() == [310.0, 330.0, 350.0, 370.0]
    empty = client.to_dataframe("thermal_sim", {"temperature": {"gt": 1e9}})
    assert len(empty) == 0 and "outputs.max_stress" in empty.columns


def test_an_empty_frame_has_the_dtypes_of_a_full_one(client, runs):
    """So that frames of several queries concatenate without changing a column's dtype."""
    chosen = ["inputs.temperature", "inputs.steps", "inputs.material", "inputs.refine"]
    full = client.to_dataframe("thermal_sim", simulation_version="1.0.0", columns=chosen)
    empty = client.to_dataframe(
        "thermal_sim", {"temperature": {"gt": 1e9}}, simulation_version="1.0.0", columns=chosen
    )
    assert len(full) == 8 and len(empty) == 0
    assert empty.dtypes.to_dict() == full.dtypes.to_dict()
    assert str(full["created_at"].dtype) == "datetime64[us, UTC]"
    assert pandas.concat([full, empty]).dtypes.to_dict() == full.dtypes.to_dict()


def changing_values(n: int) -> dict:
    """Inputs whose kinds change from chunk to chunk (chunks of 2 runs)."""
    inputs = {
        "x": float(n) + 0.5 if n not in (4, 5) else n,  # floats, two ints, floats again
        "flag": n % 3 == 0,
        "label": LONG_TEXT if n == 7 else f"run {n}",  # one string kept only as JSON
        "count": n if n != 9 else 9.25,  # ints, then one float
    }
    if n != 8:
        inputs["maybe"] = n * 2  # missing from run 8
    if n == 3:
        inputs["x"] = float("nan")
    return inputs


RUNS_HOLDING = 2000  # runs of a parameter in the plan test (the planner weighs its entries)


def register_changing_runs(client, folder, interleaved: bool) -> None:
    """12 runs of thermal_sim with ``changing_values``; ``interleaved``: another simulation's
    runs (same parameter names, other kinds) registered between them."""
    paths = []
    for n in range(12):
        paths.append(make_run(folder, f"chg-{n}", changing_values(n), {"y": n / 3}))
        if interleaved:
            paths.append(
                make_run(folder, f"oth-{n}", {"x": "text", "count": n}, {}, simulation="other")
            )
    assert client.bulk_register(paths, progress=False)["failed"] == []


@pytest.mark.parametrize("interleaved", [False, True])
def test_chunk_by_chunk_reads_match_one_whole_read(client, tmp_path, monkeypatch, interleaved):
    """Reading a uniform parameter narrowly (after a uniform chunk) answers what a full read does.

    Kinds change between chunks (float to int and back, a long string kept as
    JSON, a value missing, a NaN); ``interleaved`` puts another simulation's
    runs (same parameter names) between this one's, so its run ids are not
    consecutive.
    """
    register_changing_runs(client, tmp_path, interleaved)
    whole = client.columns("thermal_sim")  # one chunk: every parameter read in full
    monkeypatch.setattr(columnar, "CHUNK_ROWS", 2)
    chunked = client.columns("thermal_sim")
    assert orjson.dumps(chunked) == orjson.dumps(whole)
    assert chunked["count"] == 12
    by_run = dict(zip(chunked["columns"]["execution_id"], range(12), strict=True))
    for execution_id, row in by_run.items():
        expected = file_values(tmp_path / f"{execution_id}.db")
        for name in chunked["columns"]:
            if name.startswith(("inputs.", "outputs.")):
                value = chunked["columns"][name][row]
                if name in expected:
                    assert same(expected[name], value), (execution_id, name, value)
                else:
                    assert value is None, (execution_id, name)
    assert chunked["columns"]["inputs.x"][4:6] == [4, 5]
    assert chunked["columns"]["inputs.count"][8:] == [8, 9.25, 10, 11]
    assert [type(value) for value in chunked["columns"]["inputs.count"][8:]] == [
        int,
        float,
        int,
        int,
    ]


# doubles whose shortest text needs all 17 digits, whole numbers held as floats, the extremes
FINE_FLOATS = [0.1 + 0.2, 1 / 3, 300.0, -0.0, -2.0, 1e15, 123456789012345.5, 2.5e-300, 5e-324]
FINE_FLOATS += [1.7976931348623157e308]


def test_floats_read_chunk_by_chunk_are_the_run_files_doubles(
    client, tmp_path, monkeypatch, database_url
):
    """Float columns after the first chunk (on PostgreSQL written as JSON by the server) are
    the very doubles the run files hold, whole numbers still floats, even where the server's
    default writes floats with 15 digits (``extra_float_digits`` 0)."""
    paths = [
        make_run(tmp_path, f"fine-{n}", {"x": value}, {"y": -value})
        for n, value in enumerate(FINE_FLOATS)
    ]
    assert client.bulk_register(paths, progress=False)["failed"] == []
    if database_url.startswith("postgresql"):
        real = columnar._rows_in_one_snapshot

        def on_a_short_float_server(*args):
            columnar.execute("SET extra_float_digits = 0")  # the connection's default from here
            yield from real(*args)

        monkeypatch.setattr(columnar, "_rows_in_one_snapshot", on_a_short_float_server)
    monkeypatch.setattr(columnar, "CHUNK_ROWS", 2)
    answer = client.columns("thermal_sim")
    columns = answer["columns"]
    assert answer["count"] == len(FINE_FLOATS)
    for row, execution_id in enumerate(columns["execution_id"]):
        expected = file_values(tmp_path / f"{execution_id}.db")
        for name in ("inputs.x", "outputs.y"):
            assert same(expected[name], columns[name][row]), (execution_id, name)


@pytest.mark.parametrize("span", [1, 10**9])
def test_a_filtered_answer_reads_by_key_or_by_range_alike(client, tmp_path, monkeypatch, span):
    """A filter's runs, read by key (sparse: ``SPARSE_SPAN`` 1) or by range scans (never
    sparse), over chunks of 2 (and, by key on PostgreSQL, statements of one run's
    parameters), are exactly the whole answer's rows for those runs."""
    register_changing_runs(client, tmp_path, interleaved=True)
    whole = client.columns("thermal_sim")
    monkeypatch.setattr(column_values, "SPARSE_SPAN", span)
    monkeypatch.setattr(columnar, "CHUNK_ROWS", 2)
    monkeypatch.setattr(column_values, "PROBED_ROWS", 3)  # PostgreSQL: a run per statement
    for filters in ({"flag": True}, {"count": {"ge": 5}}, {"maybe": {"lt": 9}}):
        filtered = client.columns("thermal_sim", filters)
        rows = [
            index
            for index, execution_id in enumerate(whole["columns"]["execution_id"])
            if execution_id in filtered["columns"]["execution_id"]
        ]
        assert len(rows) == filtered["count"] > 1
        for name, column in whole["columns"].items():
            expected = [column[index] for index in rows]
            assert orjson.dumps(filtered["columns"][name]) == orjson.dumps(expected), name


def test_column_timestamps_are_format_timestamp_value_for_value():
    """The whole-column formatting rounds microseconds exactly as datetime does, at every edge."""
    rng = random.Random(5)
    values = [rng.uniform(-1e10, 2.5e11) for _ in range(20_000)]
    values += [round(rng.uniform(0, 2e9), 6) + 5e-7 for _ in range(20_000)]  # half-microsecond ties
    values += [0.0, -0.5, -1.0000005, 1.0000005, 1.9999995, 59.99999999, 1e9 + 0.9999996]
    values += [-62135596800.0, 253402300799.99997]  # the first and nearly the last microsecond
    assert column_values.timestamps(values) == [format_timestamp(value) for value in values]
    assert column_values.timestamps([1.5, None]) == [format_timestamp(1.5), None]
    assert column_values.timestamps([]) == []
    for beyond in (1e12, 253402300800.0, -62135596800.5, float("nan")):
        with pytest.raises((ValueError, OverflowError)):  # as format_timestamp: no year 10000
            format_timestamp(beyond)
        with pytest.raises((ValueError, OverflowError)):
            column_values.timestamps([1.0, beyond])


def test_the_runs_cursor_is_planned_for_every_row(client, runs, monkeypatch, database_url):
    """PostgreSQL plans a cursor for its first tenth unless told otherwise, and the columnar
    answer reads all of it: under two range filters that plan took seconds at 100,000 runs.
    The answer's transaction plans for every row; the setting ends with the transaction."""
    monkeypatch.setattr(columnar, "CHUNK_ROWS", 3)
    setting = {"before": [], "during": []}
    real_catalogue, real_chunk = columnar.parameter_catalogue, columnar._chunk

    def noting(when, real):
        def call(*args):
            if database_url.startswith("postgresql"):
                shown = columnar.execute("SHOW cursor_tuple_fraction").fetchone()[0]
                setting[when].append(shown)
            return real(*args)

        return call

    monkeypatch.setattr(columnar, "parameter_catalogue", noting("before", real_catalogue))
    monkeypatch.setattr(columnar, "_chunk", noting("during", real_chunk))
    for _ in range(2):
        answer = client.columns(
            "thermal_sim",
            input_filters={"temperature": {"between": [310, 370]}},
            output_filters={"max_stress": {"lt": 7.5e8}},
        )
        # col-2's max_stress is NaN, stored as no number: no range matches it
        assert answer["columns"]["execution_id"] == ["col-1", "col-3", "col-4", "col-5", "col-6"]
    if database_url.startswith("postgresql"):
        assert setting == {"before": ["0.1"] * 2, "during": ["1"] * 4}


def _more_runs_holding(app, stored_rows, name: str, count: int) -> None:
    """``count`` more runs (copies of a registered run, simulation ``bulk``) holding the input
    ``name``, analysed: its key index then holds as many entries as a real parameter would."""
    copied = ", ".join(
        row[0]
        for row in stored_rows(
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            "'results_result' AND column_name NOT IN ('id', 'execution_id', 'simulation_name')"
        )
    )
    stored_rows(
        f"INSERT INTO results_result (execution_id, simulation_name, {copied}) "  # noqa: S608 (the table's own column names)
        f"SELECT 'bulk-' || n, 'bulk', {copied} FROM (SELECT * FROM results_result LIMIT 1) r "
        "CROSS JOIN generate_series(1, ?) n RETURNING id",
        (count,),
    )
    stored_rows(
        "INSERT INTO results_parameter_value (result_id, simulation_name, param_class, name, "
        "value_type, num_value, created_at) SELECT id, 'bulk', 'input', ?, 'int', id, 0 "
        "FROM results_result WHERE simulation_name = 'bulk' RETURNING result_id",
        (name,),
    )
    with app.app_context(), app.extensions["sim2l_database"].connection_context():
        app.extensions["sim2l_database"].execute_sql("ANALYZE results_parameter_value")


def test_sparse_runs_are_probed_through_the_key_index(
    app, client, tmp_path, monkeypatch, stored_rows, database_url
):
    """PostgreSQL reads a sparse chunk's parameters through their key index with the chunk's
    ids as the index's condition (a probe per id), not as a filter on every entry of the
    parameter, however many ids there are (the planner is not shown them)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite reads a sparse chunk with IN lists of ids")
    register_changing_runs(client, tmp_path, interleaved=True)
    _more_runs_holding(app, stored_rows, "count", RUNS_HOLDING)
    statements = record_statements(monkeypatch, column_values, "execute")
    monkeypatch.setattr(column_values, "SPARSE_SPAN", 1)
    assert client.columns("thermal_sim", {"count": {"ge": 5}})["count"] > 1
    probes = [entry for entry in statements if "unnest(?::text[], ?::text[])" in entry[0]]
    assert probes
    sql, params = probes[0]
    plan = [row[0] for row in stored_rows("EXPLAIN " + sql, params)]
    probed = [line for line in plan if "Index Cond" in line and "result_id = ANY" in line]
    assert "results_value_key" in "\n".join(plan) and probed, "\n".join(plan)
