"""Search of the catalog: free text, tags and status, ranked and paginated in one statement.

(The SQL here is assembled only from fixed fragments; every value travels as
a parameter.)
"""

from sim2l_service_kit.pagination import Cursor
from sim2l_service_kit.pagination import page_answer

from sim2l_catalog_service import sql
from sim2l_catalog_service.catalog import SUMMARY_COLUMNS
from sim2l_catalog_service.catalog import normalise_tags
from sim2l_catalog_service.catalog import summary
from sim2l_catalog_service.models import database_proxy
from sim2l_catalog_service.pages import SEARCH_ORDER
from sim2l_catalog_service.pages import search_position

# The largest LIMIT both backends take: a subquery's "no limit" that is still a LIMIT.
_NO_LIMIT = 2**63 - 1


def _fts_match(terms: list[str]) -> str | None:
    """An FTS5 trigram MATCH expression for the terms of 3+ characters, or None."""
    usable = [term for term in terms if len(term) >= 3]
    if not usable:
        return None
    # Double-quoted strings are literal in FTS5; a quote inside is doubled.
    return " ".join('"' + term.replace('"', '""') + '"' for term in usable)


def search(
    query: str | None,
    tags: list[str] | None,
    status: str | None,
    limit: int,
    cursor: Cursor | None = None,
) -> dict:
    """One page of matching versions, ranked: ``{"items", "limit", "next_cursor"}``.

    ``query``: every whitespace-separated term must occur in the name,
    description or tags (case-insensitive substring). ``tags``: every tag
    must be held. Rank: exact name, name prefix, name contains, other
    matches; then newest. Filtering, ranking and paging happen in one SQL
    statement, so filters and pages always agree.

    Pages are keyset pages on (rank, id) after the ``cursor``'s position.
    A row's rank depends only on its name (never changed) and the query, and
    ids are unique, so the order is total and the same on every page: walking
    the pages gives every match once, in the order of one big page, and
    versions registered, changed or deprecated between two pages neither
    repeat nor skip the others. No page counts all matches, so a page deep in
    the results costs what the first costs: with text, every match is ranked
    for each page (as for the first), without text the primary key is read
    backwards from the cursor.

    Which index finds the rows: with tags, the tag index (then the text is
    checked on those rows only); text alone, a trigram index (pg_trgm on
    PostgreSQL; an FTS5 trigram table on SQLite, where the planner cannot
    choose it by itself), with LIKE re-checking so both backends agree.
    """
    after = search_position(cursor)
    where, params = [], []
    terms = (query or "").lower().split()
    tag_names = [tag.lower() for tag in normalise_tags(tags)]
    if terms and not tag_names and not sql.is_postgresql() and _has_fts():
        match = _fts_match(terms)
        if match is not None:
            where.append(
                "s.id IN (SELECT rowid FROM catalog_simulation_fts "
                "WHERE catalog_simulation_fts MATCH ?)"
            )
            params.append(match)
    for term in terms:
        where.append("s.search_text LIKE ? ESCAPE '!'")
        params.append(sql.like_pattern(term))
    if tag_names:
        # "All of these tags": intersect the index lookups of each tag.
        intersect = " INTERSECT ".join(
            ["SELECT simulation_id FROM catalog_simulation_tag WHERE tag = ?"] * len(tag_names)
        )
        if sql.is_postgresql():
            # As an array the tag lookup runs first and drives primary-key
            # probes; as IN (...) the planner prefers hashing a scan of the
            # whole catalog, which is several times slower here.
            where.append(f"s.id = ANY(ARRAY({intersect}))")
        else:
            where.append(f"s.id IN ({intersect})")
        params.extend(tag_names)
    if status:
        where.append("s.status = ?")
        params.append(status)
    if terms:
        # Rank every match on narrow rows, then fetch the page's columns only.
        whole = " ".join(terms)
        rank = (
            "CASE WHEN s.name_lower = ? THEN 0 WHEN s.name_lower LIKE ? ESCAPE '!' THEN 1 "
            "WHEN s.name_lower LIKE ? ESCAPE '!' THEN 2 ELSE 3 END"
        )
        rank_params = [whole, sql.like_pattern(whole)[1:], sql.like_pattern(whole)]
        where_sql = (" WHERE " + " AND ".join(where)) if where else ""
        resume, resume_params = "", []
        if after is not None:
            resume = " WHERE search_rank > ? OR (search_rank = ? AND id < ?)"
            resume_params = [after[0], after[0], after[1]]
        # Each match's rank is computed once: the LIMIT (no limit at all)
        # keeps SQLite from folding the ranking into the keyset condition,
        # where it computed the CASE again for every match (a deep page took
        # 1.5 times the first page; now about the same).
        statement = (
            f"WITH matches AS (SELECT s.id AS id, {rank} AS search_rank "  # noqa: S608
            f"FROM catalog_simulation s{where_sql} LIMIT {_NO_LIMIT}) "
            f"SELECT {SUMMARY_COLUMNS}, m.search_rank FROM "
            f"(SELECT id, search_rank FROM matches{resume} ORDER BY search_rank, "
            "id DESC LIMIT ?) m "
            "JOIN catalog_simulation s ON s.id = m.id ORDER BY m.search_rank, m.id DESC"
        )
        statement_params = (*rank_params, *params, *resume_params, limit + 1)
    else:
        # No text: every match ranks 0, so the order is newest first, the
        # primary key backwards (a cursor past rank 0 has nothing after it).
        if after is not None:
            where.append("s.id < ?" if after[0] == 0 else "1 = 0")
            params.extend([after[1]] if after[0] == 0 else [])
        where_sql = (" WHERE " + " AND ".join(where)) if where else ""
        statement = (
            f"SELECT {SUMMARY_COLUMNS}, 0 FROM catalog_simulation s{where_sql} "  # noqa: S608
            "ORDER BY s.id DESC LIMIT ?"
        )
        statement_params = (*params, limit + 1)
    if terms and not tag_names and sql.is_postgresql():
        # The planner prices LIKE '%word%' on every row far below what it
        # costs; the pg_trgm index was 3-5x faster even for a word in 17% of
        # the catalog. Prefer indexes for this statement only. (With tags,
        # the tag lookup drives and the text is checked on its rows.)
        with database_proxy.atomic():
            sql.execute("SET LOCAL enable_seqscan = off")
            rows = sql.fetchall(statement, statement_params)
    else:
        rows = sql.fetchall(statement, statement_params)
    return page_answer(
        rows,
        limit,
        SEARCH_ORDER,
        key_of=lambda row: (row[-1], row[0]),
        items=[summary(row) for row in rows[:limit]],
    )


def _has_fts() -> bool:
    """Whether this SQLite database has the trigram table (FTS5 may be missing)."""
    database = database_proxy.obj
    known = getattr(database, "_sim2l_catalog_fts", None)
    if known is None:
        row = sql.fetchone(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'catalog_simulation_fts'"
        )
        known = database._sim2l_catalog_fts = row is not None
    return known
