"""Sweeps fanned out to worker processes: the speed-up, and what the executor path costs per point.

Figures (all in the same run, so ratios are comparable):

- a sweep of 200 points of a CPU-bound simulation (about 50 ms of CPU each,
  the whole path: validate, hash, record a run file) with ``workers=2``
  against ``workers=1`` on this machine: the speed-up, target >= 1.7x on 2
  cores. Measured in ``REPEATS`` alternating pairs; the median pair is
  reported and the spread (lowest and highest speed-up of the pairs) printed,
  because the machine is shared. After each pair the same CPU work runs in a
  bare ``multiprocessing.Pool`` of 1 and of 2: the speed-up the machine itself
  allows at that moment, the baseline of the speed-up figure;
- the cost per point of a trivial simulation swept through the executor path
  (a process pool of 1 and of 2, a Dask ``LocalCluster`` of 2 worker
  processes) against calling ``run`` in a loop (the baseline), and the
  default sweep in this process.

Run: ``.venv/bin/python tools/bench_report.py sim2l-core`` (or this file
directly; ``SIM2L_BENCH_SWEEP_REPEATS=1`` for a quicker look). Measures and
prints; asserts nothing. About 50 s on an idle 2-core machine.
"""

import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

# Read before the environment is cleaned below (it names SIM2L_ variables).
REPEATS = int(os.environ.get("SIM2L_BENCH_SWEEP_REPEATS") or 3)

# A private home before anything sim2l reads the environment. The sweep's worker
# processes import this module too (to find burn()): they share the home main()
# made and removes, rather than each leaving an empty one in /tmp.
_SHARED_HOME = "SIM2L_BENCH_SWEEP_HOME"
HOME = Path(os.environ.get(_SHARED_HOME) or tempfile.mkdtemp(prefix="sim2l-bench-sweep-"))
for _name in [name for name in os.environ if name.startswith("SIM2L_")]:
    del os.environ[_name]
os.environ["SIM2L_HOME"] = str(HOME)
os.environ[_SHARED_HOME] = str(HOME)

import sim2l  # noqa: E402
from sim2l.runner import Input  # noqa: E402
from sim2l.runner import Output  # noqa: E402
from sim2l.runner import Simulation  # noqa: E402
from sim2l_service_kit.testing.benchmarking import report  # noqa: E402

POINTS = 200
TARGET_SECONDS = 0.050
OVERHEAD_POINTS = 200
MACHINE_POINTS = 40  # the bare multiprocessing baseline, run after every pair


def burn(rounds: int) -> int:
    """Pure-Python CPU work (holds the GIL, as most scientific Python glue does)."""
    total = 0
    for value in range(rounds):
        total = (total * 31 + value) % 1_000_000_007
    return total


def cpu_bound(x, rounds):
    """About 50 ms of CPU per point (``rounds`` is calibrated at start)."""
    return {"y": burn(rounds) + x}


def trivial(x):
    """No work at all: what is left is sim2l's own cost per point."""
    return {"y": 2 * x}


CPU_BOUND = Simulation(
    cpu_bound,
    name="bench_cpu_bound",
    inputs={"x": Input("number"), "rounds": Input("integer")},
    outputs={"y": Output("number")},
)
TRIVIAL = Simulation(
    trivial, name="bench_trivial", inputs={"x": Input("number")}, outputs={"y": Output("number")}
)


def cpu_seconds(result) -> float:
    """The CPU time the runner recorded for the simulation function of ``result``."""
    with result.run_db as run_db:
        seconds = run_db.get_metrics(name="cpu_time")[0]["value"]
    result.close()
    return seconds


def calibrate() -> int:
    """Rounds of ``burn`` that cost about ``TARGET_SECONDS`` of CPU per point inside a run.

    Measured through ``run`` itself, so anything the runner does around the
    function is counted; and in CPU time, not wall time, which on a busy
    machine would count the time others ran.
    """
    rounds = 100_000
    for _ in range(2):
        spent = [
            cpu_seconds(CPU_BOUND.run_with({"x": float(i), "rounds": rounds}, use_cache=False))
            for i in range(5)
        ]
        rounds = int(rounds * TARGET_SECONDS / statistics.median(spent))
    return rounds


def machine_speed_up(rounds: int) -> float:
    """What this machine allows right now: the same CPU work, 2 processes against 1, no sim2l."""
    work = [rounds] * MACHINE_POINTS
    seconds = {}
    for processes in (1, 2):
        with multiprocessing.Pool(processes) as pool:
            started = time.perf_counter()
            pool.map(burn, work, chunksize=1)
            seconds[processes] = time.perf_counter() - started
    return seconds[1] / seconds[2]


def timed_sweep(simulation, points, **options) -> float:
    """Seconds one sweep takes (every point must complete)."""
    started = time.perf_counter()
    results = sim2l.sweep(simulation, points=points, progress=False, use_cache=False, **options)
    elapsed = time.perf_counter() - started
    assert len(results) == len(points) and all(result.ok for result in results)
    return elapsed


def speed_up(rounds: int) -> None:
    points = [{"x": float(index), "rounds": rounds} for index in range(POINTS)]
    pairs, machine = [], []
    for repeat in range(REPEATS):
        one = timed_sweep(CPU_BOUND, points, workers=1)
        two = timed_sweep(CPU_BOUND, points, workers=2)
        pairs.append((one, two))
        machine.append(machine_speed_up(rounds))
        print(
            f"  pair {repeat + 1}: 1 worker {one:.2f} s, 2 workers {two:.2f} s, "
            f"speed-up {one / two:.2f}x; the machine's own 2-vs-1 speed-up on the same "
            f"work just after: {machine[-1]:.2f}x"
        )
    ratios = sorted(one / two for one, two in pairs)
    one, two = sorted(pairs, key=lambda pair: pair[0] / pair[1])[len(pairs) // 2]
    report(
        f"sweep of {POINTS} x ~50 ms CPU points, 2 workers",
        two,
        "s",
        one,
        "1 worker",
        ratio=one / two,
    )
    report(
        "speed-up 2 workers vs 1 (target >= 1.7), median pair",
        one / two,
        "x",
        statistics.median(machine),
        "same work, bare multiprocessing",
    )
    print(
        f"  speed-up over {REPEATS} pairs: median {statistics.median(ratios):.2f}x, "
        f"lowest {ratios[0]:.2f}x, highest {ratios[-1]:.2f}x; the machine's own: "
        f"{', '.join(f'{value:.2f}x' for value in machine)} "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )


def per_point_overhead() -> None:
    points = [{"x": float(index)} for index in range(OVERHEAD_POINTS)]
    TRIVIAL.run_with(points[0], use_cache=False)  # imports, first run file

    started = time.perf_counter()
    for point in points:
        TRIVIAL.run_with(point, use_cache=False)
    loop_ms = (time.perf_counter() - started) / len(points) * 1000
    report("run in a loop, trivial simulation, per point", loop_ms, "ms", loop_ms, "run loop")

    paths = {
        "sweep in this process (default)": {},
        "sweep, process pool of 1 (workers=1)": {"workers": 1},
        "sweep, process pool of 2 (workers=2)": {"workers": 2},
    }
    for name, options in paths.items():
        per_point = timed_sweep(TRIVIAL, points, **options) / len(points) * 1000
        report(f"{name}, per point", per_point, "ms", loop_ms, "run loop")

    import dask
    import distributed

    started = time.perf_counter()
    with (
        # the scheduler's and workers' scratch space: removed with HOME, not left in /tmp
        dask.config.set({"temporary-directory": str(HOME / "dask")}),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.wait_for_workers(2, timeout=60)
        startup = time.perf_counter() - started
        timed_sweep(TRIVIAL, points[:10], executor=client)  # workers import sim2l
        per_point = timed_sweep(TRIVIAL, points, executor=client) / len(points) * 1000
    report(
        "sweep, Dask LocalCluster of 2 processes, per point", per_point, "ms", loop_ms, "run loop"
    )
    print(f"  (the LocalCluster itself took {startup:.1f} s to start; not counted above)")


def main() -> int:
    try:
        sim2l.configure(run_db_base_path=HOME / "runs")
        rounds = calibrate()
        print(
            f"  {rounds} rounds of burn() cost about {TARGET_SECONDS * 1000:.0f} ms of CPU in a run"
        )
        speed_up(rounds)
        per_point_overhead()
    finally:
        shutil.rmtree(HOME, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
