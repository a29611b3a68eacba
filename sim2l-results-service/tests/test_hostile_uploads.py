"""Untrusted uploads: each broken or hostile file is a 4xx and leaves nothing stored."""

import os

import pytest
import requests
from runfiles import copy_of
from runfiles import make_run
from runfiles import plain_sqlite
from sim2l_results_client import InvalidRequestError

DROP = "'; DROP TABLE results_result; --"


@pytest.fixture
def good_run(tmp_path):
    """A genuine run file to derive hostile ones from."""
    return make_run(tmp_path / "source", "run-hostile", {"temperature": 350}, {"max_stress": 1.5e8})


def _stored_nothing(client, storage_dir, execution_id="run-hostile"):
    assert client.get_result(execution_id) is None
    assert client.search(simulation_name="thermal_sim") == []
    assert [p.name for p in storage_dir.iterdir() if p.name != ".incoming"] == []
    assert list((storage_dir / ".incoming").iterdir()) == []


def _hostile_files(good_run, tmp_path):
    yield "not sqlite", _write(tmp_path / "text.db", b"hello, this is not a database at all" * 10)
    yield "random bytes", _write(tmp_path / "random.db", os.urandom(8192))
    yield (
        "sqlite header then garbage",
        _write(tmp_path / "header.db", b"SQLite format 3\x00" + os.urandom(4096)),
    )
    yield "truncated run file", _write(tmp_path / "truncated.db", good_run.read_bytes()[:3000])
    yield "sqlite without the tables", plain_sqlite(tmp_path / "other.db", ["CREATE TABLE t (x)"])
    yield (
        "wrong schema version",
        copy_of(
            good_run,
            tmp_path / "v99.db",
            ["INSERT INTO schema_version (version, applied_at) VALUES (99, 0)"],
        ),
    )
    yield (
        "empty schema_version",
        copy_of(good_run, tmp_path / "v-none.db", ["DELETE FROM schema_version"]),
    )
    yield (
        "text schema version",
        copy_of(
            good_run,
            tmp_path / "v-text.db",
            [
                "DROP TABLE schema_version",
                "CREATE TABLE schema_version (version, applied_at, description)",
                "INSERT INTO schema_version (version, applied_at) VALUES ('two', 0)",
            ],
        ),
    )
    yield (
        "inputs is a view",
        copy_of(
            good_run,
            tmp_path / "view.db",
            [
                "DROP TABLE inputs",
                "CREATE VIEW inputs AS SELECT name, type, value_kind, value_json, units, "
                "description FROM outputs",
            ],
        ),
    )
    yield (
        "two run rows",
        copy_of(
            good_run,
            tmp_path / "two.db",
            [
                "CREATE TABLE run2 AS SELECT * FROM run",
                "DROP TABLE run",
                "CREATE TABLE run AS SELECT * FROM run2",
                "UPDATE run2 SET id = 2",
                "INSERT INTO run SELECT * FROM run2",
            ],
        ),
    )
    yield (
        "value json not matching its kind",
        copy_of(
            good_run,
            tmp_path / "kind.db",
            ["UPDATE inputs SET value_json = '\"hot\"' WHERE name = 'temperature'"],
        ),
    )
    yield (
        "malformed json",
        copy_of(
            good_run,
            tmp_path / "json.db",
            [
                "UPDATE inputs SET value_json = '{not json', value_kind = 'dict' "
                "WHERE name = 'temperature'"
            ],
        ),
    )
    yield (
        "unknown value kind",
        copy_of(
            good_run,
            tmp_path / "unknown.db",
            ["UPDATE inputs SET value_kind = 'pickle' WHERE name = 'temperature'"],
        ),
    )
    yield (
        "execution id that is a path",
        copy_of(
            good_run, tmp_path / "path.db", ["UPDATE run SET execution_id = '../../etc/passwd'"]
        ),
    )
    yield (
        "huge parameter name",
        copy_of(
            good_run,
            tmp_path / "name.db",
            [f"UPDATE inputs SET name = '{'n' * 5000}' WHERE name = 'temperature'"],  # noqa: S608 (fixed SQL; values are bound parameters)
        ),
    )
    yield (
        "simulation name of a megabyte",
        copy_of(
            good_run,
            tmp_path / "simname.db",
            ["UPDATE run SET simulation_name = printf('%.*c', 1000000, 'x')"],
        ),
    )
    yield (
        "text where a time belongs",
        copy_of(good_run, tmp_path / "time.db", ["UPDATE run SET created_at = 'yesterday'"]),
    )


def _write(path, data):
    path.write_bytes(data)
    return path


def test_hostile_files_are_refused_and_nothing_is_stored(client, good_run, tmp_path, storage_dir):
    for label, path in _hostile_files(good_run, tmp_path):
        with pytest.raises(InvalidRequestError) as refused:
            client.register_result(path)
            pytest.fail(f"{label}: registered")
        assert 400 <= refused.value.status < 500, label
        assert refused.value.code in (
            "not_a_run_database",
            "invalid_run_file",
            "unsupported_schema_version",
        ), (label, refused.value.code, refused.value.message)
        _stored_nothing(client, storage_dir)


def test_wrong_schema_version_says_so(client, good_run, tmp_path):
    path = copy_of(
        good_run,
        tmp_path / "v99.db",
        ["INSERT INTO schema_version (version, applied_at) VALUES (99, 0)"],
    )
    with pytest.raises(InvalidRequestError) as refused:
        client.register_result(path)
    assert refused.value.status == 422 and refused.value.code == "unsupported_schema_version"


def test_values_crafted_like_sql_are_stored_as_plain_text(client, tmp_path):
    path = make_run(
        tmp_path,
        "run-sql",
        {DROP: DROP, "temperature": 350},
        {"max_stress": 1.5e8},
        simulation="thermal_sim",
    )
    client.register_result(path)
    found = client.search(simulation_name="thermal_sim", input_filters={DROP: DROP})
    assert [r["input_params"][DROP] for r in found] == [DROP]
    assert client.distinct_values("thermal_sim", DROP) == [{"value": DROP, "count": 1}]
    assert client.search(simulation_name=DROP) == []
    assert client.get_parameter_stats(DROP, DROP)["count"] == 0
    assert len(client.search(simulation_name="thermal_sim")) == 1  # the table is still there


def test_triggers_and_views_in_the_upload_never_run(client, good_run, tmp_path, storage_dir):
    marker = tmp_path / "pwned.db"
    path = copy_of(
        good_run,
        tmp_path / "trigger.db",
        [
            "CREATE VIEW innocent AS SELECT * FROM run",
            "CREATE TRIGGER evil AFTER INSERT ON logs BEGIN DELETE FROM inputs; END",
            "CREATE TABLE IF NOT EXISTS audit (x)",
            "CREATE TRIGGER evil2 BEFORE DELETE ON run BEGIN INSERT INTO audit VALUES (1); END",
        ],
    )
    registered = client.register_result(path)
    assert registered["input_count"] == 1
    assert not marker.exists()
    stored = storage_dir / "run-hostile.db"
    assert stored.read_bytes() == path.read_bytes()  # the service never wrote to it


def test_huge_string_value_is_kept_but_not_indexed(client, tmp_path):
    big = "x" * 200_000
    path = make_run(tmp_path, "run-big", {"label": big, "short": "ok"}, {"y": 1.0})
    client.register_result(path)
    assert client.get_result("run-big")["input_params"]["label"] == big
    assert client.search(simulation_name="thermal_sim", input_filters={"label": big}) == []
    assert len(client.search(simulation_name="thermal_sim", input_filters={"short": "ok"})) == 1


def test_multipart_upload_and_fields(url, tokens, tmp_path, client):
    path = make_run(tmp_path, "run-multipart", {"x": 1}, {"y": 2})
    headers = {"X-Session-ID": tokens["user"]}
    with open(path, "rb") as stream:
        response = requests.post(
            url + "/results",
            files={"run_db": ("x.db", stream)},
            data={"execution_id": "run-multipart"},
            headers=headers,
            timeout=30,
        )
    assert response.status_code == 201, response.text
    with open(path, "rb") as stream:
        response = requests.post(
            url + "/results",
            files={"run_db": ("../../evil.db", stream)},
            data={"execution_id": "other-id"},
            headers=headers,
            timeout=30,
        )
    assert (
        response.status_code == 422 and response.json()["error"]["code"] == "execution_id_mismatch"
    )
    with open(path, "rb") as stream:
        response = requests.post(
            url + "/results", files={"wrong_field": ("x.db", stream)}, headers=headers, timeout=30
        )
    assert response.status_code == 400
    response = requests.post(
        url + "/results", data=b"x", headers={**headers, "Content-Type": "text/plain"}, timeout=30
    )
    assert response.status_code == 415
    response = requests.post(
        url + "/results",
        data=b"",
        headers={**headers, "Content-Type": "application/vnd.sqlite3"},
        timeout=30,
    )
    assert response.status_code == 400
    assert [r["execution_id"] for r in client.search(simulation_name="thermal_sim")] == [
        "run-multipart"
    ]


BIG = 123456789012345678901234567890  # beyond 64 bits


def _with_input_value(good_run, target, kind: str, value_json: str):
    return copy_of(
        good_run,
        target,
        [
            f"UPDATE inputs SET value_kind = '{kind}', value_json = '{value_json}' "  # noqa: S608 (a crafted test file)
            "WHERE name = 'temperature'"
        ],
    )


@pytest.mark.parametrize(
    ("kind", "value_json", "expected"),
    [
        ("int", str(BIG), BIG),
        ("int", str(-(BIG**11)), -(BIG**11)),  # beyond a double too
        ("list", f"[1, {BIG}]", [1, BIG]),
        ("dict", f'{{"n": {BIG}, "x": [{BIG}]}}', {"n": BIG, "x": [BIG]}),
    ],
)
def test_integers_beyond_64_bits_are_kept_with_every_digit(
    client, good_run, tmp_path, kind, value_json, expected
):
    path = _with_input_value(good_run, tmp_path / "big.db", kind, value_json)
    assert client.register_result(path)["input_count"] == 1
    assert client.get_result("run-hostile")["input_params"]["temperature"] == expected
    if kind == "int" and expected > 0:  # a number where it fits a double: searchable
        found = client.search(
            simulation_name="thermal_sim", input_filters={"temperature": {"gt": 1e29}}
        )
        assert [r["input_params"]["temperature"] for r in found] == [BIG]


@pytest.mark.parametrize(
    ("kind", "value_json", "where"),
    [
        ("str", '"\\ud800"', "lone surrogate"),
        ("dict", '{"\\udfff": 1}', "lone surrogate"),
        ("list", '["ok", "a\\u0000b"]', "NUL"),
        ("str", '"a\\u0000b"', "NUL"),
    ],
)
def test_strings_breaking_the_text_rule_are_a_422_naming_the_parameter(
    client, good_run, tmp_path, storage_dir, kind, value_json, where
):
    path = _with_input_value(good_run, tmp_path / "bad.db", kind, value_json)
    with pytest.raises(InvalidRequestError) as refused:
        client.register_result(path)
    assert refused.value.status == 422, refused.value
    assert refused.value.details == {"parameter": "temperature"}
    assert "temperature" in refused.value.message and where in refused.value.message
    _stored_nothing(client, storage_dir)
