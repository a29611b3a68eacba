"""Reading every page of a service's list, for the clients.

Every list of a sim2l service answers ``{"items": [...], "limit": N,
"next_cursor": ...}``; the next page is asked for with ``cursor=next_cursor``,
and ``next_cursor`` is null on the last page.
"""

from collections.abc import Callable
from collections.abc import Iterator

from sim2l_sessions.client_errors import ServiceError


def follow_pages(fetch: Callable[[str | None], dict]) -> Iterator:
    """The items of every page in order, ``fetch(cursor)`` fetching each (``None`` first).

    A service that hands back the cursor it was given would page forever;
    that is an error, not a loop.
    """
    cursor = None
    while True:
        page = fetch(cursor)
        yield from page["items"]
        following = page["next_cursor"]
        if following is None:
            return
        if following == cursor:
            raise ServiceError(f"the service answered the same next_cursor twice: {cursor!r}")
        cursor = following


def collect_pages(
    fetch: Callable[[int, str | None], dict], limit: int | None, largest: int
) -> list:
    """Up to ``limit`` items (``None``: all) of consecutive pages, each ``fetch(size, cursor)``.

    Each page asks for no more than is still wanted, at most ``largest`` (the
    service's largest page), so the last request fetches no items it drops.
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1 (or None for every item), not {limit!r}")
    found = []

    def next_page(cursor):
        wanted = largest if limit is None else min(limit - len(found), largest)
        return fetch(wanted, cursor)

    for item in follow_pages(next_page):
        found.append(item)
        if len(found) == limit:
            break
    return found
