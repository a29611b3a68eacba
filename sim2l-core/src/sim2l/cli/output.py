"""Printing for the command line: aligned tables for people, JSON on request."""

import json
import sys


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return str(value)


def table(
    rows: list[dict], columns: list[str], headers: list[str] | None = None, stream=None
) -> None:
    """Print ``rows`` as an aligned text table of ``columns``."""
    stream = stream or sys.stdout
    headers = headers or [column.upper() for column in columns]
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [
        max([len(header)] + [len(line[index]) for line in cells])
        for index, header in enumerate(headers)
    ]
    print(
        "  ".join(header.ljust(width) for header, width in zip(headers, widths, strict=True)),
        file=stream,
    )
    for line in cells:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip(),
            file=stream,
        )
    if not rows:
        print("(none)", file=stream)


def pairs(values: dict, stream=None) -> None:
    """Print ``name: value`` lines, names aligned."""
    stream = stream or sys.stdout
    width = max((len(name) for name in values), default=0)
    for name, value in values.items():
        print(f"{name.ljust(width)}  {_cell(value)}", file=stream)


def as_json(value) -> None:
    """Print ``value`` as indented JSON."""
    print(json.dumps(value, indent=2, default=str, sort_keys=False))


def warn(message: str) -> None:
    """A message for the person at the terminal, on stderr."""
    print(f"warning: {message}", file=sys.stderr)
