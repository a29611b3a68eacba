"""Run every distribution's benchmarks and print one table.

A benchmark is any ``benchmarks/bench_*.py`` file in a distribution folder. It
is run as a script and reports figures by printing lines of the form::

    BENCH {"figure": "...", "value": 1.0, "unit": "ops/s",
           "baseline": 2.0, "baseline_name": "...", "ratio": 0.5}

``baseline`` and ``ratio`` may be null when a figure has no baseline.
Everything else a benchmark prints is passed through, so progress stays visible.
"""

import json
import subprocess
import sys
from pathlib import Path

PREFIX = "BENCH "


def run_benchmark(script: Path) -> list[dict]:
    """Run one benchmark script and collect the figures it reports."""
    print(f"--- {script}", flush=True)
    process = subprocess.Popen(
        [sys.executable, str(script.resolve())],
        cwd=script.parent.parent,
        stdout=subprocess.PIPE,
        text=True,
    )
    figures = []
    for line in process.stdout:
        if line.startswith(PREFIX):
            figure = json.loads(line[len(PREFIX) :])
            figure.setdefault("source", str(script))
            figures.append(figure)
        else:
            print("    " + line.rstrip(), flush=True)
    if process.wait() != 0:
        figures.append({"figure": f"{script} FAILED (exit {process.returncode})", "value": None})
    return figures


def format_number(value) -> str:
    """Format a figure's value compactly for the table."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def print_table(figures: list[dict]) -> None:
    """Print figure, value, baseline and ratio as an aligned text table."""
    rows = [("figure", "value", "baseline", "ratio")]
    for figure in figures:
        unit = figure.get("unit", "")
        value = format_number(figure.get("value"))
        baseline = format_number(figure.get("baseline"))
        if figure.get("baseline_name"):
            baseline = f"{baseline} ({figure['baseline_name']})"
        ratio = figure.get("ratio")
        rows.append(
            (
                figure["figure"],
                f"{value} {unit}".strip(),
                baseline,
                "-" if ratio is None else f"{ratio:.2f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def main(distributions: list[str]) -> int:
    """Run the benchmarks of the given distribution folders."""
    figures = []
    for distribution in distributions:
        for script in sorted(Path(distribution).glob("benchmarks/bench_*.py")):
            figures.extend(run_benchmark(script))
    print()
    print_table(figures)
    return 1 if any(f.get("value") is None for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
