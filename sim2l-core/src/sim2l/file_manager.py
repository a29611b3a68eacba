"""``FileManager``: the files of runs, and a folder tree of file entries.

Run files are the artifacts inside run databases: listed, exported to the
file system (never over an existing file unless asked; an artifact's stored
name is never used as a path), and collected per simulation by scanning the
run folder. Every one of these opens run databases read-only: reading a run
never changes it. The folder tree is a Peewee store: SQLite at
``<SIM2L_HOME>/files.db`` by default, or any ``sqlite:///`` or
``postgresql://`` URL (``database_url=``, ``configure(file_manager_database_url=)``
or ``SIM2L_FILE_MANAGER_DATABASE_URL``).
"""

import logging
import time
from pathlib import Path

import peewee
from sim2l_sessions.database import bind_models
from sim2l_sessions.database import database_from_url
from sim2l_sessions.migrations import migrate
from sim2l_sessions.paths import default_sqlite_url

from sim2l.rundb.execution_ids import EXECUTION_ID_PATTERN
from sim2l.rundb.execution_ids import run_file_path
from sim2l.rundb.execution_ids import validate_execution_id
from sim2l.rundb.run_database import RunDatabase

logger = logging.getLogger(__name__)

MIGRATIONS_PACKAGE = "sim2l.file_manager_migrations"


class FileManagerError(Exception):
    """Base class of the folder tree's errors."""


class EntryNotFoundError(FileManagerError, LookupError):
    """No folder or file entry with that id."""


class NameConflictError(FileManagerError):
    """The folder already holds an entry of that name."""


class InvalidEntryError(FileManagerError, ValueError):
    """A bad name, a parent that is not a folder, or a move into its own subtree."""


class _FileEntry(peewee.Model):
    # parent_id is a plain integer here (the migration adds the foreign key)
    # because bind_models copies models and a self-reference would point at
    # the unbound original.
    kind = peewee.CharField(max_length=8)
    name = peewee.CharField(max_length=255)
    parent_id = peewee.BigIntegerField(null=True)
    size = peewee.BigIntegerField(null=True)
    uri = peewee.TextField(null=True)
    content_type = peewee.CharField(max_length=255, null=True)
    creator = peewee.CharField(max_length=255)
    created_at = peewee.DoubleField()
    updated_at = peewee.DoubleField()

    class Meta:
        table_name = "sim2l_file_entry"


_ENTRY_FIELDS = (
    "id",
    "kind",
    "name",
    "parent_id",
    "size",
    "uri",
    "content_type",
    "creator",
    "created_at",
    "updated_at",
)


def _check_entry_name(name) -> str:
    if (
        not isinstance(name, str)
        or not name.strip()
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or "\x00" in name
        or len(name) > 255
    ):
        raise InvalidEntryError(
            f"invalid name {name!r}: use 1-255 characters without '/', '\\' or NUL, not '.' or '..'"
        )
    return name


def _check_creator(creator) -> str:
    if not isinstance(creator, str) or not creator.strip() or len(creator) > 255:
        raise InvalidEntryError("creator must be a non-empty string of at most 255 characters")
    return creator


class FileManager:
    """Run files and a folder tree of file entries.

    ``run_db_base_path`` defaults to the configured run folder;
    ``database_url`` to the configured store, else ``<SIM2L_HOME>/files.db``.
    The store is migrated when the FileManager is created.
    """

    def __init__(self, database_url: str | None = None, run_db_base_path=None):
        from sim2l.settings import get_settings

        settings = get_settings()
        self.run_db_base_path = Path(run_db_base_path or settings.run_db_base_path).expanduser()
        self.database_url = (
            database_url or settings.file_manager_database_url or default_sqlite_url("files")
        )
        self.database = database_from_url(self.database_url)
        migrate(self.database, MIGRATIONS_PACKAGE)
        self._entry = bind_models(self.database, [_FileEntry])["_FileEntry"]

    def close(self) -> None:
        """Close the store's connections."""
        if hasattr(self.database, "close_all"):
            self.database.close_all()
        elif not self.database.is_closed():
            self.database.close()

    # ------------------------------------------------------------------ run files

    def _run_path(self, execution_id: str) -> Path:
        return run_file_path(validate_execution_id(execution_id), self.run_db_base_path)

    def _open_run(self, execution_id: str) -> RunDatabase:
        return RunDatabase(execution_id, path=self._run_path(execution_id), read_only=True)

    @staticmethod
    def _file_record(execution_id: str, artifact: dict) -> dict:
        return {
            "execution_id": execution_id,
            "name": artifact["name"],
            "size": artifact["size"],
            "category": artifact["category"],
            "content_type": artifact["content_type"],
            "sha256": artifact["sha256"],
            "description": artifact["description"],
            "created_at": artifact["created_at"],
        }

    def get_run_files(self, execution_id: str) -> list[dict]:
        """The files (artifacts) of one run: execution_id, name, size, category, content_type, ...

        Raises ``InvalidExecutionIdError`` for an id that is not a plain name and
        ``RunNotFoundError`` when the run has no file.
        """
        with self._open_run(execution_id) as run:
            return [self._file_record(run.execution_id, item) for item in run.get_artifacts()]

    def export_run_file(
        self, execution_id: str, name: str, dest_path, overwrite: bool = False
    ) -> bool:
        """Copy one run file to ``dest_path``; True when written.

        Returns False (and logs why) when ``dest_path`` exists and ``overwrite``
        is false. Raises ``RunNotFoundError`` when the run does not exist and
        ``ArtifactNotFoundError`` when it has no file of that name. Only
        ``dest_path`` is written; the stored name only selects the artifact.
        """
        dest = Path(dest_path)
        if dest.exists() and not overwrite:
            logger.warning("not exporting %s of %s: %s exists", name, execution_id, dest)
            return False
        try:
            with self._open_run(execution_id) as run:
                run.export_artifact(name, dest, overwrite=overwrite)
        except FileExistsError:
            # Created by someone else between the check and the exclusive open.
            logger.warning("not exporting %s of %s: %s exists", name, execution_id, dest)
            return False
        return True

    def get_simulation_files(self, simulation_name: str, version: str | None = None) -> list[dict]:
        """The files of every run of a simulation (and version) in the run folder.

        Files that are not run databases, or cannot be read, are skipped with
        a warning. Each record is shaped like ``get_run_files()``'s.
        """
        files = []
        if not self.run_db_base_path.is_dir():
            return files
        for path in sorted(self.run_db_base_path.glob("*.db")):
            if not EXECUTION_ID_PATTERN.fullmatch(path.stem) or ".." in path.stem:
                continue
            try:
                with RunDatabase(path.stem, path=path, read_only=True) as run:
                    summary = run.get_summary()
                    if summary["simulation_name"] != simulation_name:
                        continue
                    if version is not None and summary["simulation_version"] != str(version):
                        continue
                    for artifact in run.get_artifacts():
                        files.append(self._file_record(run.execution_id, artifact))
            except Exception as error:  # one bad file must not hide the others
                logger.warning("skipping %s: %s", path, error)
        return files

    # ------------------------------------------------------------------ folder tree

    def _row(self, entry) -> dict:
        return {field: getattr(entry, field) for field in _ENTRY_FIELDS}

    def _get(self, entry_id) -> "_FileEntry":
        if not isinstance(entry_id, int) or isinstance(entry_id, bool):
            raise EntryNotFoundError(f"no entry {entry_id!r}")
        entry = self._entry.get_or_none(self._entry.id == entry_id)
        if entry is None:
            raise EntryNotFoundError(f"no entry {entry_id!r}")
        return entry

    def _check_parent(self, parent_id) -> None:
        if parent_id is not None and self._get(parent_id).kind != "folder":
            raise InvalidEntryError(f"entry {parent_id} is not a folder")

    def _create(self, **fields) -> dict:
        now = time.time()
        try:
            with self.database.connection_context(), self.database.atomic():
                self._check_parent(fields["parent_id"])
                entry = self._entry.create(created_at=now, updated_at=now, **fields)
        except peewee.IntegrityError as error:
            raise NameConflictError(
                f"the folder already holds an entry named {fields['name']!r}"
            ) from error
        return self._row(entry)

    def create_folder(self, name: str, creator: str, parent_id: int | None = None) -> dict:
        """Create a folder (at the root when ``parent_id`` is None); return it with its ``id``."""
        return self._create(
            kind="folder",
            name=_check_entry_name(name),
            creator=_check_creator(creator),
            parent_id=parent_id,
        )

    def create_file(
        self,
        name: str,
        size: int,
        uri: str,
        creator: str,
        parent_id: int | None = None,
        content_type: str | None = None,
    ) -> dict:
        """Record a file entry (name, size in bytes, where it lives) in a folder."""
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise InvalidEntryError(f"size must be a non-negative integer, got {size!r}")
        if not isinstance(uri, str) or not uri:
            raise InvalidEntryError("uri must be a non-empty string")
        return self._create(
            kind="file",
            name=_check_entry_name(name),
            size=size,
            uri=uri,
            content_type=content_type,
            creator=_check_creator(creator),
            parent_id=parent_id,
        )

    def get_entry(self, entry_id: int) -> dict:
        """One folder or file entry."""
        with self.database.connection_context():
            return self._row(self._get(entry_id))

    def list_folder(
        self, folder_id: int | None = None, limit: int | None = None, offset: int = 0
    ) -> list[dict]:
        """The entries of a folder (the root when None): folders first, then by name."""
        with self.database.connection_context():
            self._check_parent(folder_id)
            parent = (
                self._entry.parent_id.is_null()
                if folder_id is None
                else self._entry.parent_id == folder_id
            )
            query = (
                self._entry.select()
                .where(parent)
                .order_by(self._entry.kind.desc(), self._entry.name, self._entry.id)
                .offset(offset)
            )
            if limit is not None:
                query = query.limit(limit)
            return [self._row(entry) for entry in query]

    def _descendant_ids(self, folder_id: int) -> list[int]:
        found, frontier = [], [folder_id]
        while frontier:
            children = [
                entry.id
                for entry in self._entry.select(self._entry.id).where(
                    self._entry.parent_id.in_(frontier)
                )
            ]
            found.extend(children)
            frontier = children
        return found

    def move(self, entry_id: int, new_parent_id: int | None) -> dict:
        """Move an entry into another folder (None: the root)."""
        try:
            with self.database.connection_context(), self.database.atomic():
                entry = self._get(entry_id)
                self._check_parent(new_parent_id)
                if new_parent_id is not None and (
                    new_parent_id == entry_id
                    or (entry.kind == "folder" and new_parent_id in self._descendant_ids(entry_id))
                ):
                    raise InvalidEntryError("cannot move a folder into itself or its subfolders")
                entry.parent_id = new_parent_id
                entry.updated_at = time.time()
                entry.save()
        except peewee.IntegrityError as error:
            raise NameConflictError(
                f"the target folder already holds an entry named {entry.name!r}"
            ) from error
        return self._row(entry)

    def rename(self, entry_id: int, new_name: str) -> dict:
        """Give an entry a new name (unique in its folder)."""
        _check_entry_name(new_name)
        try:
            with self.database.connection_context(), self.database.atomic():
                entry = self._get(entry_id)
                entry.name = new_name
                entry.updated_at = time.time()
                entry.save()
        except peewee.IntegrityError as error:
            raise NameConflictError(
                f"the folder already holds an entry named {new_name!r}"
            ) from error
        return self._row(entry)

    def delete(self, entry_id: int, recursive: bool = False) -> int:
        """Delete an entry; a non-empty folder only with ``recursive=True``. Returns the count."""
        with self.database.connection_context(), self.database.atomic():
            entry = self._get(entry_id)
            doomed = self._descendant_ids(entry_id) if entry.kind == "folder" else []
            if doomed and not recursive:
                raise InvalidEntryError(
                    f"folder {entry.name!r} is not empty; pass recursive=True to delete it all"
                )
            # Children before parents, so the parent foreign key always holds.
            for batch_start in range(len(doomed) - 1, -1, -500):
                batch = doomed[max(0, batch_start - 499) : batch_start + 1]
                self._entry.delete().where(self._entry.id.in_(batch)).execute()
            self._entry.delete().where(self._entry.id == entry_id).execute()
        return len(doomed) + 1
