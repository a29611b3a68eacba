"""``make demo``: sim2l end to end on this machine, in about ten seconds.

It starts the cache, catalog and results services on SQLite under gunicorn
on 127.0.0.1, creates a user and logs in, runs the example ``thermal_sim``
twice (the second run is a cache hit), sweeps it over a few temperatures,
searches the results, prints statistics, and stops everything it started.
Everything lives in a temporary folder with a freshly generated secret, so
your own ``~/.sim2l`` is never touched.
"""

import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path


def say(message: str = "") -> None:
    """Tell the person watching what is happening."""
    print(message, flush=True)


def step(title: str) -> None:
    say()
    say(f"==> {title}")


def prepare_environment() -> Path:
    """A temporary SIM2L_HOME and secret, and no service settings from the caller's shell."""
    home = Path(tempfile.mkdtemp(prefix="sim2l-demo-"))
    for name in list(os.environ):
        if name.startswith("SIM2L_"):
            del os.environ[name]
    os.environ["SIM2L_HOME"] = str(home)
    os.environ["SIM2L_SECRET_KEY"] = secrets.token_urlsafe(32)
    return home


def main() -> int:
    home = prepare_environment()
    # Imported after the environment is set: everything below reads it.
    from sim2l.cli import local_services

    try:
        step(f"Starting the three services and the dashboard under gunicorn (files in {home})")
        state = local_services.up(say=lambda message: say("    " + message))
        urls = {name: state[name]["url"] for name in local_services.SERVICE_NAMES}
        code = run_story(home, urls)
        if local_services.WEB in state:
            show_dashboard(state[local_services.WEB]["url"])
        return code
    finally:
        step("Stopping what the demo started")
        local_services.down(say=lambda message: say("    " + message))
        shutil.rmtree(home, ignore_errors=True)
        say(f"    removed {home}")


def run_story(home: Path, urls: dict) -> int:
    import sim2l
    from sim2l.database import CacheClient
    from sim2l.database import CatalogClient
    from sim2l.database import ResultsClient
    from sim2l.database import get_session_manager

    step("Creating a user and logging in")
    manager = get_session_manager()
    password = secrets.token_urlsafe(12)
    manager.create_user(
        username="demo", password=password, role="developer", email="demo@example.org"
    )
    session = manager.authenticate("demo", password)
    say(f"    user 'demo' (role {session.role}), session {session.session_id[:24]}...")

    step("Configuring sim2l to use the services")
    sim2l.configure(
        use_run_database=True,
        run_db_base_path=home / "runs",
        cache_service_url=urls["cache"],
        cache_session_id=session.session_id,
        catalog_service_url=urls["catalog"],
        catalog_session_id=session.session_id,
        results_service_url=urls["results"],
        results_session_id=session.session_id,
        catalog_auto_sync=True,
    )
    for name, url in urls.items():
        say(f"    {name:8} {url}")

    sim = sim2l.load("thermal_sim")
    say(f"\n    simulation: {sim.name} {sim.version} - {sim.description}")
    for name, spec in sim.inputs.items():
        say(f"      input  {name:22} {spec.type:8} {spec.units or '':7} default {spec.default!r}")
    for name, spec in sim.outputs.items():
        say(f"      output {name:22} {spec.type:8} {spec.units or ''}")

    step("Running thermal_sim(temperature=350) - the first time it executes")
    started = time.perf_counter()
    first = sim.run(temperature=350)
    first_ms = (time.perf_counter() - started) * 1000
    show_result(first, first_ms)

    step("Running it again with the same inputs - now a cache hit")
    started = time.perf_counter()
    second = sim.run(temperature=350.0, material="steel")
    second_ms = (time.perf_counter() - started) * 1000
    show_result(second, second_ms)
    if not second.from_cache or second.execution_id != first.execution_id:
        say("    UNEXPECTED: the second run was not served from the cache")
        return 1

    step("Sweeping temperatures 300-400 K (the 350 K point comes from the cache)")
    sweep = sim2l.sweep(sim, grid={"temperature": [300, 325, 350, 375, 400]})
    for result in sweep:
        source = "cache" if result.from_cache else "ran  "
        say(
            f"    {result.inputs['temperature']:6.1f} K  [{source}]  "
            f"max_stress = {result['max_stress']:.4e} Pa"
        )

    step("Searching the results: runs with temperature > 320 K and max_stress < 2.2e8 Pa")
    results = ResultsClient(urls["results"], session_id=session.session_id)
    found = results.search(
        simulation_name="thermal_sim",
        input_filters={"temperature": {"gt": 320}},
        output_filters={"max_stress": {"lt": 2.2e8}},
        sort="input.temperature",
    )
    for item in found:
        say(
            f"    {item['execution_id']}  temperature={item['input_params']['temperature']}  "
            f"max_stress={item['output_params']['max_stress']:.4e}"
        )

    step("Statistics")
    runs = [first, second, *sweep]
    reused = sum(result.from_cache for result in runs)
    say(
        f"    this demo: {len(runs)} runs, {reused} served from the cache, "
        f"{len(runs) - reused} executed"
    )
    stats = results.get_parameter_stats("thermal_sim", "max_stress", param_class="output")
    say(
        f"    max_stress over {stats['count']} runs: average {stats['avg_value']:.4e} Pa, "
        f"range {stats['min_value']:.4e} - {stats['max_value']:.4e} Pa"
    )
    catalog = CatalogClient(urls["catalog"], session_id=session.session_id)
    registered = catalog.get_simulation("thermal_sim", "1.0.0")
    executions = catalog.get_simulation_stats(registered["id"])
    say(
        f"    catalog: thermal_sim 1.0.0 registered automatically (id {registered['id']}); "
        f"{executions['total_executions']} executions, success rate "
        f"{executions['success_rate']:.0%}"
    )
    # Every run looked its inputs up in the cache once: the runs served from
    # the cache were its hits, the executed ones its misses.
    expected = {"hits": reused, "misses": len(runs) - reused}
    cache_stats = wait_for_cache_counts(
        CacheClient(urls["cache"], session_id=session.session_id), expected
    )
    say(
        f"    cache: {cache_stats['hits']} hits, {cache_stats['misses']} misses, "
        f"hit rate {cache_stats['hit_rate']:.0%} "
        f"(this demo looked up {len(runs)} keys: {expected['hits']} found, "
        f"{expected['misses']} not)"
    )
    if (cache_stats["hits"], cache_stats["misses"]) != (expected["hits"], expected["misses"]):
        say("    UNEXPECTED: the cache's counts differ from what this demo did")
        return 1

    step("Done")
    say(
        f"    first run {first_ms:.1f} ms (executed and published), "
        f"second run {second_ms:.1f} ms (cache hit)"
    )
    say(
        "    Try it yourself:  .venv/bin/sim2l services up  &&  "
        ".venv/bin/sim2l run thermal_sim temperature=350"
    )
    return 0


def wait_for_cache_counts(cache, expected: dict, within_seconds: float = 2.0) -> dict:
    """The cache's statistics once they show ``expected``, or after ``within_seconds``.

    Each cache worker writes its counts from a thread every half second, so
    a count answered by one worker reaches the statistics within about a
    second, whichever worker answers ``get_stats``.
    """
    deadline = time.monotonic() + within_seconds
    while True:
        stats = cache.get_stats()
        reached = stats["hits"] >= expected["hits"] and stats["misses"] >= expected["misses"]
        if reached or time.monotonic() > deadline:
            return stats
        time.sleep(0.05)


def show_dashboard(url: str) -> None:
    """Where the dashboard was, and the commands that keep one running after the demo."""
    step("The dashboard")
    say(f"    During the demo the dashboard answered at {url} (it stops with the demo).")
    say("    Keep it running, with a user to sign in as:")
    say("      .venv/bin/sim2l services up")
    say("      .venv/bin/sim2l-sessions create-user alice --role developer")
    say("    then open the dashboard URL it prints (http://127.0.0.1:8000) and sign in as alice.")


def show_result(result, elapsed_ms: float) -> None:
    source = "from the cache" if result.from_cache else "executed"
    say(f"    {source} in {elapsed_ms:.1f} ms, execution {result.execution_id}")
    for name, quantity in result.quantities.items():
        say(f"      {name} = {quantity}")
    say(f"    run file: {result.run_db_path}")
    for warning in result.warnings:
        say(f"    warning: {warning}")


if __name__ == "__main__":
    sys.exit(main())
