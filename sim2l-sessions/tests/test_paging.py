"""follow_pages: every item of every page, in order, and no endless loop."""

import pytest
from sim2l_sessions.client_errors import ServiceError
from sim2l_sessions.paging import follow_pages

PAGES = {
    None: {"items": [1, 2], "limit": 2, "next_cursor": "b"},
    "b": {"items": [3, 4], "limit": 2, "next_cursor": "c"},
    "c": {"items": [5], "limit": 2, "next_cursor": None},
}


def test_every_item_of_every_page_in_order_each_page_asked_for_once():
    asked = []

    def fetch(cursor):
        asked.append(cursor)
        return PAGES[cursor]

    assert list(follow_pages(fetch)) == [1, 2, 3, 4, 5]
    assert asked == [None, "b", "c"]


def test_pages_are_fetched_only_as_the_items_are_read():
    asked = []

    def fetch(cursor):
        asked.append(cursor)
        return PAGES[cursor]

    items = follow_pages(fetch)
    assert next(items) == 1 and asked == [None]


def test_a_service_answering_the_cursor_it_was_given_is_an_error_not_a_loop():
    def fetch(cursor):
        return {"items": [0], "limit": 1, "next_cursor": "same"}

    with pytest.raises(ServiceError, match="same next_cursor"):
        list(follow_pages(fetch))
