"""Running services under gunicorn for system tests: start, kill hard, restart.

``KillableService`` is the kit's ``GunicornServer`` for one of the three
services, by name: it runs in its own process group, so a test can SIGKILL
the master and its workers together, as a crashed pod would die.
"""

from sim2l_service_kit.gunicorn_worker import WORKER_CLASS
from sim2l_service_kit.testing.benchmarking import GunicornServer
from sim2l_sessions.database import database_from_url
from sim2l_sessions.migrations import migrate
from sim2l_sessions.services import SERVICES


def migrate_service(service: str, database_url: str) -> None:
    """Apply a service's migrations to a database."""
    database = database_from_url(database_url)
    migrate(database, SERVICES[service].migrations_package)
    database.close()


class KillableService(GunicornServer):
    """One service under gunicorn (sync workers) on ``database_url``, killable as a group.

    The workers are the kit's ``JSONErrorWorker``, as ``serve`` and the deploy
    run them: gunicorn's own refusals (a request line too long: 414) are JSON.

    ``config`` is gunicorn's ``--config``: the kit's hooks, or a file that imports them.
    """

    def __init__(
        self,
        service: str,
        database_url: str,
        workers: int = 2,
        env=None,
        config: str = "python:sim2l_service_kit.gunicorn_hooks",
    ):
        self.service = service
        self.database_url = database_url
        super().__init__(
            f"{SERVICES[service].app_factory}()",
            env={f"SIM2L_{service.upper()}_DATABASE_URL": database_url, **(env or {})},
            workers=workers,
            worker_class=WORKER_CLASS,
            config=config,
        )
