"""The first commit into a run file this process just created: without the WAL header sync.

In WAL mode with ``synchronous=NORMAL`` SQLite syncs the WAL file when it
writes the WAL header, that is at the first commit into a WAL and at every
restart of the WAL after a checkpoint, and the first sync of a new WAL file
also syncs its folder. Commits themselves are not synced (a power cut may lose
the last ones); checkpoints are (the WAL before its pages are copied into the
file, the file after).

The header sync guards against one thing: a WAL *restart*, where the new
header and frames overwrite an older WAL whose frames were already copied into
the file. Written out of order after a power cut, the old header with a prefix
of old frames would be replayed over newer pages. A WAL that has never held a
frame has no old header or frames to replay, so the sync of its very first
header buys nothing: if the header does not reach the disk, the WAL is empty
on recovery and the file is the image it was created from (the schema alone,
which readers treat as no run yet), as valid as before.

So a writer that created the file makes its first commit with
``synchronous=OFF`` and no automatic checkpoint (a checkpoint under OFF would
copy pages without the syncs), and only when, holding SQLite's write lock, it
sees that nobody has committed to the file: the WAL did not exist when it
opened the file, the WAL is still empty, and there is no run row (every
sim2l writer's first commit writes it). Right after that commit, or when the
connection closes without one, it goes back to ``synchronous=NORMAL`` with
automatic checkpoints, so every later restart of the WAL and every checkpoint,
including the one that settles an ended run, syncs as before.
"""

import os
import sqlite3
from pathlib import Path

# Before the first commit of a file this process created (see above).
UNSYNCED_PRAGMAS = """
PRAGMA synchronous=OFF;
PRAGMA wal_autocheckpoint=0;
"""

# Every other commit: the settings of ``run_file._WRITE_PRAGMAS`` (the default
# automatic checkpoint of 1,000 pages).
SYNCED_PRAGMAS = """
PRAGMA synchronous=NORMAL;
PRAGMA wal_autocheckpoint=1000;
"""


def wal_path(run_path: Path) -> Path:
    """SQLite's write-ahead log beside a run file: ``{run file}-wal``."""
    return run_path.with_name(run_path.name + "-wal")


def nobody_committed(connection: sqlite3.Connection, run_path: Path) -> bool:
    """True when no frame was ever written to the run's WAL and it holds no run row.

    Call it holding the write lock (inside ``BEGIN IMMEDIATE``), on a file
    whose WAL did not exist before this connection opened it: then nobody
    can write a frame until this transaction ends, and an empty WAL with no
    run row means nobody has since (a checkpoint that empties a WAL needs
    frames, and every sim2l writer's first frames hold the run row).
    """
    try:
        if os.stat(wal_path(run_path)).st_size != 0:
            return False
    except FileNotFoundError:
        return False  # not in WAL mode after all: nothing to reason about
    return connection.execute("SELECT count(*) FROM run").fetchone()[0] == 0
