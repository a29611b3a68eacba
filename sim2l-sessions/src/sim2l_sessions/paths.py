"""Where sim2l keeps its local files: ``SIM2L_HOME``, default ``~/.sim2l``."""

import os
from pathlib import Path


def sim2l_home() -> Path:
    """The folder for local state (databases, the secret key, run files)."""
    return Path(os.environ.get("SIM2L_HOME") or "~/.sim2l").expanduser()


def default_sqlite_url(name: str) -> str:
    """``sqlite:///`` URL of ``<SIM2L_HOME>/<name>.db``."""
    return f"sqlite:///{sim2l_home() / (name + '.db')}"
