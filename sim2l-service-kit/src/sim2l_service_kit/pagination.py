"""One way to page through every list a sim2l service answers.

A list is asked for with ``limit`` (how many items, 1 to the list's maximum)
and ``cursor`` (opaque; absent for the first page), and answers

    {"items": [...], "limit": 100, "next_cursor": "..."}   # null on the last page

One rule for a too-large ``limit``: a 400 ``validation_error`` that names the
maximum, never a silent cap (a client that asked for 5,000 and got 500 would
think it had everything).

The cursor is the sort key of the last item of the page, tagged with the name
of the order it belongs to, in URL-safe base64 of JSON. The next page is a
keyset query (``WHERE (key) > (cursor) ORDER BY key LIMIT limit + 1``), so
page 1,000 costs what page 1 costs, and rows added or removed between pages
neither repeat nor skip the rows that stay. Cursors are not secret and not
signed: a client that edits one only moves its own position, and one that
does not decode, or that belongs to another order, is a 400 naming ``cursor``.

In a view::

    class ListQuery(Schema):
        limit = limit_field(maximum=1000)
        cursor = CursorField()

    rows = store.list(after=cursor_key(args["cursor"], "created_desc"), limit=limit + 1)
    return page_answer(rows, limit, order="created_desc", key_of=lambda row: (...))
"""

import base64
import binascii
import json
import math
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass

from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import validate

from sim2l_service_kit.schemas import ResponseSchema

DEFAULT_LIMIT = 100
# A cursor holds one sort key; a long one is not a cursor this service gave out.
MAX_CURSOR_LENGTH = 2048
_SCALARS = (str, int, float, type(None))


@dataclass(frozen=True)
class Cursor:
    """A decoded cursor: the order it belongs to and the sort key of the last item seen."""

    order: str
    key: tuple


def encode_cursor(order: str, key: Sequence) -> str:
    """The opaque text of the cursor that resumes ``order`` after sort key ``key``."""
    text = json.dumps([order, *key], separators=(",", ":"), ensure_ascii=True)
    return base64.urlsafe_b64encode(text.encode("ascii")).rstrip(b"=").decode("ascii")


def decode_cursor(text: str) -> Cursor:
    """The ``Cursor`` in ``text``; ``ValueError`` naming what is wrong with it."""
    if not isinstance(text, str) or not 0 < len(text) <= MAX_CURSOR_LENGTH:
        raise ValueError("not a cursor this service gave out")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise ValueError("not a cursor this service gave out") from error
    valid = (
        isinstance(values, list)
        and len(values) >= 2
        and isinstance(values[0], str)
        and all(type(value) in _SCALARS for value in values[1:])
    )
    if not valid:
        raise ValueError("not a cursor this service gave out")
    return Cursor(values[0], tuple(values[1:]))


class CursorField(fields.String):
    """The ``cursor`` query parameter: loads to a ``Cursor``, or ``None`` when absent."""

    def __init__(self, **kwargs):
        kwargs.setdefault("load_default", None)
        metadata = {
            "description": "opaque: the next_cursor of the previous page; absent for the first",
            # Said here, not as a validator: validators see the loaded Cursor.
            "minLength": 1,
            "maxLength": MAX_CURSOR_LENGTH,
            **kwargs.pop("metadata", {}),
        }
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return decode_cursor(text)
        except ValueError as error:
            raise ValidationError(str(error)) from error


def limit_field(maximum: int, default: int = DEFAULT_LIMIT) -> fields.Integer:
    """The ``limit`` query parameter: 1 to ``maximum``; more is a 400 naming the maximum."""
    return fields.Integer(
        load_default=min(default, maximum),
        validate=validate.Range(
            min=1, max=maximum, error=f"must be between 1 and {maximum} (the largest page)"
        ),
        metadata={"description": f"items per page, at most {maximum}"},
    )


def cursor_key(cursor: Cursor | None, order: str, size: int) -> tuple | None:
    """The sort key to resume after, checked to belong to ``order`` with ``size`` parts.

    ``None`` for the first page. A cursor of another order or shape (given out
    for another sort, or edited) is a ``ValidationError`` on ``cursor``.
    """
    if cursor is None:
        return None
    if cursor.order != order or len(cursor.key) != size:
        raise ValidationError({"cursor": ["belongs to another list or order"]})
    return cursor.key


def page_answer(
    rows: Sequence, limit: int, order: str, key_of: Callable, items: Sequence | None = None
) -> dict:
    """``{"items", "limit", "next_cursor"}`` from up to ``limit + 1`` fetched ``rows``.

    The query fetches one row more than the page holds: when it is there, the
    page is not the last, and ``next_cursor`` resumes after the page's last
    row (``key_of(row)`` is its sort key). ``items``, when given, are the
    page's rows already shaped for the answer (the first ``limit`` of them).
    """
    shown = rows[:limit]
    next_cursor = encode_cursor(order, key_of(shown[-1])) if len(rows) > limit else None
    return {
        "items": list(items if items is not None else shown)[:limit],
        "limit": limit,
        "next_cursor": next_cursor,
    }


def page_schema(item_schema: type, name: str) -> type:
    """The response schema of a page of ``item_schema`` items, named ``name`` in OpenAPI."""
    return type(
        name,
        (ResponseSchema,),
        {
            "__doc__": f"A page of {item_schema.__name__.removesuffix('Schema')} items; "
            "next_cursor (null on the last page) asks for the next.",
            "items": fields.List(fields.Nested(item_schema), required=True),
            "limit": fields.Integer(required=True),
            "next_cursor": fields.String(required=True, allow_none=True),
        },
    )


def _typed_part(value, kind: type):
    """``value`` as a key part of ``kind`` (float, int or str) that a database can bind, or None.

    A decoded cursor may hold anything JSON holds; a part a database cannot
    compare with its column (text against a number on PostgreSQL, an integer
    past 64 bits, NaN, a NUL or a lone surrogate in text) would fail the
    query with a 500 instead of refusing the cursor.
    """
    if kind is float and type(value) in (int, float):
        try:
            number = float(value)
        except OverflowError:  # an integer past the largest float
            return None
        return number if math.isfinite(number) else None
    if kind is int and type(value) is int:
        return value if -(2**63) <= value < 2**63 else None
    if kind is str and type(value) is str and "\x00" not in value:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return None
        return value
    return None


def typed_cursor_key(cursor: Cursor | None, order: str, kinds: Sequence[type]) -> tuple | None:
    """``cursor_key`` whose parts are also checked to be of ``kinds`` (``float``, ``int``, ``str``).

    ``None`` for the first page; a part of another kind is a ``ValidationError``
    on ``cursor``, like a cursor of another order. Integers stand for floats.
    """
    key = cursor_key(cursor, order, len(kinds))
    if key is None:
        return None
    typed = tuple(_typed_part(value, kind) for value, kind in zip(key, kinds, strict=True))
    if any(part is None for part in typed):
        raise ValidationError({"cursor": ["not a cursor this service gave out"]})
    return typed
