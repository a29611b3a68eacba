"""``CatalogClient``: the catalog service over HTTP, returning plain dicts."""

import urllib.parse

from sim2l_sessions.paging import collect_pages
from sim2l_sessions.paging import follow_pages
from sim2l_sessions.service_client import ServiceClient

# The service's largest page (a larger limit is refused).
MAX_PAGE = 100


def _segment(value: str) -> str:
    # Names and versions go into the path; quote everything, "/" included.
    return urllib.parse.quote(str(value), safe="")


def _drop_none(values: dict) -> dict:
    return {key: value for key, value in values.items() if value is not None}


class CatalogClient(ServiceClient):
    """Client of the sim2l catalog service (default port 8002).

    ``CatalogClient("http://localhost:8002", session_id=session.session_id)``.
    Errors raise the exceptions of ``sim2l_sessions.client_errors``
    (``NotFoundError``, ``ConflictError``, ``ForbiddenError``, ...).
    """

    service = "catalog"

    def register_simulation(
        self,
        name: str,
        version: str,
        description: str | None = None,
        tags: list[str] | None = None,
        schema: dict | None = None,
        authors: list[str] | None = None,
        metadata: dict | None = None,
    ) -> dict:
        """Register a version; returns the stored record (``created`` says whether it is new).

        Registering the same name and version with identical content again
        returns the stored record; different content raises ``ConflictError``.
        """
        body = _drop_none(
            {
                "name": name,
                "version": version,
                "description": description,
                "tags": tags,
                "schema": schema,
                "authors": authors,
                "metadata": metadata,
            }
        )
        # Safe to retry: an identical registration returns the stored record.
        return self._request("POST", "/simulations", json=body, idempotent=True)

    def search_page(
        self,
        query: str | None = None,
        tags: list[str] | None = None,
        status: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> dict:
        """One page of search results, best first: ``{"items", "limit", "next_cursor"}``.

        ``limit`` is at most 100; ``cursor`` is the previous page's
        ``next_cursor`` (null on the last page), for the same search.
        """
        params = _drop_none({"query": query, "status": status, "limit": limit, "cursor": cursor})
        if tags:
            params["tags"] = list(tags)
        return self._request("GET", "/simulations", params=params)

    def iter_search(
        self,
        query: str | None = None,
        tags: list[str] | None = None,
        status: str | None = None,
        page_size: int = MAX_PAGE,
    ):
        """Every matching version, best first, fetched a page at a time."""
        return follow_pages(
            lambda cursor: self.search_page(
                query=query, tags=tags, status=status, limit=page_size, cursor=cursor
            )
        )

    def search(
        self,
        query: str | None = None,
        tags: list[str] | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> list[dict]:
        """Matching versions, best first: dicts with id, name, version, description, tags, status.

        Every match (the pages followed to the last), or the first ``limit``.
        """
        return collect_pages(
            lambda size, cursor: self.search_page(
                query=query, tags=tags, status=status, limit=size, cursor=cursor
            ),
            limit,
            MAX_PAGE,
        )

    def get_simulation(self, name: str, version: str | None = None) -> dict:
        """One version with its schema; the latest when ``version`` is omitted."""
        if version is None:
            return self._request("GET", f"/simulations/{_segment(name)}")
        return self._request("GET", f"/simulations/{_segment(name)}/versions/{_segment(version)}")

    def get_simulation_by_id(self, simulation_id: int) -> dict:
        """One version by its id."""
        return self._request("GET", f"/simulations/by-id/{int(simulation_id)}")

    def versions_page(self, name: str, limit: int = 100, cursor: str | None = None) -> dict:
        """One page of the versions of ``name``, highest first.

        ``{"items", "limit", "next_cursor"}``: pass ``next_cursor`` as ``cursor`` for the next.
        """
        return self._request(
            "GET",
            f"/simulations/{_segment(name)}/versions",
            params=_drop_none({"limit": limit, "cursor": cursor}),
        )

    def list_versions(self, name: str, limit: int | None = None) -> list[dict]:
        """The versions of ``name``, highest first: every one, or the first ``limit``."""
        return collect_pages(
            lambda size, cursor: self.versions_page(name, limit=size, cursor=cursor),
            limit,
            MAX_PAGE,
        )

    def update_simulation(
        self,
        name: str,
        version: str,
        description: str | None = None,
        tags: list[str] | None = None,
        schema: dict | None = None,
        authors: list[str] | None = None,
        metadata: dict | None = None,
        status: str | None = None,
    ) -> dict:
        """Change fields of one version; returns the updated record."""
        body = _drop_none(
            {
                "description": description,
                "tags": tags,
                "schema": schema,
                "authors": authors,
                "metadata": metadata,
                "status": status,
            }
        )
        return self._request(
            "PATCH", f"/simulations/{_segment(name)}/versions/{_segment(version)}", json=body
        )

    def deprecate_simulation(self, name: str, version: str) -> dict:
        """Mark one version deprecated; returns the updated record."""
        return self._request(
            "POST",
            f"/simulations/{_segment(name)}/versions/{_segment(version)}/deprecate",
            idempotent=True,
        )

    def record_execution(
        self,
        simulation_id: int,
        execution_id: str,
        status: str,
        duration_seconds: float | None = None,
        user: str | None = None,
        started_at: str | None = None,
        metadata: dict | None = None,
    ) -> dict:
        """Record one execution; recording the same ``execution_id`` again is harmless.

        The answer carries ``duplicate`` True when the execution was already recorded.
        """
        body = _drop_none(
            {
                "simulation_id": simulation_id,
                "execution_id": execution_id,
                "status": status,
                "duration_seconds": duration_seconds,
                "user": user,
                "started_at": started_at,
                "metadata": metadata,
            }
        )
        # Idempotent per execution id, so a retry after a lost answer is safe.
        return self._request("POST", "/executions", json=body, idempotent=True)

    def get_execution(self, execution_id: str) -> dict:
        """One recorded execution."""
        return self._request("GET", f"/executions/{urllib.parse.quote(execution_id, safe='')}")

    def get_simulation_stats(self, simulation_id: int) -> dict:
        """Total executions, success rate, mean and p95 duration, last run, distinct users."""
        return self._request("GET", f"/simulations/by-id/{int(simulation_id)}/stats")

    def get_name_stats(self, name: str) -> dict:
        """The same statistics over every version of ``name`` together."""
        return self._request("GET", f"/simulations/{_segment(name)}/stats")

    def get_overview(self, days: int = 30, limit: int = 10) -> dict:
        """Catalog totals, the most used tools and executions per day."""
        return self._request("GET", "/overview", params={"days": days, "limit": limit})
