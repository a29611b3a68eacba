"""Executions: idempotent recording, per-simulation statistics, the overview.

Recording is one ``INSERT ... ON CONFLICT (execution_id) DO NOTHING``: a
retried call finds the first record and does not count twice. Statistics are
computed by the database (aggregates, and the 95th percentile by
``percentile_disc`` on PostgreSQL or an indexed ``ORDER BY ... LIMIT 1
OFFSET`` on SQLite: both the nearest-rank percentile), never by loading rows.
"""

import datetime
import math
import time

import peewee
from sim2l_service_kit import APIError
from sim2l_service_kit import format_timestamp

from sim2l_catalog_service import sql
from sim2l_catalog_service.catalog import counts
from sim2l_catalog_service.models import database_proxy

STATUSES = ("pending", "running", "completed", "failed", "cancelled", "timeout")
FINISHED = ("completed", "failed", "cancelled", "timeout")
SUCCESS = "completed"

_COLUMNS = (
    "e.id, e.execution_id, e.simulation_id, e.status, "
    "e.duration_seconds, e.username, e.executed_at, "
    "e.metadata_json, e.recorded_by, e.recorded_at"
)


def _execution(row: tuple) -> dict:
    return {
        "id": row[0],
        "execution_id": row[1],
        "simulation_id": row[2],
        "status": row[3],
        "duration_seconds": row[4],
        "user": row[5],
        "executed_at": format_timestamp(row[6]),
        "metadata": sql.stored_json(row[7]),
        "recorded_by": row[8],
        "recorded_at": format_timestamp(row[9]),
    }


def get(execution_id: str) -> dict | None:
    """One execution by its execution id, or None."""
    row = sql.fetchone(
        f"SELECT {_COLUMNS} FROM catalog_execution e WHERE e.execution_id = ?",  # noqa: S608
        (execution_id,),
    )
    return _execution(row) if row else None


def _simulation_exists(simulation_id: int) -> bool:
    return (
        sql.fetchone("SELECT 1 FROM catalog_simulation WHERE id = ?", (simulation_id,)) is not None
    )


def record(
    values: dict, who: str, default_user: str | None, durable: bool = True
) -> tuple[dict, bool]:
    """Record one execution; return (record, created).

    The same execution id again returns the first record with created False
    (a retry); the same id for another simulation is a 409. ``durable``
    False lets PostgreSQL acknowledge before the WAL flush (see config.py).
    """
    now = time.time()
    started = values.get("started_at")
    executed_at = started.timestamp() if started is not None else now
    day = datetime.datetime.fromtimestamp(executed_at, datetime.UTC).strftime("%Y-%m-%d")
    params = (
        values["execution_id"],
        values["simulation_id"],
        values["status"],
        values.get("duration_seconds"),
        values.get("user") or default_user,
        executed_at,
        day,
        sql.dumps(values.get("metadata") or {}),
        who,
        now,
    )
    try:
        row = _insert(params, durable)
    except peewee.IntegrityError:
        # The only other constraint is the simulation's foreign key.
        if not _simulation_exists(values["simulation_id"]):
            raise _unknown_simulation(values["simulation_id"]) from None
        raise
    if row is None:
        existing = get(values["execution_id"])
        if existing["simulation_id"] != values["simulation_id"]:
            raise APIError(
                409,
                "conflict",
                f"execution {values['execution_id']!r} is recorded for another simulation",
                {"simulation_id": existing["simulation_id"]},
            )
        return {**existing, "duplicate": True}, False
    stored = (row[0], *params[:6], *params[7:])  # the columns of _COLUMNS (no day)
    return {**_execution(stored), "duplicate": False}, True


def _insert(params: tuple, durable: bool):
    statement = (
        "INSERT INTO catalog_execution (execution_id, simulation_id, status, duration_seconds, "
        "username, executed_at, executed_day, metadata_json, recorded_by, recorded_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (execution_id) DO NOTHING RETURNING id"
    )
    if durable or not sql.is_postgresql():
        return sql.fetchone(statement, params)
    with database_proxy.atomic():
        sql.execute("SET LOCAL synchronous_commit = off")
        return sql.fetchone(statement, params)


def _unknown_simulation(simulation_id: int) -> APIError:
    return APIError(
        404,
        "not_found",
        f"no simulation with id {simulation_id} in the catalog",
        {"simulation_id": simulation_id},
    )


_FINISHED_SQL = ", ".join(f"'{status}'" for status in FINISHED)
_AGGREGATES = (
    "SELECT COUNT(*), "
    f"COALESCE(SUM(CASE WHEN status = '{SUCCESS}' THEN 1 ELSE 0 END), 0), "
    f"COALESCE(SUM(CASE WHEN status IN ({_FINISHED_SQL}) THEN 1 ELSE 0 END), 0), "
    "COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0), "
    "COUNT(duration_seconds), AVG(duration_seconds), "
    "MIN(duration_seconds), MAX(duration_seconds), "
    "MAX(executed_at), COUNT(DISTINCT username)"
)


def _usage(scope: str, params: tuple) -> dict:
    """Aggregates over the executions whose simulation_id matches ``scope`` (SQL)."""
    aggregates = _AGGREGATES
    if sql.is_postgresql():
        aggregates += ", percentile_disc(0.95) WITHIN GROUP (ORDER BY duration_seconds)"
    row = sql.fetchone(f"{aggregates} FROM catalog_execution WHERE {scope}", params)
    total, succeeded, finished_count, failed, timed, mean, low, high, last_run, users = row[:10]
    if sql.is_postgresql():
        p95 = row[10]
    elif timed:
        # Nearest rank: the smallest duration with at least 95% of them at or below it.
        p95 = sql.fetchone(
            f"SELECT duration_seconds FROM catalog_execution WHERE {scope} "  # noqa: S608
            "AND duration_seconds IS NOT NULL ORDER BY duration_seconds LIMIT 1 OFFSET ?",
            (*params, math.ceil(0.95 * timed) - 1),
        )[0]
    else:
        p95 = None
    return {
        "total_executions": total,
        "finished_executions": finished_count,
        "successful_executions": succeeded,
        "failed_executions": failed,
        "success_rate": (succeeded / finished_count) if finished_count else None,
        "mean_duration_seconds": float(mean) if mean is not None else None,
        "p95_duration_seconds": float(p95) if p95 is not None else None,
        "min_duration_seconds": low,
        "max_duration_seconds": high,
        "last_run": format_timestamp(last_run),
        "distinct_users": users,
    }


def stats(simulation_id: int) -> dict:
    """Usage statistics of one simulation version; 404 when it does not exist."""
    row = sql.fetchone(
        "SELECT name, version FROM catalog_simulation WHERE id = ?", (simulation_id,)
    )
    if row is None:
        raise _unknown_simulation(simulation_id)
    usage = _usage("simulation_id = ?", (simulation_id,))
    return {"simulation_id": simulation_id, "name": row[0], "version": row[1], **usage}


def name_stats(name: str) -> dict | None:
    """Usage statistics of every version of ``name`` together; None when unknown."""
    versions = sql.fetchone("SELECT COUNT(*) FROM catalog_simulation WHERE name = ?", (name,))[0]
    if not versions:
        return None
    usage = _usage("simulation_id IN (SELECT id FROM catalog_simulation WHERE name = ?)", (name,))
    return {"name": name, "versions": versions, **usage}


def overview(days: int, limit: int) -> dict:
    """Across the catalog: totals, the most used tools, executions per day."""
    totals = sql.fetchone(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END), 0), "
        "COUNT(DISTINCT username) FROM catalog_execution"
    )
    most_used = sql.fetchall(
        "SELECT s.name, COUNT(*) AS executions, "
        "COALESCE(SUM(CASE WHEN e.status = 'completed' THEN 1 ELSE 0 END), 0), "
        "COUNT(DISTINCT e.username), MAX(e.executed_at) "
        "FROM catalog_execution e JOIN catalog_simulation s ON s.id = e.simulation_id "
        "GROUP BY s.name ORDER BY executions DESC, s.name LIMIT ?",
        (limit,),
    )
    today = datetime.datetime.now(datetime.UTC)
    first_day = (today - datetime.timedelta(days=days - 1)).strftime("%Y-%m-%d")
    per_day = sql.fetchall(
        "SELECT executed_day, COUNT(*), COALESCE(SUM(CASE WHEN "
        "status = 'completed' THEN 1 ELSE 0 END), 0) "
        "FROM catalog_execution WHERE executed_day >= ? GROUP BY "
        "executed_day ORDER BY executed_day",
        (first_day,),
    )
    return {
        "catalog": counts(),
        "total_executions": totals[0],
        "successful_executions": totals[1],
        "distinct_users": totals[2],
        "most_used": [
            {
                "name": name,
                "executions": count,
                "successful_executions": ok,
                "distinct_users": users,
                "last_run": format_timestamp(last),
            }
            for name, count, ok, users, last in most_used
        ],
        "executions_per_day": [
            {"day": day, "executions": count, "successful_executions": ok}
            for day, count, ok in per_day
        ],
        "days": days,
    }
