"""The registry: register, update, deprecate, get and list versions (search: ``search.py``).

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
from sim2l_service_kit.database import write_transaction
from sim2l_service_kit.pagination import Cursor
from sim2l_service_kit.pagination import page_answer

from sim2l_catalog_service import sql
from sim2l_catalog_service.models import Simulation
from sim2l_catalog_service.models import SimulationTag
from sim2l_catalog_service.models import database_proxy
from sim2l_catalog_service.pages import VERSIONS_ORDER
from sim2l_catalog_service.pages import versions_position
from sim2l_catalog_service.versions import version_key

ACTIVE = "active"
DEPRECATED = "deprecated"
STATUSES = (ACTIVE, DEPRECATED)
CONTENT_FIELDS = ("description", "tags", "authors", "schema", "metadata")

_COLUMNS = (
    "s.id, s.name, s.version, s.description, s.tags_json, s.authors_json, s.schema_json, "
    "s.metadata_json, s.status, s.registered_by, s.updated_by, s.created_at, s.updated_at"
)
SUMMARY_COLUMNS = (
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


def summary(row: tuple) -> dict:
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


def content_of(values: dict) -> dict:
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


def columns_for(name: str, content: dict) -> dict:
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
    content = content_of(values)
    columns = columns_for(name, content)
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
    with write_transaction(database_proxy):
        _stored_hash, content = _stored_content(simulation_id)
        for field in CONTENT_FIELDS:
            if field in changes:
                content[field] = changes[field]
        content = content_of(content)
        columns = columns_for(name, content)
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


def list_versions(name: str, limit: int, cursor: Cursor | None = None) -> dict | None:
    """One page of the versions of ``name``, highest first; None when the name is unknown.

    A keyset page on (version_key, id) after the ``cursor``'s position, read
    from the (name, version_key) index: the tenth page costs what the first does.
    """
    after = versions_position(cursor)
    resume, params = "", [name]
    if after is not None:
        resume = " AND (s.version_key < ? OR (s.version_key = ? AND s.id < ?))"
        params += [after[0], after[0], after[1]]
    rows = sql.fetchall(
        f"SELECT {SUMMARY_COLUMNS}, s.version_key FROM catalog_simulation s "  # noqa: S608
        f"WHERE s.name = ?{resume} ORDER BY s.version_key DESC, s.id DESC LIMIT ?",
        (*params, limit + 1),
    )
    if (
        not rows
        and sql.fetchone("SELECT 1 FROM catalog_simulation WHERE name = ?", (name,)) is None
    ):
        return None
    return page_answer(
        rows,
        limit,
        VERSIONS_ORDER,
        key_of=lambda row: (row[-1], row[0]),
        items=[summary(row) for row in rows[:limit]],
    )


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
