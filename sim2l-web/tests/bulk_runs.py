"""Many registered runs of one simulation, fast: the results service benchmark's bulk loader.

Uploading 10,000 run files (about 140 kB each) through the service would take
minutes, so the rows registration writes are put straight into the results
service's tables with the loader ``sim2l-results-service/benchmarks``
maintains (the same rows, the same indexes). The simulation is registered in
the catalog through its client, with the declared types and units the
explorer shows. Nothing here touches the dashboard: it reads these runs only
through the services, as always.
"""

import importlib.util
from pathlib import Path

from sim2l_catalog_client import CatalogClient

BENCH = Path(__file__).resolve().parents[2] / "sim2l-results-service" / "benchmarks"
SIMULATION = "bench_sim"
SCHEMA = {
    "inputs": {
        "temperature": {"type": "number", "units": "kelvin", "min": 0, "max": 1000},
        "material": {"type": "string", "options": ["alu", "copper", "steel"]},
        **{f"in_{i:02d}": {"type": "number", "units": "mm"} for i in range(18)},
    },
    "outputs": {
        "max_stress": {"type": "number", "units": "pascal"},
        "converged": {"type": "boolean"},
        **{f"out_{i:02d}": {"type": "number"} for i in range(18)},
    },
}


def results_bench_module():
    """``bench_results.py`` of the results service, imported from its folder."""
    spec = importlib.util.spec_from_file_location("bench_results", BENCH / "bench_results.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_runs(results_database_url: str, catalog_url: str, token: str, count: int) -> str:
    """Put ``count`` registered runs of ``bench_sim`` in place; returns the simulation's name."""
    bench = results_bench_module()
    bench.RUNS = count
    if results_database_url.startswith("sqlite:"):
        bench.bulk_load_sqlite(results_database_url)
    else:
        bench.bulk_load_postgres(results_database_url)
    with CatalogClient(catalog_url, session_id=token) as catalog:
        catalog.register_simulation(
            SIMULATION,
            "1.0.0",
            description="Benchmark simulation: 20 inputs, 20 outputs",
            tags=["benchmark"],
            schema=SCHEMA,
        )
    return SIMULATION
