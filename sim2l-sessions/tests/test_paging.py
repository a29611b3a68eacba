"""follow_pages: every item of every page, in order, and no endless loop."""

import pytest
from sim2l_sessions.client_errors import ServiceError
from sim2l_sessions.paging import collect_pages
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


def _numbered_pages(total: int, asked: list):
    """fetch(size, cursor) over items 0..total-1; records each (size, cursor) asked for."""

    def fetch(size, cursor):
        asked.append((size, cursor))
        start = int(cursor or 0)
        end = min(start + size, total)
        return {
            "items": list(range(start, end)),
            "limit": size,
            "next_cursor": str(end) if end < total else None,
        }

    return fetch


def test_collect_pages_asks_each_page_for_no_more_than_is_still_wanted():
    asked = []
    assert collect_pages(_numbered_pages(100, asked), 7, largest=3) == list(range(7))
    assert asked == [(3, None), (3, "3"), (1, "6")]


def test_collect_pages_without_a_limit_reads_every_page_at_the_largest_size():
    asked = []
    assert collect_pages(_numbered_pages(5, asked), None, largest=2) == list(range(5))
    assert asked == [(2, None), (2, "2"), (2, "4")]


def test_collect_pages_stops_at_the_last_page_below_the_limit_and_refuses_a_limit_below_1():
    assert collect_pages(_numbered_pages(4, []), 10, largest=3) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="at least 1"):
        collect_pages(_numbered_pages(4, []), 0, largest=3)
