"""The page size a list page asks its service for: ``?limit=``, checked before it is sent."""

from flask import abort
from flask import request


def page_limit(default: int, maximum: int) -> int:
    """``?limit=`` (1 to ``maximum``, the service's largest page), else ``default``; else a 400."""
    raw = request.args.get("limit")
    if raw in (None, ""):
        return default
    try:
        limit = int(raw)
    except ValueError:
        abort(400, description="limit must be a whole number")
    if not 1 <= limit <= maximum:
        abort(400, description=f"limit must be between 1 and {maximum}")
    return limit
