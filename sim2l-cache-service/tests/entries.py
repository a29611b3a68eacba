"""The seed's cache entry, which many tests store or change a field of."""

ENTRY = {
    "cache_key": "thermal_sim/350K/result",
    "simulation_id": 42,
    "simulation_name": "thermal_sim",
    "simulation_version": "1.0.0",
    "execution_id": "exec-001",
    "squid_id": "thermal_sim/1.0.0/xyz",
    "input_hash": "hash123",
    "run_db_path": "/path/to/run.db",
}


def entry(**changes) -> dict:
    """The seed's entry with ``changes``."""
    return {**ENTRY, **changes}
