"""Console output behind one small interface: rich on a terminal, plain text in CI and files."""

from __future__ import annotations

import os
import sys
from typing import Any

from rich.console import Console
from rich.table import Table


def console(stderr: bool = False) -> Console:
    """A rich console that degrades to plain text when not on a TTY or under CI."""
    stream = sys.stderr if stderr else sys.stdout
    plain = bool(os.environ.get("CI")) or not stream.isatty()
    return Console(file=stream, no_color=plain, highlight=not plain, width=120 if plain else None, soft_wrap=plain)


def table(title: str, columns: list[str], rows: list[list[Any]] | list[tuple[Any, ...]]) -> Table:
    """A rich table with stringified cells (None shown as a dash)."""
    out = Table(title=title, title_justify="left")
    for column in columns:
        out.add_column(column)
    for row in rows:
        out.add_row(*[fmt(v) for v in row])
    return out


def fmt(value: Any) -> str:
    """Compact cell text."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
