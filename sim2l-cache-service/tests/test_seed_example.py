"""The seed's cache example (``/work/shared/seeds/000_*.txt``, "Using the Client"), run as written.

Only the service URL differs: the test server listens on a free port, not
8001. The block is executed verbatim against a real server on each backend.
"""

import contextlib
import importlib.util
import io

import pytest
from sim2l_cache_client import ForbiddenError

SEED_BLOCK = """
from sim2l.database import CacheClient, get_session_manager

# Create session
session = get_session_manager().create_anonymous_session()

# Initialize client
cache = CacheClient(
    "http://localhost:8001",
    session_id=session.session_id
)

# Store in cache
cache.set(
    cache_key="thermal_sim/350K/result",
    simulation_id=42,
    simulation_name="thermal_sim",
    simulation_version="1.0.0",
    execution_id="exec-001",
    squid_id="thermal_sim/1.0.0/xyz",
    input_hash="hash123",
    run_db_path="/path/to/run.db",
    ttl_hours=24
)

# Retrieve from cache
result = cache.get("thermal_sim/350K/result")
if result:
    print(f"Cache hit! Run DB: {result['run_db_path']}")
else:
    print("Cache miss")

# Invalidate cache
cache.invalidate(simulation_id=42, reason="new version")

# Get statistics
stats = cache.get_stats(simulation_id=42)
print(f"Hit rate: {stats['hit_rate']}")
"""


def _block(url: str, block: str = SEED_BLOCK) -> str:
    block = block.replace('"http://localhost:8001"', repr(url))
    if importlib.util.find_spec("sim2l") is None:
        # sim2l-core not installed: the same objects from their own distributions.
        block = block.replace(
            "from sim2l.database import CacheClient, get_session_manager",
            "from sim2l_cache_client import CacheClient\n"
            "from sim2l_sessions import get_session_manager",
        )
    return block


def _run(code: str) -> str:
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(code, "seed-cache-example", "exec"), {})  # noqa: S102 - the seed's own code
    return output.getvalue()


def test_seed_example_as_written(url):
    """Verbatim: the local anonymous session (sim2l-sessions' default, the
    developer privileges) may store, read, invalidate and read statistics."""
    assert _run(_block(url)) == "Cache hit! Run DB: /path/to/run.db\nHit rate: 1.0\n"


def test_seed_example_with_a_user_privileged_session_stops_at_invalidate(url):
    """With only the user role's privileges (what a service's POST /sessions
    grants anonymous callers) everything works up to ``invalidate``, which
    needs invalidate_cache and is refused."""
    block = _block(url).replace(
        "create_anonymous_session()", "create_anonymous_session(privileges=['user'])"
    )
    output = io.StringIO()
    with contextlib.redirect_stdout(output), pytest.raises(ForbiddenError) as refused:
        exec(compile(block, "seed-cache-example", "exec"), {})  # noqa: S102
    assert output.getvalue() == "Cache hit! Run DB: /path/to/run.db\n"
    assert refused.value.details == {"required_privilege": "invalidate_cache"}
