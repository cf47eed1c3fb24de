"""Progress: off a terminal one timestamped line per step (at most one per interval, the last always), on a
terminal a rich bar; training reports step, epoch, loss, validation loss and time left."""

from __future__ import annotations

import datetime as dt
import io
import re
from types import SimpleNamespace

from harness.report import Progress
from harness.report.progress import plain_line

STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"


def test_a_plain_line_says_count_share_elapsed_and_time_left():
    line = plain_line("task: generate candidate", 96, 320, "rows", 12.0, {"loss": "1.2"},
                      now=dt.datetime(2026, 5, 1, 12, 0, 3))
    assert line == ("2026-05-01 12:00:03 task: generate candidate: 96/320 rows (30%), 12s elapsed, about 28s left, "
                    "loss 1.2")


def test_off_a_terminal_each_step_is_one_timestamped_line():
    stream = io.StringIO()
    with Progress("generate candidate", 30, "rows", live=False, interval=0.0, stream=stream) as bar:
        for _ in range(3):
            bar.update(advance=10)
    lines = stream.getvalue().splitlines()
    assert [re.sub(STAMP, "T", line).split(",")[0] for line in lines] == [
        "T generate candidate: 10/30 rows (33%)", "T generate candidate: 20/30 rows (67%)",
        "T generate candidate: 30/30 rows (100%)"]
    assert "left" in lines[0] and "left" not in lines[-1]


def test_off_a_terminal_lines_are_throttled_but_the_last_and_milestones_print():
    stream = io.StringIO()
    with Progress("train", 100, "steps", live=False, interval=3600.0, stream=stream) as bar:
        for step in range(1, 101):
            bar.update(done=step, force=step == 50)
        bar.update(done=100, force=True)  # the same line again is not repeated
    counts = [re.search(r"(\d+)/100", line).group(1) for line in stream.getvalue().splitlines()]
    assert counts == ["1", "50", "100"]


def test_on_a_terminal_a_bar_with_counts():
    stream = io.StringIO()
    with Progress("generate baseline", 16, "rows", live=True, stream=stream) as bar:
        bar.update(advance=16)
    assert "generate baseline" in stream.getvalue() and "16/16" in stream.getvalue()


def test_training_progress_reports_step_epoch_loss_and_validation(capsys):
    from trainers.progress import TrainProgress

    args = SimpleNamespace(num_train_epochs=2)
    state = SimpleNamespace(max_steps=4, global_step=0, epoch=0.0, num_input_tokens_seen=0, log_history=[],
                            is_world_process_zero=True)
    callback = TrainProgress(interval=0.0)
    callback.on_train_begin(args, state, None)
    for step in range(1, 5):
        state.global_step, state.epoch, state.num_input_tokens_seen = step, step / 2, 100 * step
        callback.on_step_end(args, state, None)
        state.log_history.append({"loss": 2.0 / step})
        callback.on_log(args, state, None, logs={"loss": 2.0 / step})
        if step % 2 == 0:
            state.log_history.append({"eval_loss": 1.5})
            callback.on_log(args, state, None, logs={"eval_loss": 1.5})
    callback.on_train_end(args, state, None)
    lines = capsys.readouterr().err.splitlines()
    assert all(re.match(STAMP + " train: ", line) for line in lines), lines
    assert re.search(r"train: 2/4 steps \(50%\), \d+s elapsed, about \d+s left, epoch 1\.00/2, loss 1\.000",
                     "\n".join(lines))
    assert lines[-1].split(", ", 2)[0].endswith("train: 4/4 steps (100%)") and "val 1.500" in lines[-1]
    assert all(event.get("logged_at") for event in state.log_history)
