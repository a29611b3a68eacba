"""The command line every service shares: ``serve`` and ``migrate``.

``sim2l-cache-service serve --backend sqlite --port 8001`` runs the service
under gunicorn (sync workers, the tightest tail latency measured here);
``--backend postgresql --db-url URL`` selects PostgreSQL. Flags may also be
given without ``serve``, as the seed's launchers do:
``python -m sim2l.services.cache_service --backend sqlite --port 8001``.
"""

import argparse
import importlib
import os
import sys

import peewee
from sim2l_sessions.database import InvalidDatabaseURL
from sim2l_sessions.database import database_from_url
from sim2l_sessions.database import redact_url
from sim2l_sessions.migrations import migrate
from sim2l_sessions.paths import default_sqlite_url
from sim2l_sessions.services import ServiceInfo
from sim2l_sessions.store import SessionStore

from sim2l_service_kit.access_log import LOG_FORMATS
from sim2l_service_kit.access_log import configure_logging
from sim2l_service_kit.gunicorn_settings import gunicorn_settings
from sim2l_service_kit.preflight import StartupError
from sim2l_service_kit.preflight import check_port_free
from sim2l_service_kit.preflight import check_schema
from sim2l_service_kit.preflight import explain_database_error


class ServiceCommandLine:
    """``serve`` and ``migrate`` for the service ``info`` (from ``sim2l_sessions.services``).

    Its name, default port, app factory and migrations package all come from
    ``info``, the services table's row.
    """

    def __init__(self, info: ServiceInfo):
        self.info = info
        self.service = info.name
        self.app_factory = info.app_factory
        self.migrations_package = info.migrations_package
        self.default_port = info.port
        self.env_prefix = f"SIM2L_{info.name.upper()}_"

    def parser(self) -> argparse.ArgumentParser:
        """The argument parser with both commands."""
        parser = argparse.ArgumentParser(
            prog=self.info.command, description=f"The sim2l {self.service} service."
        )
        commands = parser.add_subparsers(dest="command", required=True)
        serve = commands.add_parser("serve", help="run the service under gunicorn")
        self._database_flags(serve)
        serve.add_argument(
            "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)"
        )
        serve.add_argument("--port", type=int, default=self.default_port)
        serve.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 2)))
        serve.add_argument(
            "--no-migrate",
            action="store_true",
            help="do not apply pending migrations before serving",
        )
        serve.add_argument(
            "--log-format",
            choices=LOG_FORMATS,
            default=None,
            help="text (default; or SIM2L_LOG_FORMAT) or json lines for a log collector",
        )
        serve.add_argument(
            "--no-access-log",
            action="store_true",
            help="do not log one line per request (method, route, status, time, who)",
        )
        migrate_command = commands.add_parser("migrate", help="apply pending database migrations")
        self._database_flags(migrate_command)
        return parser

    def _database_flags(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--debug", action="store_true", help="show the traceback of a start-up error"
        )
        parser.add_argument("--backend", choices=["sqlite", "postgresql"], default=None)
        parser.add_argument(
            "--db-url",
            default=None,
            help=f"database URL (default {self.env_prefix}DATABASE_URL or a local SQLite file)",
        )

    def database_url(self, args) -> str:
        """The URL the flags and environment select; an error names a mismatch."""
        url = args.db_url or os.environ.get(self.env_prefix + "DATABASE_URL")
        backend = args.backend
        if url is None:
            if backend == "postgresql":
                raise StartupError(
                    "--backend postgresql needs --db-url postgresql://user:pass@host/db"
                )
            return default_sqlite_url(self.service)
        scheme = "sqlite" if url.startswith("sqlite:") else "postgresql"
        if backend and backend != scheme:
            raise StartupError(
                f"--backend {backend} does not match the database URL {redact_url(url)}"
            )
        return url

    def migrate(self, url: str) -> None:
        """Apply the service's migrations and the sessions store's."""
        applied = self._with_database(
            url, lambda database: migrate(database, self.migrations_package)
        )
        SessionStore().ensure_migrated()
        print(
            f"{self.service}: {len(applied)} migration(s) applied to {redact_url(url)}",
            file=sys.stderr,
        )

    def _with_database(self, url: str, work):
        """Run ``work(database)``; a database that cannot be used is a ``StartupError``."""
        try:
            database = database_from_url(url)
        except InvalidDatabaseURL as error:
            raise StartupError(f"{error}.") from error
        try:
            # A schema newer than this code must stop a migration as well as a start.
            check_schema(database, self.migrations_package, url, self.service, pending_ok=True)
            return work(database)
        except (peewee.OperationalError, peewee.InterfaceError) as error:
            raise explain_database_error(error, url, self.service) from error
        finally:
            database.close()

    @staticmethod
    def gunicorn_options(args) -> dict:
        """The settings and hooks the container images use too, with the flags' address and workers.

        The hooks keep ``/metrics`` summed over every worker (the shared metrics directory).
        """
        from sim2l_service_kit.gunicorn_hooks import HOOKS

        return {
            **gunicorn_settings(),
            **HOOKS,
            "bind": f"{args.host}:{args.port}",
            "workers": args.workers,
        }

    def serve(self, args, url: str) -> None:
        """Check the port and the database, then run gunicorn in this process."""
        os.environ[self.env_prefix + "DATABASE_URL"] = url
        check_port_free(args.host, args.port)
        if args.no_migrate:
            self._with_database(
                url,
                lambda database: check_schema(database, self.migrations_package, url, self.service),
            )
        else:
            self.migrate(url)
        from gunicorn.app.base import BaseApplication

        module_name, factory_name = self.app_factory.split(":")
        factory = getattr(importlib.import_module(module_name), factory_name)
        options = self.gunicorn_options(args)

        class Server(BaseApplication):
            def load_config(self):
                for key, value in options.items():
                    if value is not None:
                        self.cfg.set(key, value)

            def load(self):
                return factory()

        configure_logging(args.log_format, access_log=not args.no_access_log)
        print(
            f"sim2l {self.service} service on http://{args.host}:{args.port} ({redact_url(url)})",
            file=sys.stderr,
        )
        Server().run()

    def main(self, argv=None) -> int:
        """Parse ``argv`` and run the command; flags alone mean ``serve``."""
        argv = list(sys.argv[1:] if argv is None else argv)
        if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
            argv.insert(0, "serve")
        args = self.parser().parse_args(argv)
        try:
            url = self.database_url(args)
            if args.command == "migrate":
                self.migrate(url)
            else:
                self.serve(args, url)
        except StartupError as error:
            if args.debug:
                raise
            print(f"error: {error}\n(run with --debug for the traceback)", file=sys.stderr)
            return 1
        return 0
