"""The folder of registered run files: ``<storage_dir>/<execution_id>.db``.

Uploads are streamed into a private temporary file (mode 0600) inside the
same folder (so moving it into place is an atomic rename), with a size cap
and a SHA-256 computed on the way. File names only ever come from validated
execution ids, never from anything inside an upload.
"""

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from sim2l_sessions.execution_ids import is_valid_execution_id

CHUNK_BYTES = 1024 * 1024


class UploadTooLarge(Exception):
    """The upload exceeds the configured maximum."""


class RunFileStore:
    """Where registered run files live on disk."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.incoming = self.directory / ".incoming"

    def ensure(self) -> None:
        """Create the folders (private to the service's user)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.incoming.mkdir(mode=0o700, exist_ok=True)

    def path_of(self, execution_id: str) -> Path:
        """The stored file of a valid execution id."""
        if not is_valid_execution_id(execution_id):
            raise ValueError(f"invalid execution id {execution_id!r}")
        path = self.directory / f"{execution_id}.db"
        if path.parent != self.directory:  # the pattern already forbids separators
            raise ValueError(f"invalid execution id {execution_id!r}")
        return path

    def receive(self, stream, max_bytes: int) -> tuple[Path, str, int]:
        """Copy ``stream`` into a private temporary file; return its path, sha256 and size."""
        self.ensure()
        descriptor, name = tempfile.mkstemp(dir=self.incoming, suffix=".upload")
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(descriptor, "wb") as target:
                while True:
                    chunk = stream.read(CHUNK_BYTES)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > max_bytes:
                        raise UploadTooLarge(f"the run file exceeds the limit of {max_bytes} bytes")
                    digest.update(chunk)
                    target.write(chunk)
        except BaseException:
            discard(Path(name))
            raise
        return Path(name), digest.hexdigest(), size

    def install(self, temporary: Path, execution_id: str) -> Path:
        """Move a received file into place under its execution id (atomic rename)."""
        path = self.path_of(execution_id)
        os.chmod(temporary, 0o640)
        os.replace(temporary, path)
        return path

    def remove(self, execution_id: str) -> None:
        """Delete a stored run file, if present."""
        discard(self.path_of(execution_id))


def discard(path: Path) -> None:
    """Remove a file, ignoring that it is already gone."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
