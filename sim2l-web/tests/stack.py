"""The services under test, and the runs sim2l-core's runner puts in them through the services."""

import base64
import dataclasses
from pathlib import Path

# A 1x1 PNG: an image artifact the run page previews inline.
PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
TEMPERATURES = (310.0, 350.0, 400.0, 450.0, 500.0, 550.0, 600.0, 650.0)
MATERIALS = ("steel", "copper", "aluminium")


@dataclasses.dataclass
class Stack:
    """Service URLs, the session manager sharing their store, and what was run."""

    urls: dict
    manager: object
    folder: Path
    backend: str
    database_url: str
    servers: list = dataclasses.field(default_factory=list)
    apps: list = dataclasses.field(default_factory=list)
    runs: list = dataclasses.field(default_factory=list)
    failed_run: str | None = None
    picture_run: str | None = None

    def token(self, role: str = "developer") -> str:
        """A fresh session token of ``role``."""
        return self.manager.create_session(f"{role}-fixture", role).session_id


def _imaging_simulation():
    from sim2l.runner import Input
    from sim2l.runner import Output
    from sim2l.runner import Simulation

    def draw(size):
        Path("picture.png").write_bytes(PIXEL_PNG)
        Path("notes.txt").write_text(f"drawn at size {size}\n", encoding="utf-8")
        import logging

        logging.getLogger("imaging").warning("the picture is only %s pixel", size)
        return {"area": float(size * size)}

    return Simulation(
        draw,
        name="imaging_sim",
        version="0.1.0",
        description="Draws a picture",
        tags=["imaging", "test"],
        inputs={"size": Input("integer", units="px", default=1, min=1, max=10)},
        outputs={"area": Output("number", units="px^2")},
    )


def _failing_simulation():
    from sim2l.runner import Input
    from sim2l.runner import Output
    from sim2l.runner import Simulation

    def diverge(load):
        raise RuntimeError("the solver diverged")

    return Simulation(
        diverge,
        name="fragile_sim",
        version="1.0.0",
        description="Always fails",
        tags=["test"],
        inputs={"load": Input("number", units="N", default=1.0)},
        outputs={"deflection": Output("number", units="m")},
    )


def populate(stack: Stack) -> None:
    """Run thermal_sim over a grid, one picture-drawing run and one failing run."""
    from sim2l import configure
    from sim2l.examples.thermal import thermal_sim
    from sim2l.runner.links import forget_clients
    from sim2l.settings import reset_settings

    token = stack.token("developer")
    configure(
        use_run_database=True,
        run_db_base_path=stack.folder / "runs",
        cache_service_url=stack.urls["cache"],
        cache_session_id=token,
        catalog_service_url=stack.urls["catalog"],
        catalog_session_id=token,
        results_service_url=stack.urls["results"],
        results_session_id=token,
        catalog_auto_sync=True,
    )
    try:
        for index, temperature in enumerate(TEMPERATURES):
            result = thermal_sim.run(
                temperature=temperature, material=MATERIALS[index % len(MATERIALS)], points=5
            )
            stack.runs.append(result.execution_id)
        # The same inputs again: a cache hit (the hit rate is not zero).
        thermal_sim.run(temperature=TEMPERATURES[0], material=MATERIALS[0], points=5)
        stack.picture_run = _imaging_simulation().run(size=1).execution_id
        failed = _failing_simulation().run_with({"load": 2.0}, raise_on_failure=False)
        stack.failed_run = failed.execution_id
        # The runner registers only successful runs; a scientist registers a
        # failed one to look at it, as ``sim2l results register`` does.
        from sim2l_results_client import ResultsClient

        with ResultsClient(stack.urls["results"], session_id=token) as results:
            results.register_result(stack.folder / "runs" / f"{failed.execution_id}.db")
    finally:
        forget_clients()
        reset_settings()
