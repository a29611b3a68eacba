"""The gunicorn settings of every sim2l service, in one place.

``serve`` (the command line) and the container images
(``gunicorn --config python:sim2l_service_kit.gunicorn_conf APP``, or
``deploy/docker/gunicorn.conf.py``, which imports that) both start from
``gunicorn_settings()``; ``serve`` then sets the address and worker count its
flags give. Every value can be set from the environment.
"""

import os

from sim2l_sessions.services import SERVICES

from sim2l_service_kit.config import env_flag


def default_port(environ=os.environ) -> int:
    """``PORT``, else the port of ``SIM2L_SERVICE`` in the services table, else 8000."""
    if environ.get("PORT"):
        return int(environ["PORT"])
    info = SERVICES.get(environ.get("SIM2L_SERVICE", ""))
    return info.port if info else 8000


def gunicorn_settings(environ=os.environ) -> dict:
    """gunicorn's settings by name, from ``environ``."""
    return {
        # All interfaces: inside a container the pod network is the only way
        # in. ``serve`` binds 127.0.0.1 unless told otherwise.
        "bind": f"{environ.get('HOST', '0.0.0.0')}:{default_port(environ)}",  # noqa: S104
        # Sync workers: the services' handlers are short and database-bound,
        # and sync workers gave the tightest tail latency in the benchmarks.
        # This one answers gunicorn's own rejections (414, 431, 400) in JSON.
        "worker_class": "sim2l_service_kit.gunicorn_worker.JSONErrorWorker",
        "workers": int(environ.get("WEB_CONCURRENCY", "2")),
        # The heartbeat file lives in memory: a read-only root filesystem or a
        # disk-backed /tmp can stall the heartbeat and get workers killed.
        "worker_tmp_dir": "/dev/shm" if os.path.isdir("/dev/shm") else None,
        "timeout": int(environ.get("GUNICORN_TIMEOUT", "60")),
        # Kubernetes sends SIGTERM and waits terminationGracePeriodSeconds
        # (40 s in the manifests); in-flight requests get this long to finish.
        "graceful_timeout": int(environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30")),
        "keepalive": int(environ.get("GUNICORN_KEEPALIVE", "5")),
        "max_requests": int(environ.get("GUNICORN_MAX_REQUESTS", "0")),
        "max_requests_jitter": int(environ.get("GUNICORN_MAX_REQUESTS_JITTER", "0")),
        "loglevel": environ.get("GUNICORN_LOG_LEVEL", "info"),
        "errorlog": "-",
        # The app logs one line per request (sim2l_service_kit.access_log) to
        # stderr, as JSON lines with SIM2L_LOG_FORMAT=json; an empty
        # SIM2L_ACCESS_LOG (or "off") turns request lines off. gunicorn's own
        # access log stays off.
        "accesslog": None,
        # No control socket (gunicorn >= 25 puts one in $HOME/.gunicorn,
        # shared by every instance of the user): nothing manages workers at
        # run time here, and a container's root filesystem is read-only.
        "control_socket_disable": True,
        # Trust X-Forwarded-* only from the addresses named (an ingress controller).
        "forwarded_allow_ips": environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
    }


def migrate_on_starting(server) -> None:
    """gunicorn's ``on_starting`` hook of the images: the metrics directory, then migrations.

    Migrations run once, in the master, when ``SIM2L_MIGRATE_ON_START`` is set:
    for single-host deployments (compose). In Kubernetes the migration Job
    does this and the variable stays unset: several replicas starting at once
    should not all race to migrate, and the service refuses to start on an
    unmigrated database instead.
    """
    import subprocess

    from sim2l_service_kit.gunicorn_hooks import prepare_metrics_directory

    prepare_metrics_directory()
    if not env_flag("SIM2L_MIGRATE_ON_START", False):
        return
    info = SERVICES.get(os.environ.get("SIM2L_SERVICE", ""))
    if info is None:
        raise RuntimeError(f"SIM2L_MIGRATE_ON_START needs SIM2L_SERVICE ({', '.join(SERVICES)})")
    server.log.info("applying %s migrations before starting", info.name)
    subprocess.run([info.command, "migrate"], check=True)  # noqa: S603 (a fixed command)
