"""Semantic versions: validation and a sort key that orders them correctly.

``version_key("1.10.0") > version_key("1.9.0")`` as strings, so the database
finds the latest version with a plain ``ORDER BY version_key DESC``. Numeric
parts are zero-padded; a release sorts after its pre-releases ("1.0.0-rc.1" <
"1.0.0"); pre-release identifiers compare as semver says (numeric ones
numerically and below alphanumeric ones, a shorter list first); build metadata
("+build.5") does not take part in ordering. "1" and "1.2" are accepted and
read as "1.0.0" and "1.2.0".
"""

import re

VERSION_PATTERN = re.compile(
    r"^(0|[1-9]\d{0,9})(?:\.(0|[1-9]\d{0,9}))?(?:\.(0|[1-9]\d{0,9}))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)
_WIDTH = 10


class InvalidVersionError(ValueError):
    """A version string that is not a semantic version."""


def is_valid_version(version: str) -> bool:
    """Whether ``version`` is a semantic version this catalog accepts."""
    return (
        isinstance(version, str)
        and len(version) <= 64
        and VERSION_PATTERN.match(version) is not None
    )


def version_key(version: str) -> str:
    """A string whose lexical order is the semantic-version order of ``version``."""
    match = VERSION_PATTERN.match(version) if isinstance(version, str) else None
    if match is None:
        raise InvalidVersionError(f"{version!r} is not a semantic version like 1.2.3")
    major, minor, patch, prerelease, _build = match.groups()
    numbers = ".".join(str(int(part or 0)).zfill(_WIDTH) for part in (major, minor, patch))
    if prerelease is None:
        return numbers + "~"  # "~" sorts after every pre-release marker below
    identifiers = []
    for identifier in prerelease.split("."):
        if identifier.isdigit():
            identifiers.append("0" + identifier.zfill(_WIDTH))
        else:
            identifiers.append("1" + identifier)
    # " " is below every identifier character, so a shorter list sorts first.
    return numbers + "-" + " ".join(identifiers)
