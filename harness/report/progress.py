"""Progress of one long step (generation batches, training steps): counts and time left.

On a terminal, a rich bar (``label  ━━━━━━  96/320 rows  loss 1.23  0:00:12 elapsed  0:00:41 left``);
elsewhere (CI logs, ``| tee``, a file) one timestamped line per step, at most one per ``interval`` seconds plus
the last and any milestone::

    2026-05-01 12:00:03 task: generate candidate: 96/320 rows (30%), 12s elapsed, about 28s left

Inside a pytest run the plugin passes ``guard`` (pytest's "capture disabled" context), so what is written reaches
the terminal or the CI log while the suites run instead of pytest's capture buffer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import IO, Any

Guard = Callable[[], AbstractContextManager[Any]]
TIMESTAMP = "%Y-%m-%d %H:%M:%S"


def on_terminal(stream: IO[str] | None = None) -> bool:
    """Whether ``stream`` (default stderr) is an interactive terminal, and not a CI job's pseudo-terminal."""
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("CI")


def _seconds(value: float) -> str:
    value = max(0.0, value)
    if value < 90:
        return f"{value:.0f}s"
    minutes, seconds = divmod(int(value), 60)
    return f"{minutes}m{seconds:02d}s" if minutes < 90 else f"{minutes // 60}h{minutes % 60:02d}m"


def plain_line(label: str, done: int, total: int | None, unit: str, elapsed: float,
               fields: dict[str, str] | None = None, now: dt.datetime | None = None) -> str:
    """The off-terminal form of one update: timestamp, label, count, share, elapsed, time left, fields."""
    stamp = (now or dt.datetime.now()).strftime(TIMESTAMP)
    count = f"{done}/{total} {unit}" if total else f"{done} {unit}"
    parts = [f"{count} ({100 * done / total:.0f}%)" if total else count, f"{_seconds(elapsed)} elapsed"]
    if total and 0 < done < total:
        parts.append(f"about {_seconds(elapsed * (total - done) / done)} left")
    parts += [f"{key} {value}" for key, value in (fields or {}).items()]
    return f"{stamp} {label}: {', '.join(parts)}"


class Progress:
    """Counts and time left for one step; use as a context manager and call ``update`` as work completes.

    Args:
        label: what is being done ("task: generate candidate", "train A").
        total: units in all (None when unknown).
        unit: what is counted ("rows", "steps").
        live: a rich bar (True) or timestamped lines (False); default: a bar only on an interactive terminal.
        guard: a context manager every write happens inside (pytest's capture suspension); default none.
        interval: off a terminal, the fewest seconds between two lines (the last update is always written).
        stream: where lines go (default stderr, looked up at each write so a guard's restored stream is used).
    """

    def __init__(self, label: str, total: int | None, unit: str = "rows", *, live: bool | None = None,
                 guard: Guard | None = None, interval: float = 2.0, stream: IO[str] | None = None) -> None:
        self.label, self.total, self.unit = label, total, unit
        self.guard: Guard = guard or contextlib.nullcontext
        self.interval = interval
        self._stream = stream
        self._live = live
        self._began = time.perf_counter()
        self._printed = -float("inf")
        self._last: tuple[Any, ...] = ()
        self._ended = False  # the line of the last unit was written (later ones need force or the interval)
        self.done = 0
        self.fields: dict[str, str] = {}
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        with self.guard():
            live = on_terminal(self._stream) if self._live is None else self._live
            if live:
                self._start_bar()
        return self

    def _start_bar(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar

        bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn(self.unit),
                  TextColumn("{task.fields[extra]}"), TimeElapsedColumn(), TextColumn("elapsed"),
                  TimeRemainingColumn(), TextColumn("left"),
                  console=Console(file=self._stream, stderr=self._stream is None), auto_refresh=False,
                  redirect_stdout=False, redirect_stderr=False)
        bar.start()
        self._task = bar.add_task(self.label, total=self.total, extra="")
        self._bar = bar
        bar.refresh()

    def update(self, done: int | None = None, advance: int = 0, force: bool = False, **fields: Any) -> None:
        """Set (``done``) or add to (``advance``) the completed count, and any named fields (``loss=...``).

        Off a terminal a line is written when ``interval`` has passed since the last, at the end, or when
        ``force`` (a milestone).
        """
        self.done = done if done is not None else self.done + advance
        self.fields.update({k: v if isinstance(v, str) else f"{v:.4g}" for k, v in fields.items()})
        with self.guard():
            if self._bar is not None:
                extra = "  ".join(f"{k} {v}" for k, v in self.fields.items())
                self._bar.update(self._task, completed=self.done, extra=extra)
                self._bar.refresh()
                return
            now = time.perf_counter()
            last = self.total is not None and self.done >= self.total and not self._ended
            self._ended = self._ended or last
            key = (self.done, tuple(self.fields.items()))
            if key != self._last and (last or force or now - self._printed >= self.interval):
                self._printed, self._last = now, key
                self.write(plain_line(self.label, self.done, self.total, self.unit, now - self._began, self.fields))

    def write(self, line: str) -> None:
        """One line above the bar (or alone off a terminal)."""
        if self._bar is not None:
            self._bar.console.print(line, markup=False, highlight=False)
            return
        stream = self._stream or sys.stderr
        stream.write(line + "\n")
        stream.flush()

    def __exit__(self, *exc: object) -> None:
        with self.guard():
            if self._bar is not None:
                self._bar.refresh()
                self._bar.stop()
                self._bar = None


def milestone(text: str, stream: IO[str] | None = None, guard: Guard | None = None) -> None:
    """One timestamped line for a milestone (a phase starting or ending), on a terminal or not."""
    with (guard or contextlib.nullcontext)():
        target = stream or sys.stderr
        target.write(f"{dt.datetime.now().strftime(TIMESTAMP)} {text}\n")
        target.flush()
