"""The seed documentation's code blocks, run as written against services started as written.

The services are started with the seed's commands
(``python -m sim2l.services.cache_service --backend sqlite --port 8001``,
``--backend postgresql --db-url ...`` for PostgreSQL, and the catalog and
results equivalents) under gunicorn, once per backend for this module. The
blocks below are the seed's, character for character apart from restored line
breaks. The only change ever made to them at run time: when a seed port
(8001-8003) is taken on this machine, its URL is pointed at the free port the
service got instead.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import sim2l
from runner_support import configure_services
from sim2l.settings import get_settings
from sim2l_service_kit.testing import reset_postgres_schema

pytest_plugins = ["runner_fixtures"]

SEED_PORTS = {"cache": 8001, "catalog": 8002, "results": 8003}

QUICK_START = """
from sim2l import configure
from sim2l.database import (
    RunDatabase, CacheClient, CatalogClient, ResultsClient, FileManager, get_session_manager
)

# Configure sim2l with database services
session = get_session_manager().create_anonymous_session()
configure(
    use_run_database=True,
    cache_service_url="http://localhost:8001",
    cache_session_id=session.session_id,
    catalog_service_url="http://localhost:8002",
    catalog_session_id=session.session_id,
    results_service_url="http://localhost:8003",
    results_session_id=session.session_id
)
"""

RUN_DATABASE_USAGE = """
from sim2l.database import RunDatabase

# Open a run database
run_db = RunDatabase("exec-2024-001")

# Get run summary
summary = run_db.get_summary()
print(f"Simulation: {summary['simulation_name']}")
print(f"Status: {summary['status']}")
print(f"Duration: {summary['duration_seconds']}s")

# Get inputs and outputs
inputs = run_db.get_inputs()
outputs = run_db.get_outputs()

# Get logs
logs = run_db.get_logs(level='ERROR')

# Get artifacts (files)
artifacts = run_db.get_artifacts()

# Get metrics
metrics = run_db.get_metrics(category='performance')
"""

RUN_DATABASE_CONTEXT_MANAGER = """
with RunDatabase("exec-2024-001") as run_db:
    run_db.initialize_run("thermal_sim", "1.0.0")
    run_db.save_input("temperature", 350, "number", units="kelvin")
    run_db.save_output("max_stress", 1.5e8, "number", units="pascal")
    run_db.complete_run("completed", duration_seconds=42.5)
"""

CACHE_CLIENT = """
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

CATALOG_CLIENT = """
from sim2l.database import CatalogClient, get_session_manager

session = get_session_manager().create_anonymous_session(
    privileges=['developer']  # Needed for registration
)

catalog = CatalogClient(
    "http://localhost:8002",
    session_id=session.session_id
)

# Register a simulation
catalog.register_simulation(
    name="thermal_sim",
    version="1.0.0",
    description="Thermal stress analysis",
    tags=["thermal", "physics"],
    schema={
        "inputs": {"temperature": {"type": "number", "units": "kelvin"}},
        "outputs": {"max_stress": {"type": "number", "units": "pascal"}}
    }
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
    simulation_id=sim['id'],
    execution_id="exec-001",
    status="completed",
    duration_seconds=42.5
)

# Get statistics
stats = catalog.get_simulation_stats(sim['id'])
print(f"Total executions: {stats['total_executions']}")
print(f"Success rate: {stats['success_rate']}")
"""

CATALOG_AUTO_SYNC = """
from sim2l import configure

configure(
    catalog_service_url="http://localhost:8002",
    catalog_session_id=session.session_id,
    catalog_auto_sync=True  # Enable auto-sync
)

# New simulations are automatically registered when used
"""

RESULTS_CLIENT = """
from sim2l.database import ResultsClient, get_session_manager

session = get_session_manager().create_anonymous_session()

client = ResultsClient(
    "http://localhost:8003",
    session_id=session.session_id
)

# Register a result (introspects run database automatically)
result = client.register_result("exec-2024-001")
print(f"Registered as result ID: {result['result_id']}")

# Search by parameter values
results = client.search(
    simulation_name="thermal_sim",
    input_filters={'temperature': 350},
    output_filters={'max_stress': 1.5e8}
)

for result in results:
    print(f"Execution: {result['execution_id']}")
    print(f"  Inputs: {result['input_params']}")
    print(f"  Outputs: {result['output_params']}")

# Get parameter statistics
stats = client.get_parameter_stats(
    "thermal_sim",
    "max_stress",
    param_class="output"
)
print(f"Average max_stress: {stats['avg_value']}")
print(f"Range: {stats['min_value']} - {stats['max_value']}")
print(f"Analyzed {stats['count']} runs")
"""

FILE_MANAGER_USAGE = """
from sim2l.database import FileManager

fm = FileManager()

# Get all files from a run
files = fm.get_run_files("exec-2024-001")
for file in files:
    print(f"{file['name']}: {file['size']} bytes")
    print(f"  Category: {file['category']}")
    print(f"  Type: {file['content_type']}")

# Export a file
success = fm.export_run_file(
    "exec-2024-001",
    "output.dat",
    "/tmp/output.dat"
)

# Get all files for a simulation
files = fm.get_simulation_files("thermal_sim", "1.0.0")

# Batch export
import os
output_dir = "/tmp/exports"
os.makedirs(output_dir, exist_ok=True)

for file in files:
    output_path = os.path.join(output_dir, file['name'])
    fm.export_run_file(file['execution_id'], file['name'], output_path)
"""

FILE_MANAGER_ORGANIZING = """
# Create folder
folder = fm.create_folder(
    name="simulation_outputs",
    creator="user123"
)

# Create file entry
fm.create_file(
    name="result.csv",
    size=2048,
    uri="/data/result.csv",
    creator="user123",
    parent_id=folder['id']
)

# List folder contents
contents = fm.list_folder(folder['id'])
for item in contents:
    print(item['name'])
"""

SESSION_MANAGEMENT = """
from sim2l.database import get_session_manager

# Get global session manager
manager = get_session_manager()

# Create user
manager.create_user(
    username="alice",
    password="secret",
    role="developer",
    email="alice@example.com"
)

# Authenticate
session = manager.authenticate("alice", "secret")
print(f"Session ID: {session.session_id}")
print(f"Role: {session.role}")

# Check privileges
has_privilege = manager.check_privilege(
    session.session_id,
    "register_simulation"
)

# Create anonymous session
anon_session = manager.create_anonymous_session(
    privileges=['read_cache'],
    ttl_hours=1
)

# Use session with services
cache = CacheClient(
    "http://localhost:8001",
    session_id=session.session_id
)
"""

LOCAL_DEVELOPMENT = """
from sim2l import configure

# Use local databases only
configure(use_run_database=True)

# Run simulation
result = sim.run(temperature=350)
"""

HYBRID_DEPLOYMENT = """
from sim2l import configure
from sim2l.database import get_session_manager

# Run databases locally, services remote
session = get_session_manager().create_anonymous_session()
configure(
    use_run_database=True,  # Local
    cache_service_url="http://cache-server:8001",  # Remote
    cache_session_id=session.session_id,
    catalog_service_url="http://catalog-server:8002",  # Remote
    catalog_session_id=session.session_id
)
"""

ENVIRONMENT_VARIABLES = """
# Run Database
export SIM2L_USE_RUN_DATABASE=true
export SIM2L_RUN_DB_BASE_PATH=$HOME/.sim2l/runs

# Cache Service
export SIM2L_CACHE_SERVICE_URL=http://localhost:8001
export SIM2L_CACHE_SESSION_ID=session-id-here

# Catalog Service
export SIM2L_CATALOG_SERVICE_URL=http://localhost:8002
export SIM2L_CATALOG_SESSION_ID=session-id-here
export SIM2L_CATALOG_AUTO_SYNC=true

# Results Service
export SIM2L_RESULTS_SERVICE_URL=http://localhost:8003
export SIM2L_RESULTS_SESSION_ID=session-id-here
"""


# ------------------------------------------------- the services, as the seed starts them


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _any_free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed_command(service: str, port: int, database_url: str | None) -> list[str]:
    """The seed's start command for ``service`` (SQLite, or PostgreSQL with ``--db-url``)."""
    command = [sys.executable, "-m", f"sim2l.services.{service}_service"]
    if database_url is None:
        return command + ["--backend", "sqlite", "--port", str(port)]
    return command + ["--backend", "postgresql", "--db-url", database_url, "--port", str(port)]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seed_services(request, tmp_path_factory):
    """The three services started with the seed's commands; ``{service: port}``."""
    database_url = None
    if request.param == "postgresql":
        database_url = request.getfixturevalue("postgres_database_url")
        reset_postgres_schema(database_url)
    home = tmp_path_factory.mktemp("seed_services_home")
    environment = {
        **os.environ,
        "SIM2L_HOME": str(home),
        "SIM2L_SECRET_KEY": "test-secret-" + "k" * 32,  # the secret the test plugin sets
        "SIM2L_BCRYPT_ROUNDS": "4",
    }
    processes, ports = {}, {}
    try:
        for service, seed_port in SEED_PORTS.items():
            port = seed_port if _port_free(seed_port) else _any_free_port()
            log = open(home / f"{service}.log", "wb")  # noqa: SIM115 - closed with the process
            processes[service] = (
                subprocess.Popen(
                    seed_command(service, port, database_url),
                    env=environment,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                ),
                log,
            )
            ports[service] = port
        for service, port in ports.items():
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).ok:
                        break
                except requests.RequestException:
                    pass
                process = processes[service][0]
                if process.poll() is not None or time.monotonic() > deadline:
                    log_text = (home / f"{service}.log").read_text(errors="replace")
                    pytest.fail(f"{service} service did not start:\n{log_text[-3000:]}")
                time.sleep(0.1)
        yield ports
    finally:
        for process, _log in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process, log in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            log.close()


def as_run_here(code: str, ports: dict) -> str:
    """The block, with a seed port pointed at the service's port when that port was taken."""
    for service, seed_port in SEED_PORTS.items():
        if ports[service] != seed_port:
            code = code.replace(f"localhost:{seed_port}", f"localhost:{ports[service]}")
    return code


def run_blocks(ports: dict, *blocks: str, namespace: dict | None = None) -> dict:
    """Execute seed blocks one after the other in one namespace (as one script would)."""
    namespace = {} if namespace is None else namespace
    for block in blocks:
        exec(compile(as_run_here(block, ports), "<seed block>", "exec"), namespace)  # noqa: S102
    return namespace


# ---------------------------------------------------------------- the tests, section by section


def test_quick_start(seed_services, capsys):
    namespace = run_blocks(seed_services, QUICK_START)
    settings = get_settings()
    assert settings.use_run_database
    assert settings.cache_service_url.endswith(f":{seed_services['cache']}")
    assert settings.results_session_id == namespace["session"].session_id
    # The configuration works: a simulation runs, and runs again from the cache.
    sim = sim2l.load("thermal_sim")
    first = sim.run(temperature=351)
    second = sim.run(temperature=351.0)
    assert not first.from_cache and second.from_cache
    assert second.outputs == first.outputs


def test_run_database(seed_services, capsys):
    namespace = run_blocks(
        seed_services, QUICK_START, RUN_DATABASE_CONTEXT_MANAGER, RUN_DATABASE_USAGE
    )
    namespace["run_db"].close()
    printed = capsys.readouterr().out
    assert "Simulation: thermal_sim" in printed
    assert "Status: completed" in printed
    assert "Duration: 42.5s" in printed
    assert [i["value"] for i in namespace["inputs"]] == [350]
    assert [o["units"] for o in namespace["outputs"]] == ["pascal"]
    assert namespace["logs"] == [] and namespace["artifacts"] == []
    path = Path(os.environ["SIM2L_HOME"]) / "runs" / "exec-2024-001.db"
    assert path.is_file()  # ~/.sim2l/runs/{execution_id}.db, under this test's SIM2L_HOME


def test_cache(seed_services, capsys):
    # As written: the anonymous session minted locally holds the developer
    # privileges by default, so the invalidation at the end is allowed.
    namespace = run_blocks(seed_services, CACHE_CLIENT)
    printed = capsys.readouterr().out
    assert "Cache hit! Run DB: /path/to/run.db" in printed
    assert "Hit rate:" in printed
    assert namespace["cache"].get("thermal_sim/350K/result") is None  # invalidated


def test_catalog(seed_services, capsys, make_simulation):
    namespace = run_blocks(seed_services, CATALOG_CLIENT)
    printed = capsys.readouterr().out
    assert "thermal_sim v1.0.0: Thermal stress analysis" in printed
    assert "Total executions: 1" in printed
    assert "Success rate: 1.0" in printed
    assert namespace["sim"]["schema"]["inputs"]["temperature"]["units"] == "kelvin"

    # Auto-sync: a simulation used for the first time is registered.
    run_blocks(seed_services, CATALOG_AUTO_SYNC, namespace=namespace)
    assert get_settings().catalog_auto_sync
    simulation, _ = make_simulation()
    assert simulation.run(x=1).pending == []
    found = namespace["catalog"].get_simulation(simulation.name, simulation.version)
    assert found["schema"] == simulation.schema()


def test_results(seed_services, capsys):
    namespace = run_blocks(seed_services, QUICK_START, RUN_DATABASE_CONTEXT_MANAGER, RESULTS_CLIENT)
    printed = capsys.readouterr().out
    assert "Registered as result ID:" in printed
    assert "Execution: exec-2024-001" in printed
    # The module's services are shared: the Quick Start test's run may be counted too.
    assert "Average max_stress: " in printed and "Analyzed " in printed
    assert namespace["stats"]["count"] >= 1
    assert namespace["stats"]["max_value"] == 1.5e8


def test_file_manager(seed_services, capsys):
    namespace = run_blocks(seed_services, QUICK_START, RUN_DATABASE_CONTEXT_MANAGER)
    with namespace["RunDatabase"]("exec-2024-001") as run_db:
        run_db.save_artifact("output.dat", content=b"1 2 3\n")
    created = [Path("/tmp/output.dat"), Path("/tmp/exports/output.dat")]
    existed = {path: path.exists() for path in created}
    try:
        namespace = run_blocks(
            seed_services, FILE_MANAGER_USAGE, FILE_MANAGER_ORGANIZING, namespace=namespace
        )
        printed = capsys.readouterr().out
        assert "output.dat: 6 bytes" in printed
        assert [f["name"] for f in namespace["files"]] == ["output.dat"]
        assert Path("/tmp/exports/output.dat").read_bytes() == b"1 2 3\n"
        assert printed.strip().endswith("result.csv")
    finally:
        for path, was_there in existed.items():
            if not was_there:
                path.unlink(missing_ok=True)
        if "fm" in namespace:
            namespace["fm"].close()


def test_session_management(seed_services, capsys):
    namespace = run_blocks(seed_services, QUICK_START, SESSION_MANAGEMENT)
    printed = capsys.readouterr().out
    assert "Role: developer" in printed
    assert namespace["has_privilege"] is True
    assert namespace["manager"].check_privilege(namespace["anon_session"].session_id, "read_cache")
    # The developer's session works against the running cache service.
    assert namespace["cache"].get("no/such/key") is None


def test_deployment_local_development(seed_services):
    # The seed leaves ``sim`` to the reader: here, the example simulation shipped with sim2l.
    namespace = run_blocks(
        seed_services, LOCAL_DEVELOPMENT, namespace={"sim": sim2l.load("thermal_sim")}
    )
    result = namespace["result"]
    assert result.ok and not result.from_cache
    assert result.units["max_stress"] == "pascal"
    assert result.run_db_path.parent == Path(os.environ["SIM2L_HOME"]) / "runs"


def test_deployment_hybrid(seed_services):
    namespace = run_blocks(seed_services, HYBRID_DEPLOYMENT)
    settings = get_settings()
    assert settings.cache_service_url == "http://cache-server:8001"
    assert settings.catalog_session_id == namespace["session"].session_id
    assert settings.results_service_url is None


def test_environment_variables(seed_services, monkeypatch, make_simulation):
    from sim2l_sessions import get_session_manager

    session_id = get_session_manager().create_anonymous_session(privileges=["developer"])
    for line in ENVIRONMENT_VARIABLES.splitlines():
        if not line.startswith("export "):
            continue
        name, value = line[len("export ") :].split("=", 1)
        value = value.replace("$HOME", os.environ["SIM2L_HOME"]).replace(
            "session-id-here", session_id.session_id
        )
        monkeypatch.setenv(name, as_run_here(value, seed_services))
    settings = get_settings()
    assert settings.run_db_base_path == Path(os.environ["SIM2L_HOME"]) / ".sim2l" / "runs"
    assert settings.catalog_auto_sync and settings.results_session_id == session_id.session_id
    simulation, counter = make_simulation()
    first = simulation.run(x=4)
    assert first.pending == [] and simulation.run(x=4).from_cache and counter.calls == 1


def test_service_health_check(seed_services):
    # From Troubleshooting, "Check service health".
    for service, port in seed_services.items():
        response = requests.get(f"http://localhost:{port}/health", timeout=5)
        assert response.json()["status"] == "ok", service


def test_configure_services_helper_matches_quick_start(seed_services, tmp_path):
    # The end-to-end tests configure the same settings the Quick Start does.
    urls = {name: f"http://localhost:{port}" for name, port in seed_services.items()}
    configure_services(urls, tmp_path / "runs", "token")
    assert get_settings().cache_service_url == urls["cache"]
