"""How a view reaches its app's own objects: ``service_state()``.

Each service builds one state object in ``create_app`` (its configuration and
whatever its views share: a store, a counter) and hands it to
``create_service_app(state=...)``; a view asks ``service_state()`` for it.
One way for every service, instead of some views reading ``app.config`` and
others ``app.extensions`` under names of their own.
"""

import dataclasses

from flask import Flask
from flask import current_app

STATE_KEY = "sim2l_service_state"


@dataclasses.dataclass
class ServiceState:
    """What every service's views share: the effective configuration.

    A service with more to share subclasses it (the cache adds its store and
    hit counter).
    """

    config: dict

    def close(self) -> None:
        """Finish what the app holds before it is thrown away (tests); nothing by default."""


def install_state(app: Flask, state: ServiceState) -> None:
    """Make ``state`` the one ``service_state()`` returns in ``app``'s requests."""
    app.extensions[STATE_KEY] = state


def service_state() -> ServiceState:
    """The state of the app handling the current request."""
    return current_app.extensions[STATE_KEY]


def state_of(app: Flask) -> ServiceState:
    """The state of ``app`` outside a request (tests, benchmarks, tools)."""
    return app.extensions[STATE_KEY]
