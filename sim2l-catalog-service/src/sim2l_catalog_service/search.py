"""Search of the catalog: free text, tags and status, ranked and paginated in one statement.

(The SQL here is assembled only from fixed fragments; every value travels as
a parameter.)
"""

from sim2l_catalog_service import sql
from sim2l_catalog_service.catalog import SUMMARY_COLUMNS
from sim2l_catalog_service.catalog import count_rows
from sim2l_catalog_service.catalog import normalise_tags
from sim2l_catalog_service.catalog import summary
from sim2l_catalog_service.models import database_proxy


def _fts_match(terms: list[str]) -> str | None:
    """An FTS5 trigram MATCH expression for the terms of 3+ characters, or None."""
    usable = [term for term in terms if len(term) >= 3]
    if not usable:
        return None
    # Double-quoted strings are literal in FTS5; a quote inside is doubled.
    return " ".join('"' + term.replace('"', '""') + '"' for term in usable)


def search(
    query: str | None, tags: list[str] | None, status: str | None, limit: int, offset: int
) -> dict:
    """One page of matching versions, ranked, with the total number of matches.

    ``query``: every whitespace-separated term must occur in the name,
    description or tags (case-insensitive substring). ``tags``: every tag
    must be held. Rank: exact name, name prefix, name contains, other
    matches; then newest. Filtering, ranking, counting and paging all happen
    in one SQL statement, so filters and pages always agree.

    Which index finds the rows: with tags, the tag index (then the text is
    checked on those rows only); text alone, a trigram index (pg_trgm on
    PostgreSQL; an FTS5 trigram table on SQLite, where the planner cannot
    choose it by itself), with LIKE re-checking so both backends agree.
    """
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
    where_sql = (" WHERE " + " AND ".join(where)) if where else ""
    if terms:
        # Rank every match on narrow rows, then fetch the page's columns only.
        whole = " ".join(terms)
        rank = (
            "CASE WHEN s.name_lower = ? THEN 0 WHEN s.name_lower LIKE ? ESCAPE '!' THEN 1 "
            "WHEN s.name_lower LIKE ? ESCAPE '!' THEN 2 ELSE 3 END"
        )
        rank_params = [whole, sql.like_pattern(whole)[1:], sql.like_pattern(whole)]
        statement = (
            f"WITH matches AS (SELECT s.id AS id, {rank} AS search_rank "  # noqa: S608
            f"FROM catalog_simulation s{where_sql}) "
            f"SELECT {SUMMARY_COLUMNS}, (SELECT COUNT(*) FROM matches) FROM "
            "(SELECT id, search_rank FROM matches ORDER BY search_rank, "
            "id DESC LIMIT ? OFFSET ?) m "
            "JOIN catalog_simulation s ON s.id = m.id ORDER BY m.search_rank, m.id DESC"
        )
        statement_params = (*rank_params, *params, limit, offset)
    else:
        # No rank: newest first is the primary key backwards.
        statement = (
            f"SELECT {SUMMARY_COLUMNS}, (SELECT COUNT(*) FROM catalog_simulation s{where_sql}) "  # noqa: S608
            f"FROM catalog_simulation s{where_sql} ORDER BY s.id DESC LIMIT ? OFFSET ?"
        )
        statement_params = (*params, *params, limit, offset)
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
    if rows:
        total = rows[0][-1]
    elif offset:
        total = count_rows(f"SELECT COUNT(*) FROM catalog_simulation s{where_sql}", params)  # noqa: S608
    else:
        total = 0
    return {
        "simulations": [summary(row) for row in rows],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


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
