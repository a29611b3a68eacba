"""Work done by the child processes of the concurrency tests (importable for spawn)."""

from sim2l_sessions.client_errors import ServiceError


def cache_writer(url: str, token: str, prefix: str, count: int) -> dict:
    """Set ``count`` entries under ``prefix``; return the acknowledged keys and any errors."""
    from sim2l_cache_client import CacheClient

    client = CacheClient(url, session_id=token)
    acknowledged, errors = [], []
    for index in range(count):
        key = f"{prefix}/{index}"
        try:
            client.set(
                cache_key=key,
                simulation_id=1,
                simulation_name="conc",
                simulation_version="1",
                execution_id=f"{prefix}-{index}",
                squid_id=key,
                input_hash=key,
                run_db_path=f"/r/{index}.db",
                ttl_hours=1,
            )
            acknowledged.append(key)
        except ServiceError as error:
            errors.append(str(error))
    return {"acknowledged": acknowledged, "errors": errors}


def cache_invalidator(url: str, token: str, pattern: str, rounds: int) -> dict:
    """Invalidate ``pattern`` repeatedly while writers run."""
    from sim2l_cache_client import CacheClient

    client = CacheClient(url, session_id=token)
    errors = []
    for _ in range(rounds):
        try:
            client.invalidate(key_pattern=pattern, reason="concurrency test")
        except ServiceError as error:
            errors.append(str(error))
    return {"errors": errors}


def execution_recorder(url: str, token: str, simulation_id: int, count: int) -> dict:
    """Record executions 0..count-1 (the same ids in every process: idempotence under races)."""
    from sim2l_catalog_client import CatalogClient

    client = CatalogClient(url, session_id=token)
    errors = []
    for index in range(count):
        try:
            client.record_execution(
                simulation_id=simulation_id,
                execution_id=f"race-{index}",
                status="completed" if index % 4 else "failed",
                duration_seconds=float(index),
            )
        except ServiceError as error:
            errors.append(str(error))
    return {"errors": errors}


def run_writer(base_path: str, execution_id: str, rows: int) -> dict:
    """Write a whole run database: inputs, logs and metrics, one committed call at a time."""
    from sim2l.rundb.run_database import RunDatabase

    with RunDatabase(execution_id, base_path=base_path) as run:
        run.initialize_run("conc_sim", "1.0.0")
        for index in range(rows):
            run.save_input(f"x{index}", index, "number")
            run.log("INFO", f"step {index}")
            run.save_metric("loss", 1.0 / (index + 1), step=index)
        run.complete_run("completed", duration_seconds=1.0)
    return {"execution_id": execution_id}


def result_registrar(url: str, token: str, paths: list[str]) -> dict:
    """Register run files with the results service."""
    from sim2l_results_client import ResultsClient

    client = ResultsClient(url, session_id=token)
    registered, errors = [], []
    for path in paths:
        try:
            registered.append(client.register_result(path)["execution_id"])
        except ServiceError as error:
            errors.append(str(error))
    return {"registered": registered, "errors": errors}
