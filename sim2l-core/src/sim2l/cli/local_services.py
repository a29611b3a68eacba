"""``sim2l services up|down|status``: the three services and the dashboard on this machine.

Each service runs through its seed launcher
(``python -m sim2l.services.cache_service --backend sqlite --port 8001``) in
its own process group, with its SQLite file, log and pid file under
``$SIM2L_HOME`` (``services/{service}.pid``, ``services/{service}.log``) and the
URLs in ``services/services.json``, so ``sim2l run`` finds them without any
configuration, and ``down`` stops exactly what ``up`` started. The dashboard
(``python -m sim2l.services.web``, from sim2l-web) starts beside them when it
is installed, pointed at the three.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from sim2l_sessions.paths import sim2l_home
from sim2l_sessions.services import SERVED
from sim2l_sessions.services import SERVICES

SERVICE_NAMES = tuple(SERVICES)
WEB = "web"  # the dashboard: started after the services, stopped with them

# The services this process started, by pid: kept so ``down`` in the same
# process can reap them (and Python does not warn about running children).
_children: dict = {}
DEFAULT_PORTS = {name: info.port for name, info in SERVED.items()}


def web_installed() -> bool:
    """Whether sim2l-web (the dashboard) is installed here."""
    import importlib.util

    return importlib.util.find_spec("sim2l_web") is not None


def _launcher_command(name: str, host: str, port: int, workers: int, state: dict, database_url):
    if name == WEB:
        urls = [
            argument
            for service in SERVICE_NAMES
            for argument in (f"--{service}-url", state[service]["url"])
        ]
        return [sys.executable, "-m", "sim2l.services.web", *urls, "--host", host, "--port",
                str(port), "--workers", str(workers)]  # fmt: skip
    url_arguments = ["--backend", "sqlite"]
    if database_url:
        backend = "sqlite" if database_url.startswith("sqlite:") else "postgresql"
        url_arguments = ["--backend", backend, "--db-url", database_url]
    return [sys.executable, "-m", f"sim2l.services.{name}_service", *url_arguments, "--host",
            host, "--port", str(port), "--workers", str(workers)]  # fmt: skip


def state_folder() -> Path:
    """``$SIM2L_HOME/services``: pid files, logs and the URL list."""
    return sim2l_home() / "services"


def _state_file() -> Path:
    return state_folder() / "services.json"


def read_state() -> dict:
    """``{service: {"url", "pid", "port", "log"}}`` of the services ``up`` started."""
    try:
        return json.loads(_state_file().read_text())
    except (OSError, ValueError):
        return {}


def _write_state(state: dict) -> None:
    state_folder().mkdir(parents=True, exist_ok=True)
    _state_file().write_text(json.dumps(state, indent=2))


def port_is_free(host: str, port: int) -> bool:
    """Whether nothing listens on ``host:port``."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def is_our_process(pid: int) -> bool:
    """Whether ``pid`` is alive and is a sim2l service launcher (not a recycled pid)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return True  # no /proc (macOS): the pid file is all we have
    return b"sim2l.services." in command


def healthy(url: str, timeout: float = 1) -> bool:
    """Whether ``url/health`` answers 200 within ``timeout`` seconds."""
    try:
        return requests.get(url + "/health", timeout=timeout).status_code == 200
    except requests.RequestException:
        return False


def _wait_until_healthy(url: str, alive, deadline: float) -> bool:
    """Poll ``url/health`` until it answers, ``alive()`` turns false or ``deadline`` passes.

    A service that is busy (a slow machine, a long request on every worker)
    answers its health check late, not never: one missed second must not be
    taken for "not running".
    """
    while True:
        if healthy(url, timeout=max(1.0, min(5.0, deadline - time.monotonic()))):
            return True
        if not alive() or time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def status() -> list[dict]:
    """One row per service: url, pid, whether its process runs and whether it answers."""
    state = read_state()
    rows = []
    for name in (*SERVICE_NAMES, WEB) if WEB in state else SERVICE_NAMES:
        entry = state.get(name)
        if not entry:
            rows.append(
                {"service": name, "url": None, "pid": None, "running": False, "healthy": False}
            )
            continue
        rows.append(
            {
                "service": name,
                "url": entry["url"],
                "pid": entry["pid"],
                "running": is_our_process(entry["pid"]),
                "healthy": healthy(entry["url"]),
            }
        )
    return rows


def up(
    host: str = "127.0.0.1",
    ports: dict | None = None,
    workers: int = 2,
    database_urls: dict | None = None,
    timeout: float = 60,
    say=print,
    web: bool = True,
) -> dict:
    """Start the services (and the dashboard) not already running; returns the state."""
    state = read_state()
    folder = state_folder()
    folder.mkdir(parents=True, exist_ok=True)
    started = []
    names = list(SERVICE_NAMES)
    if web and web_installed():
        names.append(WEB)
    elif web:
        say("the dashboard is not installed (pip install sim2l-web); starting the services only")
    try:
        for name in names:
            entry = state.get(name)
            if entry and is_our_process(entry["pid"]):
                # Ours and alive: it is running, perhaps busy. Starting a second
                # copy on another port would orphan this one, so wait for it.
                pid = entry["pid"]
                if not _wait_until_healthy(
                    entry["url"], lambda p=pid: is_our_process(p), time.monotonic() + timeout
                ):
                    raise RuntimeError(
                        f"the {_label(name)} (pid {pid}) runs but does not answer at "
                        f"{entry['url']}; see {entry['log']}, or `sim2l services down` and up again"
                    )
                say(f"{_label(name)} already running at {entry['url']} (pid {pid})")
                continue
            port = (ports or {}).get(name) or DEFAULT_PORTS[name]
            if not port_is_free(host, port):
                wanted, port = port, _free_port(host)
                say(f"port {wanted} is busy; the {name} service uses port {port} instead")
            command = _launcher_command(
                name, host, port, workers, state, (database_urls or {}).get(name)
            )
            log_path = folder / f"{name}.log"
            with open(log_path, "ab") as log:
                process = subprocess.Popen(
                    command,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            _children[process.pid] = process
            url = f"http://{host}:{port}"
            state[name] = {"url": url, "pid": process.pid, "port": port, "log": str(log_path)}
            (folder / f"{name}.pid").write_text(str(process.pid))
            _write_state(state)
            started.append((name, process, url, log_path))
            say(f"starting the {_label(name)} on {url} (pid {process.pid}, log {log_path})")
        deadline = time.monotonic() + timeout
        for name, process, url, log_path in started:
            if not _wait_until_healthy(url, lambda p=process: p.poll() is None, deadline):
                tail = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the {_label(name)} did not start; its log ends:\n{tail}")
            say(f"{_label(name)} ready at {url}")
    except BaseException:
        for name, *_ in started:
            _stop(name, state)
        raise
    return state


def _label(name: str) -> str:
    return "dashboard" if name == WEB else f"{name} service"


def _stop(name: str, state: dict, timeout: float = 15) -> bool:
    entry = state.pop(name, None)
    (state_folder() / f"{name}.pid").unlink(missing_ok=True)
    _write_state(state)
    if not entry or not is_our_process(entry["pid"]):
        return False
    pid = entry["pid"]
    # The launcher leads its own process group: signal the group, so the
    # gunicorn workers stop with their master.
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    child = _children.pop(pid, None)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # A service another sim2l command started is not ours to reap: watch its pid.
        if (child.poll() is not None) if child is not None else not _alive(pid):
            return True
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    if child is not None:
        child.wait()
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not alive
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return True


def down(say=print) -> list[str]:
    """Stop every service ``up`` started; returns the names stopped."""
    state = read_state()
    stopped = []
    for name in (WEB, *SERVICE_NAMES):
        if name in state:
            if _stop(name, state):
                stopped.append(name)
                say(f"stopped the {_label(name)}")
            else:
                say(f"the {_label(name)} was not running")
    return stopped
