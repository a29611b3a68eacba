"""Files and saved states: artifacts and checkpoints, their bytes in content-addressed blobs."""

import mimetypes
import time
from pathlib import Path

from sim2l.rundb.blobs import BlobReader
from sim2l.rundb.blobs import copy_to_file
from sim2l.rundb.blobs import iter_content
from sim2l.rundb.blobs import write_blob
from sim2l.rundb.checks import check_file_name
from sim2l.rundb.checks import check_name
from sim2l.rundb.errors import ArtifactNotFoundError
from sim2l.rundb.values import decode_value
from sim2l.rundb.values import encode_value

_ARTIFACT_COLUMNS = (
    "name",
    "sha256",
    "size",
    "content_type",
    "category",
    "description",
    "source_name",
    "created_at",
)
_SELECT_ARTIFACTS = f"SELECT {', '.join(_ARTIFACT_COLUMNS)} FROM artifacts"  # noqa: S608 (constant names)


class ArtifactRecords:
    """Artifacts (named files) and checkpoints (named, stepped states)."""

    # ------------------------------------------------------------------ artifacts

    def save_artifact(
        self,
        name: str,
        path=None,
        content=None,
        *,
        content_type: str | None = None,
        category: str = "output",
        description: str | None = None,
    ) -> dict:
        """Store a file's bytes in the run (``path=`` or ``content=``); return its record.

        ``content`` may be bytes, str (UTF-8), a binary file object or an
        iterable of bytes; it is read in chunks, so its size is not limited by
        memory. Equal contents are stored once. Saving a name again replaces it.
        """
        check_file_name(name)
        source_name = None if path is None else Path(path).name
        if content_type is None and path is not None:
            content_type = mimetypes.guess_type(str(path))[0]
        chunks = iter_content(content=content, path=path)
        now = time.time()
        with self.transaction():
            sha256, size = write_blob(self._connection, chunks)
            self._connection.execute(
                "INSERT INTO artifacts (name, sha256, size, content_type, category, description, "
                "source_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size, "
                "content_type = excluded.content_type, category = excluded.category, "
                "description = excluded.description, source_name = excluded.source_name, "
                "created_at = excluded.created_at",
                (name, sha256, size, content_type, category, description, source_name, now),
            )
            self._drop_unused_blobs()
        return self.get_artifact(name)

    def _drop_unused_blobs(self) -> None:
        """Delete blobs no artifact or checkpoint points at (after a replacement)."""
        unused = self._connection.execute(
            "SELECT id FROM blobs WHERE sha256 NOT IN (SELECT sha256 FROM artifacts) "
            "AND sha256 NOT IN (SELECT sha256 FROM checkpoints WHERE sha256 IS NOT NULL)"
        ).fetchall()
        for (blob_id,) in unused:
            self._connection.execute("DELETE FROM blob_chunks WHERE blob_id = ?", (blob_id,))
            self._connection.execute("DELETE FROM blobs WHERE id = ?", (blob_id,))

    def get_artifacts(self, category: str | None = None) -> list[dict]:
        """Artifact records: name, sha256, size, content_type, category, description, ..."""
        sql, parameters = _SELECT_ARTIFACTS, ()
        if category is not None:
            sql += " WHERE category = ?"
            parameters = (category,)
        rows = self._execute(sql + " ORDER BY rowid", parameters).fetchall()
        return [dict(zip(_ARTIFACT_COLUMNS, row, strict=True)) for row in rows]

    def get_artifact(self, name: str) -> dict:
        """One artifact's record; ``ArtifactNotFoundError`` when there is none."""
        row = self._execute(_SELECT_ARTIFACTS + " WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise ArtifactNotFoundError(f"run {self.execution_id!r} has no artifact {name!r}")
        return dict(zip(_ARTIFACT_COLUMNS, row, strict=True))

    def _open_blob(self, sha256: str) -> BlobReader:
        with self._lock:
            return BlobReader(self._reader(), sha256, lock=self._lock)

    def open_artifact(self, name: str) -> BlobReader:
        """A binary, seekable stream of an artifact's bytes, read chunk by chunk."""
        return self._open_blob(self.get_artifact(name)["sha256"])

    def iter_artifact(self, name: str, chunk_size: int = 1024 * 1024):
        """Yield an artifact's bytes in pieces of at most ``chunk_size``."""
        with self.open_artifact(name) as reader:
            while True:
                chunk = reader.read(chunk_size)
                if not chunk:
                    return
                yield chunk

    def read_artifact(self, name: str) -> bytes:
        """An artifact's whole content (use ``open_artifact`` for large ones)."""
        return b"".join(self.iter_artifact(name))

    def export_artifact(self, name: str, dest_path, overwrite: bool = False) -> Path:
        """Write an artifact to ``dest_path``; an existing file is kept unless ``overwrite``.

        Raises ``FileExistsError`` when the file exists and ``overwrite`` is false.
        """
        with self.open_artifact(name) as reader:
            copy_to_file(reader, Path(dest_path), exclusive=not overwrite)
        return Path(dest_path)

    # ------------------------------------------------------------------ checkpoints

    def save_checkpoint(
        self, name: str, state=None, *, step: int | None = None, content=None, path=None
    ) -> None:
        """Record a named state: a typed value (``state``) and/or bytes (``content``/``path``)."""
        check_name(name)
        kind, value_json, number, blob = encode_value(state)
        now = time.time()
        with self.transaction():
            sha256 = size = None
            if content is not None or path is not None:
                sha256, size = write_blob(
                    self._connection, iter_content(content=content, path=path)
                )
            self._connection.execute(
                "INSERT INTO checkpoints (name, step, value_kind, value_json, value_number, "
                "value_blob, sha256, size, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (name, step, kind, value_json, number, blob, sha256, size, now),
            )

    def get_checkpoints(self, name: str | None = None) -> list[dict]:
        """Checkpoints in order: name, step, state, sha256, size, timestamp."""
        sql = (
            "SELECT id, name, step, value_kind, value_json, value_blob, sha256, size, timestamp "
            "FROM checkpoints"
        )
        parameters = ()
        if name is not None:
            sql += " WHERE name = ?"
            parameters = (name,)
        return [
            {
                "id": row[0],
                "name": row[1],
                "step": row[2],
                "state": decode_value(row[3], row[4], row[5]),
                "sha256": row[6],
                "size": row[7],
                "timestamp": row[8],
            }
            for row in self._execute(sql + " ORDER BY id", parameters).fetchall()
        ]

    def open_checkpoint_content(self, checkpoint_id: int) -> BlobReader:
        """A stream of the bytes saved with a checkpoint."""
        row = self._execute(
            "SELECT sha256 FROM checkpoints WHERE id = ?", (checkpoint_id,)
        ).fetchone()
        if row is None or row[0] is None:
            raise KeyError(f"checkpoint {checkpoint_id} has no content")
        return self._open_blob(row[0])
