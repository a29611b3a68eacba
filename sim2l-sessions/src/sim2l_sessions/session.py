"""``Session``: who, which role and privileges, until when.

A plain value with no dependencies, so clients and the remote session manager
can use it without the token-signing machinery.
"""

import dataclasses
import time


@dataclasses.dataclass(frozen=True)
class Session:
    """One session: who, which role and privileges, until when.

    ``session_id`` is the signed token itself; send it as ``X-Session-ID``.
    """

    session_id: str
    token_id: str
    username: str | None
    role: str
    privileges: frozenset[str]
    issued_at: float
    expires_at: float
    revoked: bool = False

    @property
    def is_anonymous(self) -> bool:
        """Whether no user stands behind this session."""
        return self.username is None

    def is_expired(self, now: float | None = None) -> bool:
        """Whether the expiry time has passed."""
        return (time.time() if now is None else now) >= self.expires_at

    def is_valid(self) -> bool:
        """Signed by an accepted key (it was, or it would not exist), unexpired, not revoked."""
        return not self.revoked and not self.is_expired()

    def has_privilege(self, privilege: str) -> bool:
        """Whether the session is valid and holds ``privilege``."""
        return privilege in self.privileges and self.is_valid()

    def to_dict(self) -> dict:
        """A JSON-friendly description, without the token."""
        return {
            "token_id": self.token_id,
            "username": self.username,
            "role": self.role,
            "privileges": sorted(self.privileges),
            "issued_at": self.issued_at,
            "expires_at": self.expires_at,
            "anonymous": self.is_anonymous,
        }
