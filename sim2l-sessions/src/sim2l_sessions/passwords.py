"""bcrypt password hashing with an explicit 72-byte limit.

bcrypt silently ignores everything past 72 bytes; sim2l refuses such
passwords instead, so two different long passwords never match each other.
"""

import functools
import os

import bcrypt

BCRYPT_MAX_BYTES = 72
DEFAULT_ROUNDS = 12


class PasswordError(ValueError):
    """A password that cannot be used (empty, or too long for bcrypt)."""


def bcrypt_rounds() -> int:
    """The bcrypt cost: ``SIM2L_BCRYPT_ROUNDS`` or 12."""
    value = os.environ.get("SIM2L_BCRYPT_ROUNDS", "")
    if not value:
        return DEFAULT_ROUNDS
    rounds = int(value)
    if not 4 <= rounds <= 31:
        raise PasswordError(f"SIM2L_BCRYPT_ROUNDS must be between 4 and 31, not {rounds}")
    return rounds


def encode_password(password: str) -> bytes:
    """The password's UTF-8 bytes, or a ``PasswordError`` naming the problem."""
    if not isinstance(password, str) or not password:
        raise PasswordError("a password must be a non-empty string")
    encoded = password.encode("utf-8")
    if len(encoded) > BCRYPT_MAX_BYTES:
        raise PasswordError(
            f"password is {len(encoded)} bytes long; bcrypt accepts at most {BCRYPT_MAX_BYTES}"
        )
    return encoded


def hash_password(password: str) -> str:
    """A bcrypt hash of ``password`` at the configured cost."""
    return bcrypt.hashpw(encode_password(password), bcrypt.gensalt(bcrypt_rounds())).decode("ascii")


def check_password(password: str, password_hash: str) -> bool:
    """Whether ``password`` matches ``password_hash``."""
    try:
        encoded = encode_password(password)
    except PasswordError:
        encoded = b"\0"  # still spend the bcrypt time; never matches a real hash
    return bcrypt.checkpw(encoded, password_hash.encode("ascii"))


@functools.lru_cache(maxsize=4)
def _dummy_hash(rounds: int) -> str:
    return bcrypt.hashpw(b"sim2l-no-such-user", bcrypt.gensalt(rounds)).decode("ascii")


def spend_check_time(password: str) -> None:
    """Cost what a real check costs, for users that do not exist."""
    check_password(password, _dummy_hash(bcrypt_rounds()))
