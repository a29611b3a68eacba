"""The cache's tables, and the queries on them (``CacheStore``).

(The SQL here is assembled only from column names and the driver's parameter
marker; every value travels as a parameter, hence the file-wide S608 waiver.)

Three tables: ``cache_entry`` (one row per key; the answer to a GET is kept
ready-encoded in ``body``), ``cache_stats`` (hit, miss and invalidation
counts per simulation, fed in batches by each worker's ``HitCounter``) and
``cache_invalidation`` (who invalidated what, why, and how many entries).

The hot paths (read one key, store one entry) are single prepared SQL
statements that return tuples: measured on this machine, that is about 1.4x
the throughput of the same read through model instances
(/work/shared/PERFORMANCE_NOTES.md).
"""

# ruff: noqa: S608

import contextlib
import datetime
import fcntl
import os
import threading
import time
import weakref

import orjson
import peewee
from sim2l_sessions.database import is_sqlite_url
from sim2l_sessions.database import sqlite_path

database_proxy = peewee.DatabaseProxy()

# The stats row that counts misses on keys never stored (no simulation to
# charge them to). Simulation ids are never negative.
UNATTRIBUTED = -1

ENTRY_FIELDS = (
    "cache_key",
    "simulation_id",
    "simulation_name",
    "simulation_version",
    "execution_id",
    "squid_id",
    "input_hash",
    "run_db_path",
    "result_id",
)
SELECTOR_FIELDS = ("simulation_id", "simulation_name", "simulation_version", "key_pattern")


class BaseModel(peewee.Model):
    """Models bound to the database ``create_app`` opens."""

    class Meta:
        database = database_proxy


class CacheEntry(BaseModel):
    """One cached result: the seed's fields, the ready-encoded answer, times."""

    cache_key = peewee.CharField(max_length=512, unique=True)
    simulation_id = peewee.BigIntegerField(index=True)
    simulation_name = peewee.CharField(max_length=200)
    simulation_version = peewee.CharField(max_length=100)
    execution_id = peewee.CharField(max_length=200)
    squid_id = peewee.CharField(max_length=512)
    input_hash = peewee.CharField(max_length=256)
    run_db_path = peewee.TextField()
    result_id = peewee.BigIntegerField(null=True)
    body = peewee.TextField()  # the GET answer, JSON, passed through as is
    created_at = peewee.DoubleField()  # seconds since the epoch, UTC
    # No index beyond the key's and the simulation's: each index costs about
    # 15 us per stored entry on SQLite, and invalidations and purges are rare.
    expires_at = peewee.DoubleField()
    invalidated_at = peewee.DoubleField(null=True)
    invalidation_id = peewee.BigIntegerField(null=True)

    class Meta:
        table_name = "cache_entry"


class CacheStats(BaseModel):
    """Hits, misses and invalidated entries per simulation (``UNATTRIBUTED``: unknown keys)."""

    simulation_id = peewee.BigIntegerField(primary_key=True)
    hits = peewee.BigIntegerField(default=0)
    misses = peewee.BigIntegerField(default=0)
    invalidated = peewee.BigIntegerField(default=0)

    class Meta:
        table_name = "cache_stats"


class CacheInvalidation(BaseModel):
    """One invalidation: its selector, reason, who asked, how many entries it hit."""

    created_at = peewee.DoubleField()
    reason = peewee.TextField(null=True)
    selector = peewee.TextField()  # JSON object of the selectors given
    simulation_id = peewee.BigIntegerField(null=True, index=True)
    entry_count = peewee.IntegerField(default=0)
    invalidated_by = peewee.CharField(max_length=200)
    role = peewee.CharField(max_length=50)

    class Meta:
        table_name = "cache_invalidation"


def iso_time(seconds: float) -> str:
    """An epoch time as an ISO 8601 UTC string."""
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).isoformat()


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


class ProcessWriteLock:
    """Serialises SQLite writers across worker processes with ``flock``.

    SQLite lets one writer in at a time; a second writer gets SQLITE_BUSY and
    its busy handler sleeps at least a millisecond before trying again, which
    under concurrent writes costs more than the write itself. A blocking
    ``flock`` wakes the next writer as soon as the lock is released. The file
    is opened once per process (after gunicorn forks: an inherited descriptor
    would share the lock), and a thread lock covers threads of one process.
    """

    def __init__(self, path: str):
        self.path = path
        self._descriptor = None
        self._pid = None
        self._threads = threading.Lock()

    def __enter__(self):
        self._threads.acquire()
        try:
            if self._pid != os.getpid():
                self._descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                self._pid = os.getpid()
            fcntl.flock(self._descriptor, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise
        return self

    def __exit__(self, *exc_info):
        try:
            fcntl.flock(self._descriptor, fcntl.LOCK_UN)
        finally:
            self._threads.release()


class PreparedStatements:
    """PostgreSQL server-side prepared statements, prepared once per pooled connection.

    A GET is one trivial indexed query, so parsing and planning it is a large
    share of the server's work: ``EXECUTE`` of a prepared statement measured
    about 20 us less per query here than sending the SQL text each time, and
    with the server on the same two cores that is throughput. A statement
    lives as long as its connection; a connection the pool replaces (after an
    outage, say) prepares its own on first use. Parameter types are left to
    the server to infer from the columns, as for the plain statement.

    Named statements do not survive a transaction-mode PgBouncer, which hands
    each transaction another server connection: behind one, set the service's
    ``postgresql_prepared_statements`` to false.
    """

    def __init__(self, database: peewee.Database):
        self.database = database
        # name -> (PREPARE text, EXECUTE text, connections it is prepared on)
        self._statements: dict[str, tuple[str, str, weakref.WeakSet]] = {}

    def execute(self, name: str, sql: str, params):
        """Run ``sql`` (written with ``%s`` markers) as the prepared statement ``name``."""
        entry = self._statements.get(name)
        if entry is None:
            entry = self._statements[name] = self._compile(f"sim2l_cache_{name}", sql)
        prepare, execute, prepared_on = entry

        def prepare_and_execute():
            connection = self.database.connection()
            if connection not in prepared_on:
                self.database.execute_sql(prepare)
                prepared_on.add(connection)
            return self.database.execute_sql(execute, params)

        # One retry scope for both statements: a pooled connection found dead
        # is replaced and the new one is prepared before it executes.
        run_with_reconnect = getattr(self.database, "run_with_reconnect", None)
        if run_with_reconnect is None:
            return prepare_and_execute()
        return run_with_reconnect(prepare_and_execute)

    @staticmethod
    def _compile(statement: str, sql: str) -> tuple[str, str, weakref.WeakSet]:
        parts = sql.split("%s")
        numbered = parts[0] + "".join(
            f"${index}{part}" for index, part in enumerate(parts[1:], start=1)
        )
        markers = ", ".join(["%s"] * (len(parts) - 1))
        return (
            f"PREPARE {statement} AS {numbered}",
            f"EXECUTE {statement} ({markers})",
            weakref.WeakSet(),
        )


class CacheStore:
    """Every query of the cache service, as SQL on one Peewee database.

    Statements are built once per database with its parameter marker, so
    the hot paths do no query building per request.
    """

    def __init__(self, database: peewee.Database, url: str, prepared_statements: bool = True):
        self.database = database
        self.url = url
        self.sqlite = is_sqlite_url(url)
        self.write_lock = (
            ProcessWriteLock(f"{sqlite_path(url)}-writelock")
            if self.sqlite
            else contextlib.nullcontext()
        )
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
        self.statements = (
            PreparedStatements(database) if prepared_statements and not self.sqlite else None
        )

    def _execute_hot(self, name: str, sql: str, params):
        """One of the hot statements: prepared once per connection on PostgreSQL."""
        if self.statements is None:
            return self.database.execute_sql(sql, params)
        return self.statements.execute(name, sql, params)

    def disable_automatic_checkpoints(self) -> None:
        """SQLite: leave WAL checkpoints to a background thread (call before connecting).

        An automatic checkpoint runs inside the commit that crosses the
        threshold and fsyncs while every queued writer waits behind it (and
        the requests queued at that worker wait too). A thread of each worker
        runs a PASSIVE checkpoint every second instead, on its own
        connection, outside the write lock; SQLite releases the GIL while it
        works, so requests go on meanwhile.
        """
        if self.sqlite:
            self.database.pragma("wal_autocheckpoint", 0, permanent=True)
            if not self.database.is_closed():
                self.database.close()
            self._checkpoint_pid = None
            self._checkpoint_lock = threading.Lock()

    def release_connection(self) -> None:
        """PostgreSQL: return this thread's connection to the pool (SQLite keeps its own)."""
        if not self.sqlite and not self.database.is_closed():
            self.database.close()

    def ensure_checkpointer(self, interval: float = 1.0) -> None:
        """SQLite: start this process's checkpoint thread unless it runs (after a fork too)."""
        if not self.sqlite or getattr(self, "_checkpoint_pid", os.getpid()) == os.getpid():
            return
        with self._checkpoint_lock:
            if self._checkpoint_pid == os.getpid():
                return
            self._checkpoint_pid = os.getpid()
            thread = threading.Thread(
                target=self._checkpoint_forever,
                args=(interval,),
                name="sim2l-wal-checkpoint",
                daemon=True,
            )
            thread.start()

    def _checkpoint_forever(self, interval: float) -> None:
        pid = os.getpid()
        path = sqlite_path(self.url)
        while self._checkpoint_pid == pid and path.exists():
            time.sleep(interval)
            try:
                # Peewee keeps one connection per thread: this is the thread's own.
                self.database.execute_sql("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            except peewee.PeeweeException:
                continue  # busy or gone: try again next time

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
        answer["created_at"] = iso_time(now)
        answer["expires_at"] = iso_time(expires_at)
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
        self, filters: dict, after_id: int, limit: int, now: float
    ) -> tuple[list[str], int | None]:
        """Live entries' bodies in id order after ``after_id``; and the next cursor, if any."""
        clauses, params = [self.live_clause, f"id > {self._p}"], [now, after_id]
        for name in ("simulation_id", "simulation_name", "simulation_version"):
            if filters.get(name) is not None:
                clauses.append(f"{name} = {self._p}")
                params.append(filters[name])
        params.append(limit + 1)
        rows = self.database.execute_sql(
            f"SELECT id, body FROM cache_entry WHERE {' AND '.join(clauses)} "
            f"ORDER BY id LIMIT {self._p}",
            params,
        ).fetchall()
        next_cursor = rows[limit - 1][0] if len(rows) > limit else None
        return [body for _, body in rows[:limit]], next_cursor

    def invalidations(
        self, simulation_id, after_id: int, limit: int
    ) -> tuple[list[dict], int | None]:
        """Recorded invalidations, oldest first, after ``after_id``; and the next cursor."""
        query = CacheInvalidation.select().where(CacheInvalidation.id > after_id)
        if simulation_id is not None:
            query = query.where(CacheInvalidation.simulation_id == simulation_id)
        rows = list(query.order_by(CacheInvalidation.id).limit(limit + 1).tuples())
        next_cursor = rows[limit - 1][0] if len(rows) > limit else None
        return [self._invalidation(row) for row in rows[:limit]], next_cursor

    @staticmethod
    def _invalidation(row) -> dict:
        identifier, created_at, reason, selector, simulation_id, count, who, role = row
        return {
            "invalidation_id": identifier,
            "created_at": iso_time(created_at),
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
            "created_at": iso_time(now),
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
