"""The seed's "Using the Client" example of the catalog, as written, against a live server."""

from sim2l_catalog_client import CatalogClient
from sim2l_sessions import get_session_manager


def test_seed_example_runs_as_written(url, capsys):
    session = get_session_manager().create_anonymous_session(
        privileges=["developer"]  # Needed for registration
    )

    catalog = CatalogClient(url, session_id=session.session_id)

    # Register a simulation
    catalog.register_simulation(
        name="thermal_sim",
        version="1.0.0",
        description="Thermal stress analysis",
        tags=["thermal", "physics"],
        schema={
            "inputs": {"temperature": {"type": "number", "units": "kelvin"}},
            "outputs": {"max_stress": {"type": "number", "units": "pascal"}},
        },
    )

    # Search for simulations
    results = catalog.search(query="thermal", tags=["physics"])
    for sim in results:
        print(f"{sim['name']} v{sim['version']}: {sim['description']}")

    # Get simulation info
    sim = catalog.get_simulation("thermal_sim", "1.0.0")
    print(f"Schema: {sim['schema']}")

    # Record execution
    catalog.record_execution(
        simulation_id=sim["id"], execution_id="exec-001", status="completed", duration_seconds=42.5
    )

    # Get statistics
    stats = catalog.get_simulation_stats(sim["id"])
    print(f"Total executions: {stats['total_executions']}")
    print(f"Success rate: {stats['success_rate']}")

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "thermal_sim v1.0.0: Thermal stress analysis"
    assert out[1] == (
        "Schema: {'inputs': {'temperature': {'type': 'number', 'units': 'kelvin'}}, "
        "'outputs': {'max_stress': {'type': 'number', 'units': 'pascal'}}}"
    )
    assert out[2] == "Total executions: 1"
    assert out[3] == "Success rate: 1.0"
    assert stats["mean_duration_seconds"] == 42.5
    assert stats["p95_duration_seconds"] == 42.5
