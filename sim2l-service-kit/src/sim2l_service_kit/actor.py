"""``actor(session)``: how every service records who did something."""

from sim2l_sessions.session import Session


def actor(session: Session) -> str:
    """The user's name, or ``anonymous:<token id>`` for a session without a user.

    The token id names the very session (it is what a revocation names), so an
    anonymous action can be traced to its session without storing the token.
    """
    return session.username or f"anonymous:{session.token_id}"
