"""Gunicorn settings for the sim2l service images, read from the environment.

Every image runs ``gunicorn --config /etc/sim2l/gunicorn.conf.py APP``; the
same file serves the three services, which differ only in ``SIM2L_SERVICE``
and ``PORT`` (set by their Dockerfiles). Flags on the command line still win
over this file, and ``GUNICORN_CMD_ARGS`` over both defaults.
"""

import os
import subprocess

from sim2l_service_kit.access_log import configure_logging

# /metrics sums the counters of every worker: the kit's metrics directory
# (PROMETHEUS_MULTIPROC_DIR, made in /dev/shm unless set) and its hooks.
from sim2l_service_kit.gunicorn_config import child_exit  # noqa: F401 - a gunicorn hook
from sim2l_service_kit.gunicorn_config import on_exit  # noqa: F401 - a gunicorn hook
from sim2l_service_kit.gunicorn_config import prepare_metrics_directory

# All interfaces: inside a container the pod network is the only way in.
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
# Sync workers: the services' handlers are short and database-bound, and sync
# workers gave the tightest tail latency in the benchmarks (PERFORMANCE_NOTES).
worker_class = "sim2l_service_kit.gunicorn_worker.JSONErrorWorker"  # sync; JSON 414/431/400
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# The heartbeat file lives in memory: the root filesystem is read-only and a
# disk-backed /tmp can stall the heartbeat and get workers killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Kubernetes sends SIGTERM and waits terminationGracePeriodSeconds (40 s in
# the manifests); in-flight requests get this long to finish.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "0"))
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
errorlog = "-"
# The app logs one line per request (sim2l_service_kit.access_log) to stderr,
# as JSON lines with SIM2L_LOG_FORMAT=json; an empty SIM2L_ACCESS_LOG (or
# "off") turns request lines off. gunicorn's own access log stays off.
accesslog = None
configure_logging()
# No control socket (gunicorn >= 25.1 puts one in $HOME/.gunicorn): nothing
# manages workers at run time here (Kubernetes replaces pods instead), and
# the root filesystem is read-only. Older gunicorns ignore the name.
control_socket_disable = True
# Trust X-Forwarded-* only from the addresses named (an ingress controller).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def on_starting(server):
    """Apply migrations once, in the master, when SIM2L_MIGRATE_ON_START is set.

    For single-host deployments (compose). In Kubernetes the migration Job
    does this and the variable stays unset: several replicas starting at once
    should not all race to migrate, and the service refuses to start on an
    unmigrated database instead. First of all, the metrics directory.
    """
    prepare_metrics_directory()
    if not _truthy("SIM2L_MIGRATE_ON_START"):
        return
    service = os.environ.get("SIM2L_SERVICE")
    if not service:
        raise RuntimeError("SIM2L_MIGRATE_ON_START needs SIM2L_SERVICE (cache, catalog or results)")
    server.log.info("applying %s migrations before starting", service)
    subprocess.run([f"sim2l-{service}-service", "migrate"], check=True)
