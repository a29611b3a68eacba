"""A list or search page's size is bounded whatever the runs hold, on both backends.

100 runs with 10,000 inputs each: a page of all of them shows each run's
inputs up to ``max_page_params_bytes`` (in name order) and says how many it
left out; ``params`` picks the names to show; one result's own view stays
whole.
"""

import orjson
import peewee
import pytest
import requests
from runfiles import make_run
from sim2l_sessions.database import database_from_url

RUNS = 100
INPUTS = 10_000


@pytest.fixture
def app_config(app_config):
    """Room for 10,000 inputs and an output per run."""
    return {**app_config, "max_parameters": 20_000}


def copies_of_result(database_url: str, execution_id: str, copies: int) -> int:
    """Store ``copies`` more results like ``execution_id`` (straight into the database)."""
    database = database_from_url(database_url)
    try:
        columns = [c.name for c in database.get_columns("results_result") if c.name != "id"]
        others = [column for column in columns if column != "execution_id"]
        marker = "?" if isinstance(database, peewee.SqliteDatabase) else "%s"
        with database.atomic():
            for index in range(1, copies + 1):
                database.execute_sql(
                    f"INSERT INTO results_result (execution_id, {', '.join(others)}) "  # noqa: S608
                    f"SELECT {marker}, {', '.join(others)} FROM results_result "
                    f"WHERE execution_id = {marker}",
                    (f"wide-{index:03d}", execution_id),
                )
        (stored,) = database.execute_sql(
            "SELECT SUM(LENGTH(inputs_json)) FROM results_result"
        ).fetchone()
        return int(stored)
    finally:
        database.close()


def test_a_page_of_runs_with_10000_inputs_each_stays_small(
    client, url, tokens, tmp_path, app_config
):
    inputs = {f"p{number:05d}": number * 1.5 for number in range(INPUTS)}
    client.register_result(make_run(tmp_path, "wide-000", inputs, {"y": 2.0}))
    stored = copies_of_result(app_config["database_url"], "wide-000", RUNS - 1)
    headers = {"X-Session-ID": tokens["user"]}

    listed = requests.get(
        url + "/results",
        params={"simulation_name": "thermal_sim", "limit": 100},
        headers=headers,
        timeout=60,
    )
    assert listed.status_code == 200
    print(
        f"a page of {RUNS} runs with {INPUTS:,} inputs each: {len(listed.content):,} bytes "
        f"(their inputs alone hold {stored:,} bytes)"
    )
    page = orjson.loads(listed.content)
    assert len(page["items"]) == RUNS
    assert len(listed.content) < RUNS * (2 * 16 * 1024 + 1024)  # the documented bound
    item = page["items"][0]
    shown = item["input_params_truncated"]["shown"]
    assert item["input_params_truncated"]["total"] == INPUTS
    assert list(item["input_params"]) == sorted(inputs)[:shown]
    assert item["output_params"] == {"y": 2.0} and "output_params_truncated" not in item

    searched = requests.post(
        url + "/results/search",
        json={"simulation_name": "thermal_sim", "params": ["p00042", "y"], "limit": 100},
        headers=headers,
        timeout=60,
    ).json()
    assert {tuple(each["input_params"].items()) for each in searched["items"]} == {
        (("p00042", 63.0),)
    }
    assert searched["items"][0]["output_params"] == {"y": 2.0}
    chosen = requests.get(
        url + "/results",
        params={"simulation_name": "thermal_sim", "params": "p09999"},
        headers=headers,
        timeout=60,
    ).json()
    assert chosen["items"][0]["input_params"] == {"p09999": 9999 * 1.5}

    whole = client.get_result("wide-007")
    assert len(whole["input_params"]) == INPUTS
