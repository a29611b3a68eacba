"""Content-addressed, chunked blobs inside a run file.

Contents (artifacts, checkpoint states) are stored once per sha256 in
``blobs`` and split into ``blob_chunks`` of ``CHUNK_SIZE`` bytes, so a
gigabyte goes in and comes out with one chunk in memory at a time. A blob is
written inside the caller's transaction: a crash leaves nothing half-written.
"""

import hashlib
import io
import os
import sqlite3
from collections.abc import Iterable
from collections.abc import Iterator
from pathlib import Path

CHUNK_SIZE = 1024 * 1024


def iter_content(content=None, path=None, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Chunks of ``content`` (bytes, str, binary file object, or iterable of bytes) or ``path``."""
    if (content is None) == (path is None):
        raise ValueError("give exactly one of content= or path=")
    if path is not None:
        with open(os.fspath(path), "rb") as stream:
            yield from iter_content(stream, chunk_size=chunk_size)
        return
    if isinstance(content, str):
        content = content.encode("utf-8")
    if isinstance(content, (bytes, bytearray, memoryview)):
        view = memoryview(content)
        for start in range(0, len(view), chunk_size):
            yield bytes(view[start : start + chunk_size])
        return
    if hasattr(content, "read"):
        while True:
            chunk = content.read(chunk_size)
            if not chunk:
                return
            if isinstance(chunk, str):
                raise TypeError("artifact streams must be opened in binary mode")
            yield bytes(chunk)
    if isinstance(content, Iterable):
        for piece in content:
            if not isinstance(piece, (bytes, bytearray, memoryview)):
                raise TypeError("an iterable artifact content must yield bytes")
            # Re-chunk so stored chunks keep one size whatever the producer yields.
            view = memoryview(piece)
            for start in range(0, len(view), chunk_size):
                yield bytes(view[start : start + chunk_size])
        return
    raise TypeError(f"cannot read artifact content of type {type(content).__name__}")


def _rechunk(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """Chunks of exactly ``size`` bytes (the last may be shorter)."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


def write_blob(connection: sqlite3.Connection, chunks: Iterable[bytes]) -> tuple[str, int]:
    """Store the bytes of ``chunks`` (inside an open transaction); return (sha256, size).

    The chunks are written under a fresh blob id while being hashed. When a
    blob with the same hash already exists, the new rows are rolled back to a
    savepoint and the existing blob is shared.
    """
    blob_id = connection.execute("SELECT coalesce(max(id), 0) + 1 FROM blobs").fetchone()[0]
    digest = hashlib.sha256()
    size = 0
    seq = 0
    connection.execute("SAVEPOINT blob_write")
    try:
        insert = "INSERT INTO blob_chunks (blob_id, seq, data) VALUES (?, ?, ?)"
        for chunk in _rechunk(chunks, CHUNK_SIZE):
            digest.update(chunk)
            size += len(chunk)
            connection.execute(insert, (blob_id, seq, chunk))
            seq += 1
        sha256 = digest.hexdigest()
        if connection.execute("SELECT 1 FROM blobs WHERE sha256 = ?", (sha256,)).fetchone():
            connection.execute("ROLLBACK TO blob_write")
        else:
            connection.execute(
                "INSERT INTO blobs (id, sha256, size, chunk_size, chunk_count) "
                "VALUES (?, ?, ?, ?, ?)",
                (blob_id, sha256, size, CHUNK_SIZE, seq),
            )
        connection.execute("RELEASE blob_write")
    except BaseException:
        connection.execute("ROLLBACK TO blob_write")
        connection.execute("RELEASE blob_write")
        raise
    return sha256, size


class BlobReader(io.RawIOBase):
    """A read-only binary stream over one blob, fetching one chunk at a time."""

    def __init__(self, connection: sqlite3.Connection, sha256: str, lock=None):
        super().__init__()
        row = connection.execute(
            "SELECT id, size, chunk_size, chunk_count FROM blobs WHERE sha256 = ?", (sha256,)
        ).fetchone()
        if row is None:
            raise FileNotFoundError(f"no blob {sha256} in this run file")
        self._connection = connection
        self._lock = lock
        self._blob_id, self.size, self._chunk_size, self._chunk_count = row
        self._position = 0
        self._chunk_seq = -1
        self._chunk = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def _load(self, seq: int) -> bytes:
        if seq != self._chunk_seq:
            query = "SELECT data FROM blob_chunks WHERE blob_id = ? AND seq = ?"
            if self._lock is not None:
                with self._lock:
                    row = self._connection.execute(query, (self._blob_id, seq)).fetchone()
            else:
                row = self._connection.execute(query, (self._blob_id, seq)).fetchone()
            self._chunk = bytes(row[0]) if row else b""
            self._chunk_seq = seq
        return self._chunk

    def readinto(self, buffer) -> int:
        # Fill the whole buffer across chunk boundaries, so read(n) returns n
        # bytes until the end as callers of a file expect.
        view = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(view) and self._position < self.size:
            seq, offset = divmod(self._position, self._chunk_size)
            chunk = self._load(seq)
            if offset >= len(chunk):
                break  # damaged file: a chunk shorter than recorded
            count = min(len(view) - filled, len(chunk) - offset)
            view[filled : filled + count] = chunk[offset : offset + count]
            filled += count
            self._position += count
        return filled


def copy_to_file(reader: BlobReader, destination: Path, exclusive: bool) -> None:
    """Write a blob to ``destination``; ``exclusive`` refuses an existing file.

    Without ``exclusive`` the bytes go to a temporary file beside the
    destination that then replaces it, so a reader never sees half a file.
    """
    destination = Path(destination)
    if exclusive:
        # O_EXCL: fails on an existing file, and then nothing of it is touched.
        target, stream = destination, open(destination, "xb")  # noqa: SIM115
    else:
        target = destination.with_name(f".{destination.name}.{os.getpid()}.partial")
        stream = open(target, "wb")  # noqa: SIM115
    try:
        with stream:
            while True:
                chunk = reader.read(CHUNK_SIZE)
                if not chunk:
                    break
                stream.write(chunk)
        if not exclusive:
            os.replace(target, destination)
    except BaseException:
        # Only the file this call created is removed.
        target.unlink(missing_ok=True)
        raise
