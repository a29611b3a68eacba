"""``CacheStore``: every query of the cache service, as SQL on one Peewee database.

(The SQL here is assembled only from column names and the driver's parameter
marker; every value travels as a parameter, hence the file-wide S608 waiver.)

The hot paths (read one key, store one entry) are single prepared SQL
statements that return tuples: measured on this machine, that is about 1.4x
the throughput of the same read through model instances
(/work/shared/PERFORMANCE_NOTES.md).
"""

# ruff: noqa: S608

import orjson
import peewee
from sim2l_service_kit import format_timestamp
from sim2l_service_kit.database import PreparedStatements
from sim2l_service_kit.database import WalCheckpointer
from sim2l_service_kit.database import write_lock_for
from sim2l_sessions.database import is_sqlite_url

from sim2l_cache_service.tables import ENTRY_FIELDS
from sim2l_cache_service.tables import SELECTOR_FIELDS
from sim2l_cache_service.tables import CacheInvalidation


def glob_to_sqlite(pattern: str) -> str:
    """A key glob (``*`` any run, ``?`` one character) as a case-sensitive SQLite GLOB."""
    # GLOB's only other special character outside a class is "[".
    return pattern.replace("[", "[[]")


def glob_to_like(pattern: str) -> str:
    """A key glob as a PostgreSQL LIKE pattern with ``\\`` as the escape character."""
    out = []
    for char in pattern:
        if char == "*":
            out.append("%")
        elif char == "?":
            out.append("_")
        elif char in "%_\\":
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


class CacheStore:
    """Every query of the cache service, as SQL on one Peewee database.

    Statements are built once per database with its parameter marker, so
    the hot paths do no query building per request.
    """

    def __init__(self, database: peewee.Database, url: str, prepared_statements: bool = True):
        self.database = database
        self.url = url
        self.sqlite = is_sqlite_url(url)
        self.write_lock = write_lock_for(url)
        p = database.param
        self._p = p
        live = f"invalidated_at IS NULL AND expires_at > {p}"
        self.sql_lookup = (
            f"SELECT simulation_id, CASE WHEN {live} THEN body END "
            f"FROM cache_entry WHERE cache_key = {p}"
        )
        columns = (*ENTRY_FIELDS, "body", "created_at", "expires_at")
        updates = ", ".join(f"{name} = excluded.{name}" for name in columns if name != "cache_key")
        self.sql_upsert = (
            f"INSERT INTO cache_entry ({', '.join(columns)}, invalidated_at, invalidation_id) "
            f"VALUES ({', '.join([p] * len(columns))}, NULL, NULL) "
            f"ON CONFLICT (cache_key) DO UPDATE SET {updates}, "
            "invalidated_at = NULL, invalidation_id = NULL"
        )
        self.sql_stats_add = (
            "INSERT INTO cache_stats (simulation_id, hits, misses, invalidated) "
            f"VALUES ({p}, {p}, {p}, {p}) ON CONFLICT (simulation_id) DO UPDATE SET "
            "hits = cache_stats.hits + excluded.hits, "
            "misses = cache_stats.misses + excluded.misses, "
            "invalidated = cache_stats.invalidated + excluded.invalidated"
        )
        self.live_clause = live
        self.checkpointer = None
        self.statements = (
            PreparedStatements(database, "sim2l_cache")
            if prepared_statements and not self.sqlite
            else None
        )

    def _execute_hot(self, name: str, sql: str, params):
        """One of the hot statements: prepared once per connection on PostgreSQL."""
        if self.statements is None:
            return self.database.execute_sql(sql, params)
        return self.statements.execute(name, sql, params)

    def disable_automatic_checkpoints(self) -> None:
        """SQLite: leave WAL checkpoints to a background thread (call before connecting)."""
        if self.sqlite:
            self.checkpointer = WalCheckpointer(self.database, self.url)
            self.checkpointer.disable_automatic_checkpoints()

    def release_connection(self) -> None:
        """PostgreSQL: return this thread's connection to the pool (SQLite keeps its own)."""
        if not self.sqlite and not self.database.is_closed():
            self.database.close()

    def ensure_checkpointer(self) -> None:
        """SQLite: start this process's checkpoint thread unless it runs (after a fork too)."""
        if self.checkpointer is not None:
            self.checkpointer.ensure_running()

    def _durable_commit(self) -> None:
        """Make the current transaction wait for its WAL flush on PostgreSQL.

        Stores may run with ``synchronous_commit=off`` (a lost store is a
        miss); a lost invalidation would serve a stale entry again.
        """
        if not self.sqlite:
            self.database.execute_sql("SET LOCAL synchronous_commit = on")

    # Reads and writes of single entries

    def lookup(self, cache_key: str, now: float):
        """``(simulation_id, body or None)`` for a stored key, None for an unknown one.

        ``body`` is None when the entry expired or was invalidated (a miss
        that still belongs to a simulation).
        """
        return self._execute_hot("lookup", self.sql_lookup, (now, cache_key)).fetchone()

    def store(self, values: dict, metadata, ttl_seconds: float, now: float) -> str:
        """Insert or atomically replace the entry of ``values["cache_key"]``; return its body."""
        expires_at = now + ttl_seconds
        answer = {name: values.get(name) for name in ENTRY_FIELDS}
        answer["metadata"] = metadata
        answer["created_at"] = format_timestamp(now)
        answer["expires_at"] = format_timestamp(expires_at)
        body = orjson.dumps(answer).decode()
        params = [values.get(name) for name in ENTRY_FIELDS]
        params += [body, now, expires_at]
        with self.write_lock:
            self._execute_hot("upsert", self.sql_upsert, params)
        return body

    def delete(self, cache_key: str) -> bool:
        """Remove one entry; whether it existed."""
        with self.write_lock, self.database.atomic():
            self._durable_commit()
            cursor = self.database.execute_sql(
                f"DELETE FROM cache_entry WHERE cache_key = {self._p}", (cache_key,)
            )
        return cursor.rowcount > 0

    def purge(self, now: float) -> int:
        """Remove expired and invalidated entries; how many."""
        with self.write_lock:
            cursor = self.database.execute_sql(
                f"DELETE FROM cache_entry WHERE expires_at <= {self._p} "
                "OR invalidated_at IS NOT NULL",
                (now,),
            )
        return cursor.rowcount

    # Listings

    def page(
        self, filters: dict, after_id: int | None, count: int, now: float
    ) -> list[tuple[int, str]]:
        """``(id, body)`` of up to ``count`` live entries in id order, after ``after_id``.

        A keyset query on the primary key: the page after id 10,000 costs
        what the first page costs.
        """
        clauses, params = [self.live_clause], [now]
        if after_id is not None:
            clauses.append(f"id > {self._p}")
            params.append(after_id)
        for name in ("simulation_id", "simulation_name", "simulation_version"):
            if filters.get(name) is not None:
                clauses.append(f"{name} = {self._p}")
                params.append(filters[name])
        params.append(count)
        return self.database.execute_sql(
            f"SELECT id, body FROM cache_entry WHERE {' AND '.join(clauses)} "
            f"ORDER BY id LIMIT {self._p}",
            params,
        ).fetchall()

    def invalidations(self, simulation_id, after_id: int | None, count: int) -> list[dict]:
        """Up to ``count`` recorded invalidations, oldest first, after ``after_id``."""
        query = CacheInvalidation.select()
        if after_id is not None:
            query = query.where(CacheInvalidation.id > after_id)
        if simulation_id is not None:
            query = query.where(CacheInvalidation.simulation_id == simulation_id)
        rows = query.order_by(CacheInvalidation.id).limit(count).tuples()
        return [self._invalidation(row) for row in rows]

    @staticmethod
    def _invalidation(row) -> dict:
        identifier, created_at, reason, selector, simulation_id, count, who, role = row
        return {
            "invalidation_id": identifier,
            "created_at": format_timestamp(created_at),
            "reason": reason,
            "selector": orjson.loads(selector),
            "invalidated_entries": count,
            "invalidated_by": who,
            "role": role,
        }

    # Invalidation

    def _selector_clause(self, selector: dict) -> tuple[list[str], list]:
        clauses, params = [], []
        for name in ("simulation_id", "simulation_name", "simulation_version"):
            if selector.get(name) is not None:
                clauses.append(f"{name} = {self._p}")
                params.append(selector[name])
        pattern = selector.get("key_pattern")
        if pattern is not None:
            if self.sqlite:
                clauses.append(f"cache_key GLOB {self._p}")
                params.append(glob_to_sqlite(pattern))
            else:
                clauses.append(f"cache_key LIKE {self._p} ESCAPE '\\'")
                params.append(glob_to_like(pattern))
        return clauses, params

    def invalidate(self, selector: dict, reason, who: str, role: str, now: float) -> dict:
        """Mark the live entries ``selector`` matches as invalidated; record it; count it.

        One transaction: the record, the update, and the per-simulation
        counts (read back by the record's id, so they are exact).
        """
        given = {name: selector[name] for name in SELECTOR_FIELDS if selector.get(name) is not None}
        clauses, params = self._selector_clause(given)
        with self.write_lock, self.database.atomic():
            self._durable_commit()
            record = CacheInvalidation.create(
                created_at=now,
                reason=reason,
                selector=orjson.dumps(given).decode(),
                simulation_id=given.get("simulation_id"),
                invalidated_by=who[:200],
                role=role[:50],
            )
            # RETURNING gives the simulation of every row hit, so the
            # per-simulation counts are exact without another scan.
            simulations = self.database.execute_sql(
                f"UPDATE cache_entry SET invalidated_at = {self._p}, invalidation_id = {self._p} "
                f"WHERE {self.live_clause} AND {' AND '.join(clauses)} RETURNING simulation_id",
                [now, record.id, now, *params],
            ).fetchall()
            count = len(simulations)
            if count:
                per_simulation = {}
                for (simulation_id,) in simulations:
                    per_simulation[simulation_id] = per_simulation.get(simulation_id, 0) + 1
                for simulation_id, entries in sorted(per_simulation.items()):
                    self.database.execute_sql(self.sql_stats_add, (simulation_id, 0, 0, entries))
                record.entry_count = count
                record.save(only=[CacheInvalidation.entry_count])
        return {
            "invalidation_id": record.id,
            "invalidated": count,
            "selector": given,
            "reason": reason,
            "invalidated_by": record.invalidated_by,
            "created_at": format_timestamp(now),
        }

    # Statistics

    def add_counts(self, deltas: dict[int, list[int]]) -> None:
        """Add hit and miss deltas ``{simulation_id: [hits, misses]}`` in one transaction."""
        with self.write_lock, self.database.atomic():
            for simulation_id, (hits, misses) in sorted(deltas.items()):
                self.database.execute_sql(self.sql_stats_add, (simulation_id, hits, misses, 0))

    def counts(self, simulation_id, now: float) -> dict:
        """Stored counters and entry counts, overall (None) or for one simulation."""
        where, params = "", []
        if simulation_id is not None:
            where, params = f" WHERE simulation_id = {self._p}", [simulation_id]
        hits, misses, invalidated = self.database.execute_sql(
            "SELECT COALESCE(SUM(hits), 0), COALESCE(SUM(misses), 0), "
            f"COALESCE(SUM(invalidated), 0) FROM cache_stats{where}",
            params,
        ).fetchone()
        live, expired, stored = self.database.execute_sql(
            f"SELECT COALESCE(SUM(CASE WHEN {self.live_clause} THEN 1 ELSE 0 END), 0), "
            f"COALESCE(SUM(CASE WHEN invalidated_at IS NULL AND expires_at <= {self._p} "
            "THEN 1 ELSE 0 END), 0), COUNT(*) "
            f"FROM cache_entry{where}",
            [now, now, *params],
        ).fetchone()
        (events,) = self.database.execute_sql(
            f"SELECT COUNT(*) FROM cache_invalidation{where}", params
        ).fetchone()
        # PostgreSQL's SUM of a BIGINT is NUMERIC (a Decimal in Python).
        return {
            "hits": int(hits),
            "misses": int(misses),
            "invalidated_entries": int(invalidated),
            "entries": int(live),
            "expired_entries": int(expired),
            "stored_entries": int(stored),
            "invalidations": int(events),
        }
