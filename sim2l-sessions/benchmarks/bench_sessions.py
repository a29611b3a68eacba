"""Token verification throughput against the cost of a bcrypt login, in one process.

Figures:
- verifications/s of a token never seen before (HMAC check + JSON parse);
- verifications/s of ``SessionManager.get_session`` for a token seen before
  (the service's hot path: verified-token map + expiry + revocation set);
- the same for a user's token while 1,000 users have a cut-off (withdrawn
  rights: one more dictionary look-up), against the figure above;
- the cost of one login (bcrypt at cost 12) as the baseline it replaces.
"""

import os
import tempfile
import time

from sim2l_service_kit.testing.benchmarking import report
from sim2l_sessions.manager import SessionManager
from sim2l_sessions.store import SessionStore
from sim2l_sessions.tokens import TokenCodec
from sim2l_sessions.tokens import new_claims


def rate(function, seconds=1.0) -> float:
    """Calls per second of ``function`` over about ``seconds``."""
    count, started = 0, time.perf_counter()
    while True:
        for _ in range(1000):
            function()
        count += 1000
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return count / elapsed


def main():
    with tempfile.TemporaryDirectory(prefix="sim2l-bench-") as home:
        os.environ["SIM2L_HOME"] = home
        os.environ["SIM2L_BCRYPT_ROUNDS"] = "12"
        keys = ["k" * 48, "old" * 16]
        codec = TokenCodec(keys)
        tokens = [
            codec.encode(new_claims("alice", "user", ["read_cache"], 3600)) for _ in range(200_000)
        ]
        iterator = iter(tokens)
        fresh = rate(lambda: codec.verify(next(iterator)), seconds=1.0)

        manager = SessionManager(
            store=SessionStore(f"sqlite:///{home}/sessions.db"), secret_keys=keys
        )
        token = manager.create_anonymous_session().session_id
        manager.get_session(token)
        warm = rate(lambda: manager.get_session(token), seconds=1.0)

        for index in range(1000):
            manager.revoke_user_sessions(f"former-{index}")
        user_token = manager.create_session("alice", "developer").session_id
        manager.revoke_user_sessions("alice")  # alice's rights withdrawn, then given back:
        user_token = manager.create_session("alice", "developer").session_id
        assert manager.get_session(user_token).is_valid()
        warm_user = rate(lambda: manager.get_session(user_token), seconds=1.0)

        manager.create_user("alice", "correct horse battery staple")
        logins = 5
        started = time.perf_counter()
        for _ in range(logins):
            manager.authenticate("alice", "correct horse battery staple")
        login_seconds = (time.perf_counter() - started) / logins

        login_rate = 1 / login_seconds
        report("sessions: login (bcrypt cost 12)", login_seconds * 1000, "ms/login")
        report("sessions: token verify, new token", fresh, "verif/s", login_rate, "logins/s")
        report("sessions: get_session, seen token", warm, "verif/s", login_rate, "logins/s")
        report(
            "sessions: get_session, user token, 1,000 cut-offs",
            warm_user,
            "verif/s",
            warm,
            "get_session, seen token",
        )


if __name__ == "__main__":
    main()
