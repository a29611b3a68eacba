"""Printing for the command line: tables for people, JSON on request.

On a terminal tables are drawn by rich; in a pipe they are plain aligned text
that ``cut`` and ``awk`` can read. Numbers and durations are written the way a
person reads them (``2.61 ms``, ``1 h 02 min``, ``12,500``); ``--json`` gives
the raw values.
"""

import json
import sys


def duration(seconds) -> str:
    """``0.00261275`` -> ``2.61 ms``; ``42.5`` -> ``42.5 s``; ``3725`` -> ``1 h 02 min``."""
    if seconds is None:
        return "-"
    seconds = float(seconds)
    if seconds < 1:
        return f"{seconds * 1000:.3g} ms"
    if seconds < 60:
        return f"{seconds:.3g} s"
    minutes, remainder = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {remainder:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def number(value) -> str:
    """A value for a table cell: thousands separators, six significant digits, ``-`` for none."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e15 else f"{value:.6g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return str(value)


def table(
    rows: list[dict],
    columns: list[str],
    headers: list[str] | None = None,
    stream=None,
    formats: dict | None = None,
) -> None:
    """Print ``rows`` as a table of ``columns``; ``formats`` maps a column to its formatter."""
    stream = stream or sys.stdout
    headers = headers or [column.upper() for column in columns]
    formats = formats or {}
    cells = [[formats.get(column, number)(row.get(column)) for column in columns] for row in rows]
    if not rows:
        print("(none)", file=stream)
        return
    if stream.isatty():
        _rich_table(headers, cells, stream)
        return
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


def _rich_table(headers: list[str], cells: list[list[str]], stream) -> None:
    from rich.console import Console
    from rich.table import Table

    drawn = Table(box=None, header_style="bold", pad_edge=False)
    for header in headers:
        drawn.add_column(header, overflow="fold")
    for line in cells:
        drawn.add_row(*line)
    Console(file=stream).print(drawn)


def pairs(values: dict, stream=None, formats: dict | None = None) -> None:
    """Print ``name: value`` lines, names aligned."""
    stream = stream or sys.stdout
    formats = formats or {}
    width = max((len(name) for name in values), default=0)
    for name, value in values.items():
        print(f"{name.ljust(width)}  {formats.get(name, number)(value)}", file=stream)


def as_json(value) -> None:
    """Print ``value`` as indented JSON."""
    print(json.dumps(value, indent=2, default=str, sort_keys=False))


def warn(message: str) -> None:
    """A message for the person at the terminal, on stderr."""
    print(f"warning: {message}", file=sys.stderr)
