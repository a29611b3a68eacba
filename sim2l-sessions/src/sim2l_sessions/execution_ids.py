"""The one rule for execution ids: plain names, so a run file never lands outside its folder.

A plain name starts with a letter or digit, continues with letters, digits,
``.``, ``_`` or ``-``, is at most 128 characters, and holds no ``..``: it can
be neither a path nor a hidden file nor an option to a command. sim2l-core
names run files by it, the results client and service check it before a file
is read or stored; all of them install sim2l-sessions, so it is written here once.
"""

import re

EXECUTION_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
EXECUTION_ID_RULE = (
    "use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit, without '..'"
)


def is_valid_execution_id(execution_id) -> bool:
    """Whether ``execution_id`` is a plain name (see the module's docstring)."""
    return (
        isinstance(execution_id, str)
        and EXECUTION_ID_PATTERN.fullmatch(execution_id) is not None
        and ".." not in execution_id
    )
