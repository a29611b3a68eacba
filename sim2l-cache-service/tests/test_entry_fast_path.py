"""The fast paths (``load_entry``, the path key) accept only what the schemas accept, unchanged."""

import math
import random

import pytest
from entries import ENTRY
from marshmallow import ValidationError
from sim2l_cache_service.schemas import EntrySchema
from sim2l_cache_service.schemas import _fast_entry
from sim2l_cache_service.schemas import load_entry

SCHEMA = EntrySchema()

# Values that probe every rule: types, bounds, NUL and control characters.
PROBES = [
    None,
    True,
    False,
    0,
    1,
    -1,
    2**63 - 1,
    2**63,
    10**400,
    0.5,
    24.0,
    -3.5,
    math.nan,
    math.inf,
    "",
    "x",
    "a/b//c",
    "nul\x00here",
    "tab\there",
    "del\x7f",
    "é" * 200,
    "k" * 512,
    "k" * 513,
    "v" * 4097,
    "24",
    [],
    [1, 2],
    {},
    {"a": 1, "nested": {"b": [1, 2]}},
]
OPTIONAL = {"result_id": 7, "metadata": {"temperature": 350}, "ttl_hours": 24, "ttl_seconds": 60}


def schema_answer(data):
    try:
        return SCHEMA.load(data)
    except ValidationError:
        return "invalid"


def entries(count):
    rng = random.Random(20261124)
    names = [*ENTRY, *OPTIONAL, "unknown_field"]
    for _ in range(count):
        data = dict(ENTRY)
        for name in rng.sample(list(OPTIONAL), rng.randint(0, 2)):
            data[name] = OPTIONAL[name]
        for _ in range(rng.randint(0, 2)):
            name = rng.choice(names)
            if rng.random() < 0.15:
                data.pop(name, None)
            else:
                data[name] = rng.choice(PROBES)
        yield data


def test_the_fast_path_never_accepts_what_the_schema_refuses():
    fast_accepted = 0
    for data in entries(20000):
        fast = _fast_entry(data)
        if fast is None:
            continue
        fast_accepted += 1
        assert schema_answer(data) == fast, data
    # The generator produces plenty of valid entries: the path is exercised.
    assert fast_accepted > 2000


def test_a_typical_entry_takes_the_fast_path_with_the_schemas_result():
    data = {**ENTRY, "result_id": None, "metadata": {"t": 350}, "ttl_hours": 24}
    fast = _fast_entry(data)
    assert fast is not None
    assert fast == SCHEMA.load(data)
    assert isinstance(fast["ttl_hours"], float)
    assert fast["metadata"] is not data["metadata"]


@pytest.mark.parametrize(
    "change",
    [
        {"simulation_id": "42"},
        {"ttl_hours": 24, "ttl_seconds": 60},
        {"cache_key": "bad\nkey"},
        {"unknown_field": 1},
        {"ttl_hours": 0},
    ],
)
def test_invalid_entries_still_get_the_schemas_explanation(change):
    with pytest.raises(ValidationError) as raised:
        load_entry({**ENTRY, **change})
    assert raised.value.messages


@pytest.mark.parametrize("key", [probe for probe in PROBES if probe is not None])
def test_the_path_key_fast_path_answers_as_the_schema_does(key):
    from marshmallow import Schema
    from sim2l_cache_service.schemas import KeyPathSchema

    schema = KeyPathSchema()
    try:
        expected = Schema.load(schema, {"cache_key": key})
    except ValidationError as error:
        with pytest.raises(ValidationError) as raised:
            schema.load({"cache_key": key})
        assert raised.value.messages == error.messages
    else:
        assert schema.load({"cache_key": key}) == expected
