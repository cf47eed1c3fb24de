"""Console output behind one small interface: rich on a terminal, plain text in CI and files."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import sys
from decimal import Decimal
from typing import IO, Any

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

FORMATS = ("table", "csv", "json")
WHOLE_MAX = 200  # a space-free cell up to this long (an id, a fingerprint, a path) is never cut or wrapped


def console(stderr: bool = False) -> Console:
    """A rich console that degrades to plain text when not on a TTY or under CI."""
    stream = sys.stderr if stderr else sys.stdout
    plain = bool(os.environ.get("CI")) or not stream.isatty()
    return Console(file=stream, no_color=plain, highlight=not plain, width=120 if plain else None, soft_wrap=plain)


def table(title: str, columns: list[str], rows: list[list[Any]] | list[tuple[Any, ...]]) -> Table:
    """A rich table with stringified cells (None shown as a dash, never read as markup).

    A column whose cells have no spaces (ids, fingerprints, paths) keeps them whole: never wrapped or cut short,
    so what the screen shows can be pasted into ``promote`` or SQL. Other columns wrap between words; no column
    is narrower than its longest word (up to WHOLE_MAX), so nothing is cut with an ellipsis.
    """
    cells = [[fmt(v) for v in row] for row in rows]
    out = Table(title=title, title_justify="left")
    for i, column in enumerate(columns):
        values = [row[i] for row in cells]
        whole = bool(values) and all(cell_len(v) <= WHOLE_MAX and not any(c.isspace() for c in v) for v in values)
        longest = max((cell_len(word) for text in (column, *values) for word in text.split()), default=1)
        out.add_column(column, no_wrap=whole, min_width=min(longest, WHOLE_MAX), overflow="fold")
    for row in cells:
        out.add_row(*[Text(cell) for cell in row])
    return out


def print_table(screen: Console, out: Table) -> None:
    """Print ``out`` with every whole cell intact: a table wider than the screen is printed wider (the
    terminal wraps its lines) rather than cut."""
    needed = screen.measure(out, options=screen.options.update_width(10**6)).minimum  # every column at its minimum
    if needed > screen.width:
        screen.width = needed
    screen.print(out)


def _plain(value: Any) -> Any:
    """A value as JSON can hold it: ISO 8601 times, numbers for decimals, null for NaN and infinities."""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _unique(columns: list[str]) -> list[str]:
    """Column names as object keys: a repeated name gets a suffix (``a``, ``a_1``) so no value is lost."""
    seen: set[str] = set()
    names = []
    for column in columns:
        name, k = column, 0
        while name in seen:
            k += 1
            name = f"{column}_{k}"
        seen.add(name)
        names.append(name)
    return names


def emit_rows(columns: list[str], rows: list[tuple[Any, ...]] | list[list[Any]], output: str = "table",
              title: str = "", stream: IO[str] | None = None) -> None:
    """Write query results as a table (for people), CSV (header row, empty cell for NULL) or JSON (an array of
    one object per row), the machine-readable two on ``stream`` (default stdout) with no other text."""
    if output not in FORMATS:
        raise ValueError(f"format {output!r}: expected one of {', '.join(FORMATS)}")
    if output == "table":
        print_table(console(), table(title, columns, rows))
        return
    stream = stream or sys.stdout
    if output == "json":
        names = _unique(columns)
        json.dump([dict(zip(names, (_plain(v) for v in row), strict=True)) for row in rows], stream, indent=1)
        stream.write("\n")
        return
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        values = (_plain(v) for v in row)
        writer.writerow(["" if v is None else json.dumps(v) if isinstance(v, dict | list) else v for v in values])


def fmt(value: Any) -> str:
    """Compact cell text."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
