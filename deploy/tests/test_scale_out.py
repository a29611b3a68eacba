"""Scale-out on one machine, as the cluster runs it.

Each service runs as two separate gunicorn instances ("replicas") on their
own 127.0.0.1 ports, started with the container's gunicorn.conf.py, sharing
what replicas share in Kubernetes and nothing else:

- one PostgreSQL database (service tables and the sessions store), migrated
  first by the same command the migration Job runs;
- one secret key (the Secret);
- for the results service, one run-file folder (the PersistentVolumeClaim).

Each replica has its own SIM2L_HOME (the pod's emptyDir), so nothing can pass
between them through local files. The tests then show that whatever one
replica does, the other sees: sessions, logouts, login rate limits, cache
entries and invalidations, cache statistics, catalog records, results and
their files. That is what lets the Deployments scale by adding replicas.

Skipped, with the reason, for a service whose distribution is not installed.
PostgreSQL comes from the shared plugin's ``postgres_database_url``: without a
server these tests are skipped, and with SIM2L_REQUIRE_POSTGRES=1 they fail.
"""

import importlib.util
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

DEPLOY = Path(__file__).resolve().parents[1]
GUNICORN_CONFIG = DEPLOY / "docker" / "gunicorn.conf.py"
SERVICES = ("cache", "catalog", "results")
PASSWORD = "correct horse battery staple"


def require_service(service: str) -> None:
    """Skip unless the service and its client are installed."""
    for module in (f"sim2l_{service}_service", f"sim2l_{service}_client"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(
                f"{module} is not installed: pip install -e sim2l-{service}-service/client "
                f"-e sim2l-{service}-service"
            )


def migrate_command(service: str) -> list[str]:
    """What the migration Job runs: the service's console script, ``migrate``."""
    script = Path(sys.executable).with_name(f"sim2l-{service}-service")
    if script.exists():
        return [str(script), "migrate"]
    return [sys.executable, "-m", f"sim2l_{service}_service", "migrate"]


class Cluster:
    """Two gunicorn replicas per service over one database, one secret, one volume."""

    def __init__(self, database_url: str, root: Path):
        self.database_url = database_url
        self.secret = secrets.token_urlsafe(32)
        self.root = root
        self.results_storage = root / "results-volume"
        self.results_storage.mkdir()
        self.replicas = {}
        self.servers = []

    def environment(self, service: str, home: Path) -> dict:
        """A pod's environment: the ConfigMap's and the Secret's variables."""
        prefix = f"SIM2L_{service.upper()}_"
        env = {
            "SIM2L_HOME": str(home),
            "SIM2L_SECRET_KEY": self.secret,
            "SIM2L_SESSIONS_DATABASE_URL": self.database_url,
            prefix + "DATABASE_URL": self.database_url,
            prefix + "POOL_SIZE": "4",
            # Logouts are read from the shared store on every request (the
            # deployment default is within 1 s), so the tests need not wait.
            prefix + "REVOCATION_REFRESH_SECONDS": "0",
            "SIM2L_BCRYPT_ROUNDS": "4",
            "SIM2L_ACCESS_LOG": "",
            # The container's own gunicorn settings (bind and workers are
            # given on the command line by GunicornServer, which wins).
            "GUNICORN_CMD_ARGS": f"--config {GUNICORN_CONFIG}",
        }
        if service == "results":
            env["SIM2L_RESULTS_STORAGE_DIR"] = str(self.results_storage)
        if service == "cache":
            # Hit and miss counts are flushed to the database on every request.
            env["SIM2L_CACHE_STATS_FLUSH_SECONDS"] = "0"
        return env

    def migrate(self, service: str) -> None:
        """Run the migration Job's command once, before any replica starts."""
        home = self.root / f"{service}-migrate-home"
        home.mkdir()
        result = subprocess.run(
            migrate_command(service),
            env={**_base_environment(), **self.environment(service, home)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr

    def start(self, service: str) -> tuple[str, str]:
        """Two replicas of ``service``; their base URLs."""
        from sim2l_service_kit.testing.benchmarking import GunicornServer

        if service not in self.replicas:
            self.migrate(service)
            urls = []
            for index in range(2):
                home = self.root / f"{service}-replica-{index}-home"
                home.mkdir()
                server = GunicornServer(
                    f"sim2l_{service}_service.app:create_app()",
                    env=self.environment(service, home),
                    workers=1,
                    ready_path="/ready",
                )
                server.start()
                self.servers.append(server)
                urls.append(server.url)
            self.replicas[service] = tuple(urls)
        return self.replicas[service]

    def start_extra(self, service: str, name: str, **overrides) -> str:
        """One more replica of a started service, its environment changed by ``overrides``."""
        from sim2l_service_kit.testing.benchmarking import GunicornServer

        self.start(service)
        home = self.root / f"{service}-{name}-home"
        home.mkdir()
        env = {**self.environment(service, home), **overrides}
        server = GunicornServer(
            f"sim2l_{service}_service.app:create_app()", env=env, workers=1, ready_path="/ready"
        )
        server.start()
        self.servers.append(server)
        return server.url

    def stop(self) -> None:
        """Stop every replica."""
        for server in self.servers:
            server.stop()


def _base_environment() -> dict:
    import os

    return {key: value for key, value in os.environ.items() if not key.startswith("SIM2L_")}


@pytest.fixture(scope="module")
def cluster(postgres_database_url, tmp_path_factory):
    """The shared database and secret; replicas start on first use."""
    cluster = Cluster(postgres_database_url, tmp_path_factory.mktemp("cluster"))
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def manager(cluster):
    """An operator's SessionManager on the cluster's store and secret (creates users)."""
    from sim2l_sessions import SessionManager
    from sim2l_sessions.store import SessionStore

    store = SessionStore(cluster.database_url)
    yield SessionManager(store=store, secret_keys=[cluster.secret], revocation_refresh_seconds=0)
    store.close()
    store.database.close_all()


@pytest.fixture
def replicas(request, cluster):
    """(url_a, url_b) of the service named by the test's ``service`` parameter."""
    service = request.getfixturevalue("service")
    require_service(service)
    return cluster.start(service)


def login(url: str, username: str, password: str = PASSWORD) -> requests.Response:
    """POST /sessions at one replica."""
    return requests.post(
        f"{url}/sessions", json={"username": username, "password": password}, timeout=30
    )


def token_of(url: str, username: str) -> str:
    """Log in at one replica; the session token."""
    response = login(url, username)
    assert response.status_code == 201, response.text
    return response.json()["session_id"]


def current(url: str, token: str) -> requests.Response:
    """GET /sessions/current at one replica."""
    return requests.get(f"{url}/sessions/current", headers={"X-Session-ID": token}, timeout=30)


def new_user(manager, name: str, role: str = "developer") -> str:
    """A user in the shared store, with a name unique to this run."""
    username = f"{name}-{secrets.token_hex(4)}"
    manager.create_user(username, PASSWORD, role=role)
    return username


# ---------------------------------------------------------------------------
# Sessions: the same at every replica of every service


@pytest.mark.parametrize("service", SERVICES)
def test_session_minted_at_one_replica_works_at_the_other(service, replicas, manager):
    first, second = replicas
    username = new_user(manager, f"mint-{service}")
    token = token_of(first, username)
    answer = current(second, token)
    assert answer.status_code == 200, answer.text
    assert answer.json()["username"] == username
    assert current(first, token).status_code == 200


@pytest.mark.parametrize("service", SERVICES)
def test_logout_at_one_replica_is_honoured_at_the_other(service, replicas, manager):
    first, second = replicas
    username = new_user(manager, f"logout-{service}")
    token = token_of(second, username)
    assert current(first, token).status_code == 200
    logout = requests.delete(
        f"{first}/sessions/current", headers={"X-Session-ID": token}, timeout=30
    )
    assert logout.status_code == 200, logout.text
    for url in (second, first):
        answer = current(url, token)
        assert answer.status_code == 401, answer.text


def wait_for_a_fresh_login_window(seconds_needed: float = 10.0) -> None:
    """Failures are counted per clock minute; start the attempts well inside one.

    Not a timing assertion: it only keeps six attempts from straddling two
    windows, where the count would restart.
    """
    into_window = time.time() % 60
    if into_window > 60 - seconds_needed:
        time.sleep(60 - into_window + 0.2)


@pytest.mark.parametrize("service", SERVICES)
def test_login_rate_limit_holds_across_replicas(service, replicas, manager):
    first, second = replicas
    username = new_user(manager, f"limit-{service}")
    wait_for_a_fresh_login_window()
    for attempt in range(5):  # alternate: the count lives in the store, not in a process
        url = (first, second)[attempt % 2]
        answer = login(url, username, "wrong password")
        assert answer.status_code == 401, (attempt, answer.text)
    sixth = login(second, username, "wrong password")
    assert sixth.status_code == 429, sixth.text
    assert sixth.json()["error"]["code"] == "rate_limited"
    assert int(sixth.headers["Retry-After"]) > 0
    # Even the right password waits, at either replica.
    assert login(first, username).status_code == 429


# ---------------------------------------------------------------------------
# Each service's data, written through one replica and read through the other


def clients(client_class, replicas, token, **options):
    return [client_class(url, session_id=token, **options) for url in replicas]


@pytest.mark.parametrize("service", ["cache"])
def test_cache_entry_written_through_one_is_read_and_invalidated_through_the_other(
    service, replicas, manager
):
    from sim2l_cache_client import CacheClient

    token = token_of(replicas[0], new_user(manager, "cache-dev"))
    first, second = clients(CacheClient, replicas, token)
    key = f"thermal_sim/{secrets.token_hex(4)}/result"
    first.set(
        cache_key=key,
        simulation_id=4242,
        simulation_name="thermal_sim",
        simulation_version="1.0.0",
        execution_id="exec-scale-001",
        squid_id="thermal_sim/1.0.0/xyz",
        input_hash="hash123",
        run_db_path="/path/to/run.db",
        ttl_hours=24,
    )
    entry = second.get(key)
    assert entry is not None and entry["run_db_path"] == "/path/to/run.db"
    invalidated = second.invalidate(simulation_id=4242, reason="new version")
    assert invalidated["invalidated"] == 1
    assert first.get(key) is None
    assert second.get(key) is None


@pytest.mark.parametrize("service", ["cache"])
def test_cache_statistics_count_every_replica(service, replicas, manager):
    from sim2l_cache_client import CacheClient

    token = token_of(replicas[1], new_user(manager, "cache-stats"))
    first, second = clients(CacheClient, replicas, token)
    key = f"stats_sim/{secrets.token_hex(4)}"
    first.set(
        cache_key=key,
        simulation_id=5151,
        simulation_name="stats_sim",
        simulation_version="1.0.0",
        execution_id="exec-stats-001",
        squid_id="stats_sim/1.0.0/a",
        input_hash="h",
        run_db_path="/runs/exec-stats-001.db",
    )
    assert first.get(key) is not None  # a hit at one replica
    assert second.get(key) is not None  # and one at the other
    assert second.get(key + "-absent") is None  # a miss (not per simulation)
    for client in (first, second):
        stats = client.get_stats(simulation_id=5151)
        assert stats["hits"] == 2, stats


@pytest.mark.parametrize("service", ["catalog"])
def test_catalog_registration_at_one_is_visible_at_the_other(service, replicas, manager):
    from sim2l_catalog_client import CatalogClient

    token = token_of(replicas[0], new_user(manager, "catalog-dev"))
    first, second = clients(CatalogClient, replicas, token)
    name = f"thermal_sim_{secrets.token_hex(3)}"
    registered = first.register_simulation(
        name=name,
        version="1.0.0",
        description="Thermal stress analysis",
        tags=["thermal", "physics"],
        schema={
            "inputs": {"temperature": {"type": "number", "units": "kelvin"}},
            "outputs": {"max_stress": {"type": "number", "units": "pascal"}},
        },
    )
    found = second.get_simulation(name, "1.0.0")
    assert found["id"] == registered["id"]
    assert found["schema"]["inputs"]["temperature"]["units"] == "kelvin"
    assert name in [sim["name"] for sim in second.search(query=name, tags=["physics"])]
    # An execution recorded at both replicas is one execution.
    first.record_execution(
        simulation_id=found["id"],
        execution_id=f"{name}-exec-1",
        status="completed",
        duration_seconds=42.5,
    )
    again = second.record_execution(
        simulation_id=found["id"],
        execution_id=f"{name}-exec-1",
        status="completed",
        duration_seconds=42.5,
    )
    assert again["duplicate"] is True
    assert first.get_simulation_stats(found["id"])["total_executions"] == 1


@pytest.mark.parametrize("service", ["results"])
def test_results_registered_through_one_are_found_through_the_other(
    service, replicas, manager, tmp_path
):
    if importlib.util.find_spec("sim2l") is None:
        pytest.skip("sim2l-core is not installed: it writes the run files to register")
    from sim2l.rundb import RunDatabase
    from sim2l_results_client import ResultsClient

    simulation = f"scale_sim_{secrets.token_hex(3)}"
    runs = tmp_path / "runs"
    for execution_id, temperature, stress in (("exec-a", 350, 1.5e8), ("exec-b", 400, 2.5e8)):
        with RunDatabase(f"{simulation}-{execution_id}", base_path=runs) as run:
            run.initialize_run(simulation, "1.0.0", username="alice", capture_environment=False)
            run.save_input("temperature", temperature, "number", units="kelvin")
            run.save_output("max_stress", stress, "number", units="pascal")
            run.complete_run("completed", duration_seconds=42.5)

    token = token_of(replicas[1], new_user(manager, "results-user", role="user"))
    first, second = clients(ResultsClient, replicas, token, run_db_base_path=runs)
    assert first.register_result(f"{simulation}-exec-a")["created"] is True
    assert second.register_result(f"{simulation}-exec-b")["created"] is True
    # The same file again, through the other replica: already there.
    assert first.register_result(f"{simulation}-exec-b")["created"] is False

    for client in (first, second):
        found = client.search(simulation_name=simulation, input_filters={"temperature": 350})
        assert [r["execution_id"] for r in found] == [f"{simulation}-exec-a"]
        assert found[0]["output_params"] == {"max_stress": 1.5e8}
        stats = client.get_parameter_stats(simulation, "max_stress", param_class="output")
        assert (stats["count"], stats["min_value"], stats["max_value"]) == (2, 1.5e8, 2.5e8)
    # The file registered at one replica is served by the other (shared volume).
    downloaded = second.download(f"{simulation}-exec-a", tmp_path / "download.db")
    original = runs / f"{simulation}-exec-a.db"
    assert downloaded.stat().st_size > 0
    with (
        RunDatabase(path=downloaded, read_only=True, create=False) as copy,
        RunDatabase(path=original, read_only=True) as run,
    ):
        assert copy.get_outputs() == run.get_outputs()


# ---------------------------------------------------------------------------
# Rotating the secret key while replicas roll over (deploy/README.md)


@pytest.mark.parametrize("service", ["cache"])
def test_secret_key_rotation_keeps_every_replica_accepting_sessions(
    service, replicas, cluster, manager
):
    old_key, new_key = cluster.secret, secrets.token_urlsafe(32)
    only_old = replicas[0]  # a pod not yet rolled over
    step_1 = cluster.start_extra(service, "rotation-1", SIM2L_SECRET_KEY=f"{old_key},{new_key}")
    step_2 = cluster.start_extra(service, "rotation-2", SIM2L_SECRET_KEY=f"{new_key},{old_key}")
    step_3 = cluster.start_extra(service, "rotation-3", SIM2L_SECRET_KEY=new_key)
    username = new_user(manager, "rotation")
    signed_old = token_of(step_1, username)  # step 1 still signs with the old key
    signed_new = token_of(step_2, username)  # step 2 signs with the new key

    # Steps 1 and 2 side by side (a rollout between them): each accepts the other's.
    for url in (step_1, step_2):
        for token in (signed_old, signed_new):
            assert current(url, token).status_code == 200
    # Why step 1 exists: a pod with only the old key refuses new-key sessions.
    assert current(only_old, signed_old).status_code == 200
    assert current(only_old, signed_new).status_code == 401
    # Step 3: the old key dropped; its sessions end.
    assert current(step_3, signed_new).status_code == 200
    assert current(step_3, signed_old).status_code == 401


# ---------------------------------------------------------------------------
# Races between replicas are settled by the database, not by a process lock


@pytest.mark.parametrize("service", ["catalog"])
def test_simultaneous_registrations_at_both_replicas_make_one_record(service, replicas, manager):
    from concurrent.futures import ThreadPoolExecutor

    from sim2l_catalog_client import CatalogClient

    token = token_of(replicas[0], new_user(manager, "catalog-race"))
    name = f"race_sim_{secrets.token_hex(3)}"

    def register(index):
        client = CatalogClient(replicas[index % 2], session_id=token)
        return client.register_simulation(name=name, version="1.0.0", description="race")

    def record(index):
        client = CatalogClient(replicas[index % 2], session_id=token)
        return client.record_execution(
            simulation_id=simulation_id, execution_id=f"{name}-run", status="completed"
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        registered = list(pool.map(register, range(16)))
        simulation_id = registered[0]["id"]
        recorded = list(pool.map(record, range(16)))
    assert {r["id"] for r in registered} == {simulation_id}
    assert sum(not r["duplicate"] for r in recorded) == 1
    stats = CatalogClient(replicas[1], session_id=token).get_simulation_stats(simulation_id)
    assert stats["total_executions"] == 1


@pytest.mark.parametrize("service", ["cache"])
def test_simultaneous_writes_of_one_key_at_both_replicas_leave_one_entry(
    service, replicas, manager
):
    from concurrent.futures import ThreadPoolExecutor

    from sim2l_cache_client import CacheClient

    token = token_of(replicas[1], new_user(manager, "cache-race"))
    key = f"race_sim/{secrets.token_hex(4)}"

    def write(index):
        client = CacheClient(replicas[index % 2], session_id=token)
        return client.set(
            cache_key=key,
            simulation_id=7070,
            simulation_name="race_sim",
            simulation_version="1.0.0",
            execution_id=f"exec-race-{index}",
            squid_id="race_sim/1.0.0/x",
            input_hash="h",
            run_db_path=f"/runs/exec-race-{index}.db",
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        written = list(pool.map(write, range(16)))
    assert len(written) == 16
    entries = CacheClient(replicas[0], session_id=token).list_entries(simulation_id=7070)
    assert [entry["cache_key"] for entry in entries["items"]] == [key]
    final = [CacheClient(url, session_id=token).get(key)["execution_id"] for url in replicas]
    assert final[0] == final[1]
