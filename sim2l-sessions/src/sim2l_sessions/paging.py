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
