"""Training progress: a rich bar with loss, tokens/s and ETA, and the throughput the train log records.

A transformers ``TrainerCallback``, so every trl trainer drives it the same way. In quiet mode (CI) it draws
nothing but still records tokens/s.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from transformers import TrainerCallback


class TrainProgress(TrainerCallback):
    """Rich progress for one training run; adds ``tokens_per_s`` and ``logged_at`` to each log event."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self._progress: Any = None
        self._task: Any = None
        self._mark = (0.0, 0)

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._mark = (time.perf_counter(), state.num_input_tokens_seen)
        if self.quiet or not state.is_world_process_zero:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        from harness.report import console

        self._progress = Progress(
            TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"), TextColumn("val {task.fields[val]}"),
            TextColumn("{task.fields[tps]} tok/s"), TextColumn("ETA"), TimeRemainingColumn(),
            console=console(stderr=True), transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task("train", total=state.max_steps, loss="—", val="—", tps="—")

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=state.global_step)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        logs = logs or {}
        event = state.log_history[-1] if state.log_history else {}
        event["logged_at"] = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat()
        if "loss" in logs:
            now, tokens = time.perf_counter(), state.num_input_tokens_seen
            then, before = self._mark
            if now > then and tokens > before:
                event["tokens_per_s"] = (tokens - before) / (now - then)
            self._mark = (now, tokens)
        if self._progress is None:
            return
        fields: dict[str, str] = {}
        if "loss" in logs:
            fields["loss"] = f"{logs['loss']:.4f}"
            if "tokens_per_s" in event:
                fields["tps"] = f"{event['tokens_per_s']:.0f}"
        if "eval_loss" in logs:
            fields["val"] = f"{logs['eval_loss']:.4f}"
        self._progress.update(self._task, **fields)

    def on_evaluate(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._mark = (time.perf_counter(), state.num_input_tokens_seen)  # evaluation time is not training time

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=state.global_step)
            self._progress.stop()
            self._progress = None
