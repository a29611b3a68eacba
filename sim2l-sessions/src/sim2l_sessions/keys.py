"""The shared secret that signs session tokens.

``SIM2L_SECRET_KEY`` holds one key, or several separated by commas for
rotation: the first signs new tokens, all of them verify. Where it is unset, a
random key is created once at ``<SIM2L_HOME>/secret_key`` (mode 0600) and
shared by everything that user runs on the machine.
"""

import contextlib
import os
import secrets
import tempfile

from sim2l_sessions.paths import sim2l_home

MIN_KEY_LENGTH = 16


class SecretKeyError(RuntimeError):
    """The configured secret key is unusable."""


def _create_key_file(path) -> None:
    """Create ``path`` holding a new random key, unless another process already has.

    The key is written to a private temporary file first and then hard-linked
    into place: the link fails if the file exists, and a reader never sees the
    file before its key is in it (an O_EXCL create followed by a write let a
    service started at the same moment read an empty file and exit).
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
    try:
        with os.fdopen(descriptor, "w") as handle:  # mkstemp makes it mode 0600
            handle.write(secrets.token_urlsafe(48) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # Another process may have won the race; then its key is the one.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def _key_file_keys() -> list[str]:
    path = sim2l_home() / "secret_key"
    if not path.exists():
        _create_key_file(path)
    keys = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if not keys:
        raise SecretKeyError(f"the key file {path} is empty; delete it to create a new key")
    return keys


def load_secret_keys(value: str | list[str] | None = None) -> list[str]:
    """The accepted keys, signing key first, from ``value``, the environment or the key file."""
    if value is None:
        value = os.environ.get("SIM2L_SECRET_KEY")
    if value is None or value == "":
        return _key_file_keys()
    keys = [key.strip() for key in value.split(",")] if isinstance(value, str) else list(value)
    keys = [key for key in keys if key]
    if not keys:
        raise SecretKeyError("SIM2L_SECRET_KEY holds no key")
    short = [key for key in keys if len(key) < MIN_KEY_LENGTH]
    if short:
        raise SecretKeyError(f"every secret key must be at least {MIN_KEY_LENGTH} characters long")
    return keys
