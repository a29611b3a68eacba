"""Simulations the sweep tests send to worker processes.

They live in a module of their own, as a user's simulations would, so worker
processes (a process pool, Dask workers) import them by name. Each execution
appends one line ``x pid`` to its ``journal`` file, so a test counts how
often each point ran and where, whatever process ran it.
"""

import os

import sim2l
from sim2l.runner import Input
from sim2l.runner import Output


def _journal(journal: str, x) -> None:
    if journal:
        # One short write in append mode: lines from many processes never interleave.
        with open(journal, "a", encoding="utf-8") as file:
            file.write(f"{x} {os.getpid()}\n")


def _spin(rounds: int) -> int:
    """CPU work: a few ms per thousand rounds, so a point lasts long enough to interrupt."""
    total = 0
    for value in range(rounds * 1000):
        total = (total + value * value) % 1_000_003
    return total


@sim2l.simulation(
    name="sweep_square",
    version="1.0.0",
    inputs={
        "x": Input("number"),
        "journal": Input("string", default=""),
        "spin": Input("integer", default=0, min=0),
    },
    outputs={
        "y": Output("number", units="m2"),
        "pid": Output("integer"),
        "run_folder": Output("string"),
        "cache_url": Output("string"),
    },
)
def sweep_square(x, journal, spin):
    """y = x * x; fails for a negative x; reports the process and the settings it ran with."""
    _journal(journal, x)
    _spin(spin)
    if x < 0:
        raise ValueError(f"negative x: {x}")
    settings = sim2l.get_settings()
    return {
        "y": x * x,
        "pid": os.getpid(),
        "run_folder": str(settings.run_db_base_path),
        "cache_url": settings.cache_service_url or "",
    }


@sim2l.simulation(
    name="sweep_crash",
    version="1.0.0",
    inputs={"x": Input("number"), "journal": Input("string", default="")},
    outputs={"y": Output("number")},
)
def sweep_crash(x, journal):
    """y = x, except that x = 13 ends its worker process on the spot (a segfault, an OOM kill)."""
    _journal(journal, x)
    if x == 13:
        os._exit(3)
    return {"y": x}


def journal_counts(journal) -> dict[float, int]:
    """How often each x ran, from a journal file."""
    counts: dict[float, int] = {}
    if not os.path.exists(journal):
        return counts
    with open(journal, encoding="utf-8") as file:
        for line in file:
            x = float(line.split()[0])
            counts[x] = counts.get(x, 0) + 1
    return counts
