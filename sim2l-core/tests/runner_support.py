"""Simulations and helpers shared by the runner, CLI and end-to-end tests."""

import itertools

from sim2l.runner import Input
from sim2l.runner import Output
from sim2l.runner import Simulation

_names = itertools.count()


class Counter:
    """Counts calls of a simulation function, so a test sees whether it executed."""

    def __init__(self):
        self.calls = 0


def counting_simulation(name=None, version="1.0.0", fail=False):
    """A fresh, uniquely named simulation y = a * x; returns (simulation, counter)."""
    counter = Counter()
    name = name or f"square_{next(_names)}"

    def compute(x, a):
        counter.calls += 1
        if fail:
            raise RuntimeError("the solver diverged")
        print(f"computing {a} * {x}")
        return {"y": a * x}

    simulation = Simulation(
        compute,
        name=name,
        version=version,
        description="y = a * x",
        tags=["test"],
        inputs={
            "x": Input("number", units="m", min=-1000, max=1000),
            "a": Input("number", default=2.0),
        },
        outputs={"y": Output("number", units="m")},
    )
    return simulation, counter


def service_urls(database_url: str, live_server) -> dict:
    """The three services in this process (werkzeug threads) on ``database_url``."""
    from sim2l_cache_service.app import create_app as cache_app
    from sim2l_catalog_service.app import create_app as catalog_app
    from sim2l_results_service.app import create_app as results_app

    urls = {}
    for name, factory in (("cache", cache_app), ("catalog", catalog_app), ("results", results_app)):
        url = database_url
        if url.startswith("sqlite:"):
            # One file per service, as on a real machine.
            url = url.replace("test.db", f"{name}.db")
        app = factory({"database_url": url, "auto_migrate": True, "revocation_refresh_seconds": 0})
        urls[name] = live_server(app)
    return urls


def configure_services(urls: dict, run_folder, session_id: str, auto_sync: bool = True):
    """``configure()`` the runner for ``urls`` with one session and ``run_folder``."""
    from sim2l import configure

    configure(
        use_run_database=True,
        run_db_base_path=run_folder,
        cache_service_url=urls.get("cache"),
        cache_session_id=session_id if urls.get("cache") else None,
        catalog_service_url=urls.get("catalog"),
        catalog_session_id=session_id if urls.get("catalog") else None,
        results_service_url=urls.get("results"),
        results_session_id=session_id if urls.get("results") else None,
        catalog_auto_sync=auto_sync,
    )
