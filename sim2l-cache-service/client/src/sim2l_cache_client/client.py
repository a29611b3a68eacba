"""``CacheClient``: the seed's cache calls over HTTP.

Every call goes through ``ServiceClient._request`` (session header,
keep-alive, error mapping, retries for idempotent calls). ``set`` is an
upsert, so it is retried like a GET after a connection failure or a 503.
"""

import urllib.parse

from sim2l_sessions.client_errors import ServiceError
from sim2l_sessions.service_client import ServiceClient

# Keys that a path would confuse with a fixed route; they go as ?key=.
_RESERVED_FIRST_SEGMENTS = frozenset({"stats", "entries", "invalidations", "invalidate", "purge"})


def key_path(cache_key: str) -> tuple[str, dict | None]:
    """The request path and query that name ``cache_key`` unambiguously.

    Ordinary keys use the seed's ``/cache/{cache_key}`` (``/`` kept, the rest
    percent-encoded). Keys a path cannot carry faithfully (empty, ``.`` or
    ``..`` segments, a leading or trailing ``/``, a first segment that is a
    fixed route's name) use ``/cache?key=``.
    """
    if not isinstance(cache_key, str) or not cache_key:
        raise ValueError(f"a cache key must be a non-empty string, not {cache_key!r}")
    segments = cache_key.split("/")
    if segments[0] in _RESERVED_FIRST_SEGMENTS or any(
        segment in ("", ".", "..") for segment in segments
    ):
        return "/cache", {"key": cache_key}
    return "/cache/" + urllib.parse.quote(cache_key, safe="/"), None


def _without_none(**values) -> dict:
    return {name: value for name, value in values.items() if value is not None}


class CacheClient(ServiceClient):
    """Client of the sim2l cache service.

    >>> cache = CacheClient("http://localhost:8001", session_id=session.session_id)
    >>> cache.set(cache_key="thermal_sim/350K/result", simulation_id=42, ..., ttl_hours=24)
    >>> cache.get("thermal_sim/350K/result")      # a dict, or None on a miss
    """

    service = "cache"

    def set(
        self,
        cache_key: str,
        simulation_id: int,
        simulation_name: str,
        simulation_version: str,
        execution_id: str,
        squid_id: str,
        input_hash: str,
        run_db_path: str,
        ttl_hours: float | None = None,
        ttl_seconds: float | None = None,
        metadata: dict | None = None,
        result_id: int | None = None,
    ) -> dict:
        """Store an entry (or replace the one under ``cache_key``); returns the stored entry.

        TTL: ``ttl_hours`` or ``ttl_seconds`` (not both); neither means the
        service's default (24 hours unless configured otherwise).
        """
        body = _without_none(
            cache_key=cache_key,
            simulation_id=simulation_id,
            simulation_name=simulation_name,
            simulation_version=simulation_version,
            execution_id=execution_id,
            squid_id=squid_id,
            input_hash=input_hash,
            run_db_path=run_db_path,
            ttl_hours=ttl_hours,
            ttl_seconds=ttl_seconds,
            metadata=metadata,
            result_id=result_id,
        )
        return self._request("POST", "/cache", json=body, idempotent=True)

    def get(self, cache_key: str) -> dict | None:
        """The live entry under ``cache_key``, or None on a miss (absent, expired, invalidated)."""
        path, params = key_path(cache_key)
        return self._request("GET", path, params=params, not_found_none=True)

    def delete(self, cache_key: str) -> bool:
        """Remove one entry; False when there was none. Needs ``invalidate_cache``."""
        path, params = key_path(cache_key)
        return self._request("DELETE", path, params=params, not_found_none=True) is not None

    def invalidate(
        self,
        simulation_id: int | None = None,
        simulation_name: str | None = None,
        simulation_version: str | None = None,
        key_pattern: str | None = None,
        reason: str | None = None,
    ) -> dict:
        """Invalidate the live entries matching every selector given (at least one).

        ``key_pattern`` is a glob (``thermal_sim/*``: ``*`` any run of
        characters, ``?`` one). Returns ``{"invalidated": count, ...}``; the
        reason is recorded with who asked. Needs ``invalidate_cache``.
        """
        body = _without_none(
            simulation_id=simulation_id,
            simulation_name=simulation_name,
            simulation_version=simulation_version,
            key_pattern=key_pattern,
            reason=reason,
        )
        return self._request("POST", "/cache/invalidate", json=body)

    def get_stats(self, simulation_id: int | None = None) -> dict:
        """Hits, misses, ``hit_rate``, entries and invalidations, overall or for one simulation."""
        return self._request(
            "GET", "/cache/stats", params=_without_none(simulation_id=simulation_id)
        )

    def list_entries(
        self,
        simulation_id: int | None = None,
        simulation_name: str | None = None,
        simulation_version: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> dict:
        """One page of live entries: ``{"items": [...], "limit": n, "next_cursor": str or None}``.

        ``limit``: at most 500 (the service's default 100); ``cursor``: the
        ``next_cursor`` of the previous page. A page may hold fewer than
        ``limit`` entries (large metadata); ``next_cursor`` says whether more follow.
        """
        params = _without_none(
            simulation_id=simulation_id,
            simulation_name=simulation_name,
            simulation_version=simulation_version,
            limit=limit,
            cursor=cursor,
        )
        return self._request("GET", "/cache/entries", params=params)

    def iter_entries(
        self,
        simulation_id: int | None = None,
        simulation_name: str | None = None,
        simulation_version: str | None = None,
        page_size: int = 100,
    ):
        """Every live entry matching the filters, fetched a page at a time."""
        return _follow(
            lambda cursor: self.list_entries(
                simulation_id, simulation_name, simulation_version, limit=page_size, cursor=cursor
            )
        )

    def list_invalidations(
        self, simulation_id: int | None = None, limit: int | None = None, cursor: str | None = None
    ) -> dict:
        """One page of recorded invalidations, oldest first (needs ``invalidate_cache``).

        ``{"items": [...], "limit": n, "next_cursor": str or None}``, as ``list_entries``.
        """
        params = _without_none(simulation_id=simulation_id, limit=limit, cursor=cursor)
        return self._request("GET", "/cache/invalidations", params=params)

    def iter_invalidations(self, simulation_id: int | None = None, page_size: int = 100):
        """Every recorded invalidation (of one simulation), oldest first, a page at a time."""
        return _follow(
            lambda cursor: self.list_invalidations(simulation_id, limit=page_size, cursor=cursor)
        )

    def purge_expired(self) -> int:
        """Remove expired and invalidated entries from storage; how many.

        Needs ``admin_service``.
        """
        return self._request("POST", "/cache/purge")["purged"]


def _follow(fetch):
    """The items of every page, fetching each by the previous page's ``next_cursor``.

    A service that hands back the cursor it was given would page forever; that
    is an error, not a loop.
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
