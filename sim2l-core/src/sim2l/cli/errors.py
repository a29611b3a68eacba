"""The one error a ``sim2l`` command reports: a message, printed as ``error: ...``, exit 1."""


class CommandError(Exception):
    """A command that cannot do what was asked; the message says why."""
