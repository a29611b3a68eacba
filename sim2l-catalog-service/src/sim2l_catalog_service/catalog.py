"""The registry: register, update, deprecate, get, list versions and search.

Every read is one SQL statement returning tuples; stored JSON is passed
through. Registration compares a hash of the content so that registering the
same name and version with the same content again returns the stored record
(auto-sync is idempotent), and with different content is a conflict.
"""

import hashlib
import time

import orjson
import peewee
from sim2l_service_kit import APIError
from sim2l_service_kit import format_timestamp

from sim2l_catalog_service import sql
from sim2l_catalog_service.models import Simulation
from sim2l_catalog_service.models import SimulationTag
from sim2l_catalog_service.models import database_proxy
from sim2l_catalog_service.versions import version_key

ACTIVE = "active"
DEPRECATED = "deprecated"
STATUSES = (ACTIVE, DEPRECATED)
CONTENT_FIELDS = ("description", "tags", "authors", "schema", "metadata")

_COLUMNS = (
    "s.id, s.name, s.version, s.description, s.tags_json, s.authors_json, s.schema_json, "
    "s.metadata_json, s.status, s.registered_by, s.updated_by, s.created_at, s.updated_at"
)
_SUMMARY_COLUMNS = (
    "s.id, s.name, s.version, s.description, s.tags_json, s.status, s.created_at, s.updated_at"
)


def _full(row: tuple) -> dict:
    return {
        "id": row[0],
        "name": row[1],
        "version": row[2],
        "description": row[3],
        "tags": sql.stored_json(row[4]),
        "authors": sql.stored_json(row[5]),
        "schema": sql.stored_json(row[6]),
        "metadata": sql.stored_json(row[7]),
        "status": row[8],
        "registered_by": row[9],
        "updated_by": row[10],
        "created_at": format_timestamp(row[11]),
        "updated_at": format_timestamp(row[12]),
    }


def _summary(row: tuple) -> dict:
    return {
        "id": row[0],
        "name": row[1],
        "version": row[2],
        "description": row[3],
        "tags": sql.stored_json(row[4]),
        "status": row[5],
        "created_at": format_timestamp(row[6]),
        "updated_at": format_timestamp(row[7]),
    }


def normalise_tags(tags) -> list[str]:
    """Tags stripped, duplicates (ignoring case) dropped, first spelling kept."""
    seen, result = set(), []
    for tag in tags or []:
        tag = tag.strip()
        if tag and tag.lower() not in seen:
            seen.add(tag.lower())
            result.append(tag)
    return result


def _content(values: dict) -> dict:
    return {
        "description": values.get("description") or "",
        "tags": normalise_tags(values.get("tags")),
        "authors": list(values.get("authors") or []),
        "schema": values.get("schema") or {},
        "metadata": values.get("metadata") or {},
    }


def _content_hash(content: dict) -> str:
    return hashlib.sha256(sql.dumps(content).encode()).hexdigest()


def _search_text(name: str, content: dict) -> str:
    return " ".join([name, content["description"], *content["tags"]]).lower()


def _columns_for(name: str, content: dict) -> dict:
    return {
        "description": content["description"],
        "tags_json": sql.dumps(content["tags"]),
        "authors_json": sql.dumps(content["authors"]),
        "schema_json": sql.dumps(content["schema"]),
        "metadata_json": sql.dumps(content["metadata"]),
        "search_text": _search_text(name, content),
        "content_hash": _content_hash(content),
    }


def _stored_content(simulation_id: int) -> tuple[str, dict]:
    row = sql.fetchone(
        "SELECT content_hash, description, tags_json, authors_json, schema_json, metadata_json "
        "FROM catalog_simulation WHERE id = ?",
        (simulation_id,),
    )
    return row[0], {
        "description": row[1],
        "tags": orjson.loads(row[2]),
        "authors": orjson.loads(row[3]),
        "schema": orjson.loads(row[4]),
        "metadata": orjson.loads(row[5]),
    }


def _find_id(name: str, version: str) -> int | None:
    row = sql.fetchone(
        "SELECT id FROM catalog_simulation WHERE name = ? AND version = ?", (name, version)
    )
    return row[0] if row else None


def register(values: dict, who: str) -> tuple[dict, bool]:
    """Register a simulation version; return (record, created).

    Same name and version with the same content: the stored record, created
    False. With different content: a 409 naming the fields that differ.
    """
    name, version = values["name"], values["version"]
    content = _content(values)
    columns = _columns_for(name, content)
    existing = _find_id(name, version)
    if existing is None:
        now = time.time()
        try:
            with database_proxy.atomic():
                simulation_id = Simulation.insert(
                    name=name,
                    name_lower=name.lower(),
                    version=version,
                    version_key=version_key(version),
                    status=ACTIVE,
                    registered_by=who,
                    updated_by=who,
                    created_at=now,
                    updated_at=now,
                    **columns,
                ).execute()
                _replace_tags(simulation_id, content["tags"])
            return get_by_id(simulation_id), True
        except peewee.IntegrityError:
            existing = _find_id(name, version)  # registered concurrently
            if existing is None:
                raise
    stored_hash, stored = _stored_content(existing)
    # Equal hashes mean equal content; unequal ones are compared field by
    # field, so 1 and 1.0 (equal values, different JSON) are not a conflict.
    differing = []
    if stored_hash != columns["content_hash"]:
        differing = [field for field in CONTENT_FIELDS if stored[field] != content[field]]
    if differing:
        raise APIError(
            409,
            "conflict",
            f"{name} {version} is already registered with different content; "
            "register a new version or update this one",
            {"differing_fields": differing, "id": existing},
        )
    return get_by_id(existing), False


def _replace_tags(simulation_id: int, tags: list[str]) -> None:
    SimulationTag.delete().where(SimulationTag.simulation == simulation_id).execute()
    rows = [(simulation_id, tag.lower()) for tag in tags]
    if rows:
        SimulationTag.insert_many(
            rows, fields=[SimulationTag.simulation, SimulationTag.tag]
        ).execute()


def update(name: str, version: str, changes: dict, who: str) -> dict:
    """Change the content or status of one version; return the record."""
    simulation_id = _find_id(name, version)
    if simulation_id is None:
        raise not_found(name, version)
    with database_proxy.atomic():
        _stored_hash, content = _stored_content(simulation_id)
        for field in CONTENT_FIELDS:
            if field in changes:
                content[field] = changes[field]
        content = _content(content)
        columns = _columns_for(name, content)
        if "status" in changes:
            columns["status"] = changes["status"]
        Simulation.update(updated_by=who, updated_at=time.time(), **columns).where(
            Simulation.id == simulation_id
        ).execute()
        if "tags" in changes:
            _replace_tags(simulation_id, content["tags"])
    return get_by_id(simulation_id)


def deprecate(name: str, version: str, who: str) -> dict:
    """Mark one version deprecated (again is harmless); return the record."""
    return update(name, version, {"status": DEPRECATED}, who)


def not_found(name: str, version: str | None = None) -> APIError:
    """The 404 for a simulation (version) the catalog does not hold."""
    what = f"{name} {version}" if version else name
    return APIError(
        404,
        "not_found",
        f"no simulation {what} in the catalog",
        {"name": name, **({"version": version} if version else {})},
    )


def get_by_id(simulation_id: int) -> dict | None:
    """One version by its id, or None."""
    row = sql.fetchone(
        f"SELECT {_COLUMNS} FROM catalog_simulation s WHERE s.id = ?",  # noqa: S608
        (simulation_id,),
    )
    return _full(row) if row else None


def get(name: str, version: str | None = None) -> dict | None:
    """One version; without ``version`` the latest (the highest active one, else the highest)."""
    if version is not None:
        row = sql.fetchone(
            f"SELECT {_COLUMNS} FROM catalog_simulation s WHERE s.name = ? AND s.version = ?",  # noqa: S608
            (name, version),
        )
    else:
        row = sql.fetchone(
            f"SELECT {_COLUMNS} FROM catalog_simulation s WHERE s.name = ? "  # noqa: S608
            "ORDER BY CASE WHEN s.status = 'active' THEN 0 ELSE 1 END, "
            "s.version_key DESC, s.id DESC LIMIT 1",
            (name,),
        )
    return _full(row) if row else None


def list_versions(name: str, limit: int, offset: int) -> dict:
    """The versions of ``name``, newest first, one page; None when the name is unknown."""
    rows = sql.fetchall(
        f"SELECT {_SUMMARY_COLUMNS}, COUNT(*) OVER () FROM catalog_simulation s WHERE s.name = ? "  # noqa: S608
        "ORDER BY s.version_key DESC, s.id DESC LIMIT ? OFFSET ?",
        (name, limit, offset),
    )
    total = (
        rows[0][-1]
        if rows
        else _count("SELECT COUNT(*) FROM catalog_simulation WHERE name = ?", (name,))
    )
    return {
        "name": name,
        "versions": [_summary(row) for row in rows],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


def _count(statement: str, params) -> int:
    return sql.fetchone(statement, params)[0]


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
            f"SELECT {_SUMMARY_COLUMNS}, (SELECT COUNT(*) FROM matches) FROM "
            "(SELECT id, search_rank FROM matches ORDER BY search_rank, "
            "id DESC LIMIT ? OFFSET ?) m "
            "JOIN catalog_simulation s ON s.id = m.id ORDER BY m.search_rank, m.id DESC"
        )
        statement_params = (*rank_params, *params, limit, offset)
    else:
        # No rank: newest first is the primary key backwards.
        statement = (
            f"SELECT {_SUMMARY_COLUMNS}, (SELECT COUNT(*) FROM catalog_simulation s{where_sql}) "  # noqa: S608
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
        total = _count(f"SELECT COUNT(*) FROM catalog_simulation s{where_sql}", params)  # noqa: S608
    else:
        total = 0
    return {
        "simulations": [_summary(row) for row in rows],
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


def counts() -> dict:
    """Numbers of names, versions, active and deprecated versions.

    Separate index-only counts: one pass computing them together reads every
    (wide) row and was ten times slower on 50,000 versions.
    """
    names, versions, deprecated = sql.fetchone(
        "SELECT (SELECT COUNT(*) FROM (SELECT DISTINCT name FROM catalog_simulation) n), "
        "(SELECT COUNT(*) FROM catalog_simulation), "
        "(SELECT COUNT(*) FROM catalog_simulation WHERE status = 'deprecated')"
    )
    return {
        "simulations": names,
        "versions": versions,
        "active_versions": versions - deprecated,
        "deprecated_versions": deprecated,
    }


def bulk_register(records: list[dict], who: str, chunk: int = 1000) -> int:
    """Import many new versions at once (benchmarks, migrations from another catalog).

    Not for a live catalog taking registrations: ids are assigned here, after
    the current highest, and nothing is checked for conflicts. Refreshes the
    planner's statistics at the end. Returns the number imported.
    """
    now = time.time()
    next_id = (sql.fetchone("SELECT MAX(id) FROM catalog_simulation")[0] or 0) + 1
    simulation_fields = [
        Simulation.id,
        Simulation.name,
        Simulation.name_lower,
        Simulation.version,
        Simulation.version_key,
        Simulation.status,
        Simulation.registered_by,
        Simulation.updated_by,
        Simulation.created_at,
        Simulation.updated_at,
        Simulation.description,
        Simulation.tags_json,
        Simulation.authors_json,
        Simulation.schema_json,
        Simulation.metadata_json,
        Simulation.search_text,
        Simulation.content_hash,
    ]
    for start in range(0, len(records), chunk):
        rows, tag_rows = [], []
        for values in records[start : start + chunk]:
            content = _content(values)
            columns = _columns_for(values["name"], content)
            # Later rows are newer: a distinct creation time keeps "newest first" meaningful.
            created = now + len(rows) * 1e-6 + start * 1e-6
            rows.append(
                (
                    next_id,
                    values["name"],
                    values["name"].lower(),
                    values["version"],
                    version_key(values["version"]),
                    values.get("status", ACTIVE),
                    who,
                    who,
                    created,
                    created,
                    columns["description"],
                    columns["tags_json"],
                    columns["authors_json"],
                    columns["schema_json"],
                    columns["metadata_json"],
                    columns["search_text"],
                    columns["content_hash"],
                )
            )
            tag_rows.extend((next_id, tag.lower()) for tag in content["tags"])
            next_id += 1
        with database_proxy.atomic():
            Simulation.insert_many(rows, fields=simulation_fields).execute()
            if tag_rows:
                SimulationTag.insert_many(
                    tag_rows, fields=[SimulationTag.simulation, SimulationTag.tag]
                ).execute()
    if sql.is_postgresql():
        # Ids were given explicitly: move the sequence past them.
        sql.execute(
            "SELECT setval(pg_get_serial_sequence('catalog_simulation', 'id'), "
            "(SELECT MAX(id) FROM catalog_simulation))"
        )
    sql.execute("ANALYZE")
    return len(records)
