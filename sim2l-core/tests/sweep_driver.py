"""A sweep in a process of its own, for the tests that signal it or race two of them.

``python sweep_driver.py '{"settings": {...}, "points": [...], "workers": 2}'``
configures sim2l with ``settings``, prints ``ready``, waits for a line on
stdin when ``"wait_for_go"`` is set (so two drivers start their sweeps
together), runs ``sweep_square`` over ``points``, prints ``done N`` after each
point, and ends with one line ``RESULT {json}``.
"""

import json
import signal
import sys

import sim2l
from sweep_simulations import sweep_square


def main() -> int:
    config = json.loads(sys.argv[1])
    # A shell that ran the tests in the background left SIGINT ignored, and
    # Python keeps that; what is tested is a Ctrl-C reaching a sweep.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sim2l.configure(**config["settings"])
    print("ready", flush=True)
    if config.get("wait_for_go"):
        sys.stdin.readline()
    results = sim2l.sweep(
        sweep_square,
        points=config["points"],
        workers=config.get("workers"),
        progress=False,
        on_progress=lambda state: print(f"done {state.done}", flush=True),
    )
    summary = {
        "interrupted": results.interrupted,
        "done": len(results),
        "not_run": len(results.not_run),
        "cached": [result.inputs["x"] for result in results if result.from_cache],
        "failed": [result.inputs["x"] for result in results if not result.ok],
        "x": [result.inputs["x"] for result in results],
    }
    print("RESULT " + json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
