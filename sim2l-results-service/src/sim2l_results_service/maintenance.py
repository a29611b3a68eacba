"""Planner statistics and visibility kept current as runs are registered (PostgreSQL).

PostgreSQL plans searches from the statistics ANALYZE gathers, and answers
them from indexes alone only where VACUUM has marked the pages all-visible.
On a server with ``autovacuum = off`` (this project's test servers), or one
whose autovacuum lags behind a bulk registration, neither happens: measured on
10,000 runs right after a bulk load, a filter looked like one row, a join of
two filters turned quadratic (a statistics request ran for minutes), and every
"index-only" scan of one parameter read the whole value table.

So after each registration the service reads PostgreSQL's own change
counters of the value table (what ``pg_stat_user_tables`` shows: rows changed
since the last ANALYZE, inserted since the last VACUUM; the registering connection
flushes its counters first, ``pg_stat_force_next_flush``, so none lag). When
either passes PostgreSQL's own autovacuum threshold (``ANALYZE_BASE`` +
``ANALYZE_FRACTION`` of the table's rows), it runs ``VACUUM (ANALYZE)`` on the
results tables before answering: with the threshold relative to the table's
size that happens a logarithmic number of times as the tables grow, and each
VACUUM reads only the pages added since the last. One process at a time
does it (a session advisory lock; the others skip). SQLite needs none of
this: its plans here do not depend on statistics.
"""

import logging

from sim2l_results_service.models import database_proxy
from sim2l_results_service.models import execute
from sim2l_results_service.models import uses_question_marks

ANALYZE_BASE = 50
ANALYZE_FRACTION = 0.1
TABLES = (
    "results_result",
    "results_parameter_value",
    "results_parameter_schema",
    "results_parameter_sums",  # updated by every registration: its dead rows go too
)
LOCK_KEY = 0x5113_2E5F_A7A1  # pg_try_advisory_lock key of this maintenance

logger = logging.getLogger(__name__)


def statistics_are_stale() -> bool:
    """Whether the value table changed by more than the threshold since ANALYZE or VACUUM."""
    execute("SELECT pg_stat_force_next_flush()")  # this connection's counts, flushed when idle
    # The view pg_stat_user_tables's own functions, for one table: the view
    # computes every column of every table first (1 ms against 0.13 here).
    changed, inserted, rows = execute(
        "SELECT pg_stat_get_mod_since_analyze(t.oid), pg_stat_get_ins_since_vacuum(t.oid), "
        "pg_stat_get_live_tuples(t.oid) FROM (SELECT 'results_parameter_value'::regclass::oid "
        "AS oid) t"
    ).fetchone()
    threshold = ANALYZE_BASE + ANALYZE_FRACTION * rows
    return changed > threshold or inserted > threshold


def refresh_statistics() -> bool:
    """``VACUUM (ANALYZE)`` the results tables unless another process is at it; True if done.

    Must run outside a transaction (VACUUM cannot run inside one).
    """
    if not execute("SELECT pg_try_advisory_lock(?)", (LOCK_KEY,)).fetchone()[0]:
        return False
    try:
        execute(f"VACUUM (ANALYZE) {', '.join(TABLES)}")
    finally:
        execute("SELECT pg_advisory_unlock(?)", (LOCK_KEY,))
    return True


def keep_statistics_current() -> None:
    """After a registration: refresh PostgreSQL's statistics when they are stale."""
    database = database_proxy.obj
    if uses_question_marks() or database.in_transaction():
        return
    database.connection()  # connecting reads the server's version
    if database.server_version < 150000:  # no pg_stat_force_next_flush
        return
    if statistics_are_stale():
        logger.info("refreshing planner statistics of the results tables")
        refresh_statistics()
