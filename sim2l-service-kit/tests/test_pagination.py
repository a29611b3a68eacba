"""The one pagination scheme: limit rule, opaque cursors, pages from limit + 1 rows."""

import pytest
from marshmallow import Schema
from marshmallow import ValidationError
from sim2l_service_kit.pagination import Cursor
from sim2l_service_kit.pagination import CursorField
from sim2l_service_kit.pagination import cursor_key
from sim2l_service_kit.pagination import decode_cursor
from sim2l_service_kit.pagination import encode_cursor
from sim2l_service_kit.pagination import limit_field
from sim2l_service_kit.pagination import page_answer


class ListQuery(Schema):
    limit = limit_field(maximum=500)
    cursor = CursorField()


@pytest.mark.parametrize(
    "key", [(1,), ("2026-12-01T04:00:00.123456Z", 42), (0.1 + 0.2, None, "ä/\x7f"), (-(2**62),)]
)
def test_a_cursor_gives_back_exactly_the_key_it_was_made_from(key):
    text = encode_cursor("created_desc", key)
    assert text.isascii() and "=" not in text and "/" not in text and "+" not in text
    assert decode_cursor(text) == Cursor("created_desc", key)


@pytest.mark.parametrize(
    "text",
    ["", "!!!", "bm90IGpzb24", encode_cursor("x", ())[:-2] + "__", "W10", "WyJ4Il0", "x" * 3000],
)
def test_text_that_is_not_a_cursor_is_refused_naming_the_field(text):
    with pytest.raises(ValidationError) as refused:
        ListQuery().load({"cursor": text})
    assert list(refused.value.messages) == ["cursor"]


def test_a_cursor_the_service_gave_out_loads_through_a_schema():
    text = encode_cursor("created_desc", ("2026-12-01T04:00:00.123456Z", 42))
    loaded = ListQuery().load({"cursor": text, "limit": "7"})
    assert loaded == {
        "cursor": Cursor("created_desc", ("2026-12-01T04:00:00.123456Z", 42)),
        "limit": 7,
    }


def test_a_cursor_holding_a_list_or_object_is_refused():
    import base64
    import json

    for payload in (["order", [1, 2]], ["order", {"a": 1}], [1, 2]):
        text = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
        with pytest.raises(ValueError):
            decode_cursor(text)


def test_limit_defaults_to_100_and_above_the_maximum_is_a_refusal_naming_it():
    assert ListQuery().load({}) == {"limit": 100, "cursor": None}
    assert ListQuery().load({"limit": "500"})["limit"] == 500
    with pytest.raises(ValidationError) as refused:
        ListQuery().load({"limit": "501"})
    assert "500" in refused.value.messages["limit"][0]
    with pytest.raises(ValidationError):
        ListQuery().load({"limit": "0"})


def test_a_cursor_of_another_order_or_shape_is_refused():
    cursor = decode_cursor(encode_cursor("name", ("alice",)))
    assert cursor_key(cursor, "name", 1) == ("alice",)
    assert cursor_key(None, "name", 1) is None
    for order, size in (("created_desc", 1), ("name", 2)):
        with pytest.raises(ValidationError) as refused:
            cursor_key(cursor, order, size)
        assert list(refused.value.messages) == ["cursor"]


def test_a_page_answer_says_whether_more_follow_and_where_to_resume():
    rows = [{"id": number} for number in range(1, 5)]
    last_page = page_answer(rows, 4, "id", lambda row: (row["id"],))
    assert last_page == {"items": rows, "limit": 4, "next_cursor": None}
    page = page_answer(rows, 3, "id", lambda row: (row["id"],))
    assert page["items"] == rows[:3]
    assert decode_cursor(page["next_cursor"]) == Cursor("id", (3,))
    shaped = page_answer(rows, 3, "id", lambda row: (row["id"],), items=["a", "b", "c", "d"])
    assert shaped["items"] == ["a", "b", "c"]
    assert page_answer([], 3, "id", lambda row: (row["id"],))["items"] == []
