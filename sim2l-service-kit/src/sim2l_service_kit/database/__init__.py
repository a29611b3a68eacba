"""Database mechanics a service may need beyond Peewee's own.

- ``BackendSQL``: hand-written SQL with ``?`` markers, run on whichever backend
  a ``peewee.DatabaseProxy`` holds.
- ``ProcessWriteLock``: one SQLite writer at a time across worker processes.
- ``write_transaction``: a read-then-write transaction that waits its turn on SQLite.
- ``PreparedStatements``: PostgreSQL server-side prepared statements per connection.
- ``WalCheckpointer``: SQLite WAL checkpoints in a background thread, not in commits.
"""

from sim2l_sessions.database import write_transaction

from sim2l_service_kit.database.checkpointer import WalCheckpointer
from sim2l_service_kit.database.prepared_statements import PreparedStatements
from sim2l_service_kit.database.sql import BackendSQL
from sim2l_service_kit.database.write_lock import ProcessWriteLock
from sim2l_service_kit.database.write_lock import write_lock_for

__all__ = [
    "BackendSQL",
    "PreparedStatements",
    "ProcessWriteLock",
    "WalCheckpointer",
    "write_lock_for",
    "write_transaction",
]
