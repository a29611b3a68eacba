"""``bulk_register``: import many versions at once, for the benchmark's large catalogs.

Not part of the service: ids are assigned here, after the current highest,
and nothing is checked for conflicts, which only an empty or private catalog
can afford. The rows are the ones ``catalog.register`` writes.
"""

import time

from sim2l_catalog_service import catalog
from sim2l_catalog_service import sql
from sim2l_catalog_service.models import Simulation
from sim2l_catalog_service.models import SimulationTag
from sim2l_catalog_service.models import database_proxy
from sim2l_catalog_service.versions import version_key


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
            content = catalog.content_of(values)
            columns = catalog.columns_for(values["name"], content)
            # Later rows are newer: a distinct creation time keeps "newest first" meaningful.
            created = now + len(rows) * 1e-6 + start * 1e-6
            rows.append(
                (
                    next_id,
                    values["name"],
                    values["name"].lower(),
                    values["version"],
                    version_key(values["version"]),
                    values.get("status", catalog.ACTIVE),
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
