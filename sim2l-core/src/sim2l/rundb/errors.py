"""The exceptions the run database raises."""


class RunDatabaseError(Exception):
    """Base class of every run database error."""


class InvalidExecutionIdError(RunDatabaseError, ValueError):
    """An execution id that is not a plain name (it could escape the run folder)."""


class InvalidNameError(RunDatabaseError, ValueError):
    """A record name (input, output, artifact, ...) that is empty or not a plain name."""


class RunNotFoundError(RunDatabaseError, FileNotFoundError):
    """A run file that does not exist where it was asked for."""


class ArtifactNotFoundError(RunDatabaseError, KeyError):
    """No artifact of that name in the run."""

    def __str__(self):
        # KeyError quotes its argument; a message reads better plain.
        return str(self.args[0]) if self.args else ""


class SchemaVersionError(RunDatabaseError):
    """A run file whose schema this code cannot use (newer, unknown, or not migrated)."""


class RunStateError(RunDatabaseError):
    """A call that does not fit the run's state (say, initialising a run twice)."""
