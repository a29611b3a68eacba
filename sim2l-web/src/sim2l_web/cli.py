"""``sim2l-web serve``: the dashboard under gunicorn.

``--cache-url``, ``--catalog-url`` and ``--results-url`` default to the
``SIM2L_*_SERVICE_URL`` settings (else the local ports 8001-8003). Flags
alone mean ``serve``, as the seed's launchers do:
``python -m sim2l.services.web --port 8000``.
"""

import argparse
import os
import sys

from sim2l_sessions.services import access_log_enabled

from sim2l_web.config import PORT
from sim2l_web.config import SERVICE_URL_ENVIRONMENT


def parser() -> argparse.ArgumentParser:
    """The ``serve`` command and its flags."""
    top = argparse.ArgumentParser(prog="sim2l-web", description="The sim2l dashboard.")
    commands = top.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the dashboard under gunicorn")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=PORT)
    serve.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 2)))
    serve.add_argument(
        "--threads", type=int, default=4, help="threads per worker (pages wait on services)"
    )
    for key, (variable, default) in SERVICE_URL_ENVIRONMENT.items():
        service = key.removesuffix("_url")
        serve.add_argument(
            f"--{service}-url",
            default=None,
            help=f"the {service} service (default ${variable}, else {default})",
        )
    return top


def gunicorn_argv(args, environ=os.environ) -> list[str]:
    """gunicorn's command line for ``serve``'s ``args``."""
    # Threaded workers: a page mostly waits on the services.
    argv = ["gunicorn", "--bind", f"{args.host}:{args.port}", "--workers", str(args.workers),
            "--threads", str(args.threads), "--worker-class", "gthread", "--timeout", "120",
            "--no-control-socket"]  # fmt: skip
    if os.path.isdir("/dev/shm"):
        argv += ["--worker-tmp-dir", "/dev/shm"]
    # The dashboard's request lines are gunicorn's, to stderr (SIM2L_ACCESS_LOG=on).
    if access_log_enabled(default=False, environ=environ):
        argv += ["--access-logfile", "-"]
    return [*argv, "sim2l_web.app:create_app()"]


def serve(args) -> None:
    """Run gunicorn in this process with the chosen service URLs."""
    from gunicorn.app.wsgiapp import run

    from sim2l_web.app import create_app

    for key, (variable, _default) in SERVICE_URL_ENVIRONMENT.items():
        chosen = getattr(args, key)
        if chosen:
            # The environment, so every gunicorn worker's create_app() sees it.
            os.environ[variable] = chosen
    create_app()  # fail here, with the message, on a bad setting (not in every worker)
    sys.argv = gunicorn_argv(args)
    print(f"sim2l dashboard on http://{args.host}:{args.port}", file=sys.stderr, flush=True)
    run()


def main(argv=None) -> int:
    """Parse ``argv`` and run the command; flags alone mean ``serve``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv.insert(0, "serve")
    args = parser().parse_args(argv)
    if args.command == "serve":
        serve(args)
    return 0
