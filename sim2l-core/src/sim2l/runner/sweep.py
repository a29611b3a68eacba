"""Running a simulation over a grid or a list of inputs, re-using cached points.

``sim2l.sweep(sim, grid={"temperature": [300, 350, 400], "material": ["steel"]})``
runs every combination (``points=[{...}, ...]`` runs a list instead), shows
a progress bar on stderr, and returns the results in order. A point that fails
does not stop the sweep unless ``stop_on_error=True``; its failed
``RunResult`` is in the list.
"""

import itertools
import sys
import time

from sim2l.runner.parameters import InputValidationError


def grid_points(grid: dict, fixed: dict | None = None) -> list[dict]:
    """Every combination of the values in ``grid`` (plus the ``fixed`` inputs)."""
    names = list(grid)
    for name in names:
        if isinstance(grid[name], (str, bytes)) or not hasattr(grid[name], "__iter__"):
            raise TypeError(f"grid[{name!r}] must be a list of values")
    return [
        {**(fixed or {}), **dict(zip(names, values, strict=True))}
        for values in itertools.product(*(list(grid[name]) for name in names))
    ]


class ProgressBar:
    """A one-line progress bar on a stream (redrawn in place on a terminal)."""

    def __init__(self, total: int, label: str, stream=None, width: int = 30):
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.interactive = getattr(self.stream, "isatty", lambda: False)()
        self.started = time.monotonic()

    def update(self, done: int, cached: int, failed: int) -> None:
        """Show ``done`` of ``total`` (redrawn on a terminal, a line per point otherwise)."""
        filled = int(self.width * done / self.total) if self.total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.monotonic() - self.started
        line = (
            f"{self.label} [{bar}] {done}/{self.total} "
            f"({cached} cached, {failed} failed) {elapsed:.1f}s"
        )
        if self.interactive:
            self.stream.write("\r" + line + ("\n" if done == self.total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def sweep(
    simulation,
    grid: dict | None = None,
    points=None,
    *,
    fixed: dict | None = None,
    progress=True,
    stop_on_error: bool = False,
    use_cache: bool = True,
) -> list:
    """Run ``simulation`` at every point; returns the ``RunResult`` of each, in order.

    ``progress`` is True (a bar on stderr), False, or a stream to draw on.
    Inputs are validated for every point before anything runs, so a typo in
    the last point fails at once rather than after an hour.
    """
    if (grid is None) == (points is None):
        raise TypeError("give exactly one of grid= or points=")
    if isinstance(simulation, str):
        from sim2l.runner.registry import load

        simulation = load(simulation)
    points = (
        grid_points(grid, fixed)
        if grid is not None
        else [{**(fixed or {}), **point} for point in points]
    )
    for index, point in enumerate(points):
        try:
            simulation.validate(**point)
        except InputValidationError as error:
            raise InputValidationError(
                error.simulation,
                error.input_name,
                error.rule,
                f"{error.detail} (sweep point {index})",
            ) from None
    bar = None
    if progress:
        bar = ProgressBar(
            len(points), f"{simulation.name} sweep", stream=None if progress is True else progress
        )
    results, cached, failed = [], 0, 0
    for done, point in enumerate(points, start=1):
        result = simulation.run_with(point, use_cache=use_cache, raise_on_failure=stop_on_error)
        results.append(result)
        cached += result.from_cache
        failed += not result.ok
        if bar:
            bar.update(done, cached, failed)
    return results
