"""Training progress: step, epoch, loss, validation loss, tokens/s and time left, and the throughput the train log
records.

A transformers ``TrainerCallback``, so every trl trainer drives it the same way. On a terminal it draws a rich bar
(``train  ━━━━━━  120/800 steps  epoch 0.60/4  loss 1.2345  val 1.3012  4210 tok/s  0:00:31 elapsed  0:02:55
left``); elsewhere (CI logs, ``| tee``) it writes one timestamped line at most every ``interval`` seconds, plus one
at each evaluation and at the end (``harness.report.Progress``). In quiet mode it draws nothing but still records
tokens/s.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from transformers import TrainerCallback

PLAIN_INTERVAL = 10.0  # seconds between two progress lines off a terminal (evaluations and the end always print)


class TrainProgress(TrainerCallback):
    """Progress for one training run; adds ``tokens_per_s`` and ``logged_at`` to each log event."""

    def __init__(self, quiet: bool = False, label: str = "train", interval: float = PLAIN_INTERVAL) -> None:
        self.quiet = quiet
        self.label = label
        self.interval = interval
        self._progress: Any = None
        self._epochs = 0.0
        self._mark = (0.0, 0)

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._mark = (time.perf_counter(), state.num_input_tokens_seen)
        if self.quiet or not state.is_world_process_zero:
            return
        from harness.report import Progress

        self._epochs = float(args.num_train_epochs)
        self._progress = Progress(self.label, state.max_steps or None, "steps", interval=self.interval).__enter__()
        self._progress.update(done=state.global_step, epoch=self._epoch(state))

    def _epoch(self, state: Any) -> str:
        return f"{state.epoch or 0.0:.2f}/{self._epochs:g}"

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._progress is not None:
            self._progress.update(done=state.global_step, epoch=self._epoch(state))

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
        fields: dict[str, str] = {"epoch": self._epoch(state)}
        if "loss" in logs:
            fields["loss"] = f"{logs['loss']:.4f}"
            if "tokens_per_s" in event:
                fields["tok/s"] = f"{event['tokens_per_s']:.0f}"
        if "eval_loss" in logs:
            fields["val"] = f"{logs['eval_loss']:.4f}"
        # an evaluation is a milestone: its line is written whatever the interval
        self._progress.update(done=state.global_step, force="eval_loss" in logs, **fields)

    def on_evaluate(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._mark = (time.perf_counter(), state.num_input_tokens_seen)  # evaluation time is not training time

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._progress is not None:
            self._progress.update(done=state.global_step, force=True, epoch=self._epoch(state))
            self._progress.__exit__(None, None, None)
            self._progress = None
