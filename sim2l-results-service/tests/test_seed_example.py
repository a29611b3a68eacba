"""The seed's results example, as written."""

from runfiles import make_run


def test_seed_results_example(url, run_folder, capsys):
    make_run(
        run_folder,
        "exec-2024-001",
        {"temperature": 350, "pressure": 2.0},
        {"max_stress": 1.5e8, "max_displacement": 0.002},
        units={"temperature": "K", "max_stress": "Pa"},
    )
    make_run(
        run_folder,
        "exec-2024-002",
        {"temperature": 400, "pressure": 2.0},
        {"max_stress": 2.5e8, "max_displacement": 0.003},
    )

    # -- the seed's code block (its URL is the live server's) --------------------
    try:
        from sim2l.database import ResultsClient
        from sim2l.database import get_session_manager
    except ImportError:  # sim2l-core re-exports the clients in a later issue
        from sim2l_results_client import ResultsClient
        from sim2l_sessions import get_session_manager

    session = get_session_manager().create_anonymous_session()
    client = ResultsClient(url, session_id=session.session_id)
    # Register a result (introspects run database automatically)
    result = client.register_result("exec-2024-001")
    print(f"Registered as result ID: {result['result_id']}")
    # Search by parameter values
    results = client.search(
        simulation_name="thermal_sim",
        input_filters={"temperature": 350},
        output_filters={"max_stress": 1.5e8},
    )
    for result in results:
        print(f"Execution: {result['execution_id']}")
        print(f" Inputs: {result['input_params']}")
        print(f" Outputs: {result['output_params']}")
    # Get parameter statistics
    stats = client.get_parameter_stats("thermal_sim", "max_stress", param_class="output")
    print(f"Average max_stress: {stats['avg_value']}")
    print(f"Range: {stats['min_value']} - {stats['max_value']}")
    print(f"Analyzed {stats['count']} runs")
    # ----------------------------------------------------------------------------

    assert [r["execution_id"] for r in results] == ["exec-2024-001"]
    assert results[0]["input_params"] == {"temperature": 350, "pressure": 2.0}
    assert results[0]["output_params"] == {"max_stress": 1.5e8, "max_displacement": 0.002}
    assert stats["count"] == 1 and stats["avg_value"] == 1.5e8
    client.register_result("exec-2024-002")
    stats = client.get_parameter_stats("thermal_sim", "max_stress", param_class="output")
    assert (stats["count"], stats["min_value"], stats["max_value"]) == (2, 1.5e8, 2.5e8)
    assert stats["avg_value"] == 2.0e8
    printed = capsys.readouterr().out
    assert "Execution: exec-2024-001" in printed and "Analyzed 1 runs" in printed
