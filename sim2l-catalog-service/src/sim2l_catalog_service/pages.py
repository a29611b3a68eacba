"""The catalog's lists, their orders, and the positions their cursors hold.

Every list pages the kit's one way (``sim2l_service_kit.pagination``): a
cursor is the sort key of the last item of a page, tagged with the name of
its order, and the next page is a keyset query after that key. Each order has
its own name, so a cursor of one list is refused by another, and its key is
checked here to be one this catalog gave out (types and ranges), so an edited
cursor is a 400 naming ``cursor``, never a query that fails.
"""

from marshmallow import ValidationError
from sim2l_service_kit.pagination import Cursor
from sim2l_service_kit.pagination import cursor_key

from sim2l_catalog_service.models import MAX_ID

# Search: relevance rank (0 exact name, 1 name prefix, 2 name contains,
# 3 other match; 0 for every row of a search without text), then newest (id
# descending). The same order with text or without, so a page of one can
# follow the other; the key is (rank, id).
SEARCH_ORDER = "catalog_search"
LOWEST_RANK = 3
# A simulation's versions: highest semantic version first (version_key
# descending), then the later registration (id descending; build metadata
# does not order versions). The key is (version_key, id).
VERSIONS_ORDER = "catalog_versions"
MAX_VERSION_KEY_LENGTH = 200  # the column's width


def _refused() -> ValidationError:
    return ValidationError({"cursor": ["not a cursor this service gave out"]})


def _is_id(value) -> bool:
    return type(value) is int and 0 <= value <= MAX_ID


def search_position(cursor: Cursor | None) -> tuple[int, int] | None:
    """``(rank, id)`` a search page resumes after; None for the first page."""
    key = cursor_key(cursor, SEARCH_ORDER, 2)
    if key is None:
        return None
    rank, identifier = key
    if not (type(rank) is int and 0 <= rank <= LOWEST_RANK and _is_id(identifier)):
        raise _refused()
    return rank, identifier


def versions_position(cursor: Cursor | None) -> tuple[str, int] | None:
    """``(version_key, id)`` a page of versions resumes after; None for the first page."""
    key = cursor_key(cursor, VERSIONS_ORDER, 2)
    if key is None:
        return None
    version_key, identifier = key
    valid_key = type(version_key) is str and len(version_key) <= MAX_VERSION_KEY_LENGTH
    if not (valid_key and "\x00" not in version_key and _is_id(identifier)):
        raise _refused()
    return version_key, identifier
