"""No silent no-op training: refuse a run that would make too few optimizer steps, or too few at a non-zero
learning rate, and fail a run whose trained weights did not change; record what a run actually did.

A run of one optimizer step with warmup trains nothing: transformers' linear warmup gives step i the learning rate
``lr * i / warmup_steps``, so the first step of every warmup runs at 0. Packing makes this easy to hit by accident
(58 short rows pack into one sequence: one batch, one step). The plan is computed from the trainer as built, so
packing, batch size, gradient accumulation, epochs and the scheduler are exactly the ones training will use.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.manifest import TrainStats
from trainers.config import TrainConfig

# Fewer optimizer steps than this (at a non-zero learning rate) cannot move a model in any useful way.
MIN_STEPS = 5
# Elements compared per parameter tensor to tell whether full weights changed (a strided sample; any change counts).
SAMPLE = 1024


@dataclass(frozen=True)
class StepPlan:
    """The optimizer steps a built trainer will take, and which of them run at learning rate 0."""

    sequences: int
    batches_per_epoch: int
    steps: int
    warmup_steps: int
    zero_lr_steps: tuple[int, ...]

    @property
    def effective_steps(self) -> int:
        """Steps whose learning rate is above 0."""
        return self.steps - len(self.zero_lr_steps)


def plan_steps(trainer: Any) -> StepPlan:
    """Steps and learning rates as transformers' Trainer will compute them (``set_initial_training_values``)."""
    import torch
    from transformers import get_scheduler

    args = trainer.args
    sequences = len(trainer.train_dataset)
    per_batch = args.per_device_train_batch_size * max(1, args.world_size)
    batches = sequences // per_batch if args.dataloader_drop_last else math.ceil(sequences / per_batch)
    if args.max_steps > 0:
        steps = args.max_steps
    else:
        per_epoch = max(batches // args.gradient_accumulation_steps
                        + int(batches % args.gradient_accumulation_steps > 0), 1)
        steps = math.ceil(args.num_train_epochs * per_epoch) if batches else 0
    warmup = args.get_warmup_steps(steps)
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=args.learning_rate)
    scheduler = get_scheduler(args.lr_scheduler_type, optimizer, num_warmup_steps=warmup,
                              num_training_steps=max(steps, 1), scheduler_specific_kwargs=args.lr_scheduler_kwargs)
    factors = getattr(scheduler, "lr_lambdas", None)
    zero: tuple[int, ...] = ()
    if factors:  # every schedule transformers offers is a LambdaLR; step i runs at lr * factor(i)
        zero = tuple(i for i in range(steps) if factors[0](i) * args.learning_rate <= 0)
    return StepPlan(sequences, batches, steps, warmup, zero)


def check_plan(trainer: Any, config: TrainConfig, rows: int, work: Path) -> StepPlan:
    """Refuse, before training, a run that would make fewer than MIN_STEPS optimizer steps at a non-zero lr.

    Args:
        trainer: The built trainer (its train dataset already packed, for packed runs).
        config: The run's configuration; the errors name its fields.
        rows: Training rows before packing, for the message.
        work: The trainer's work directory, removed when the run is refused.

    Raises:
        HarnessError: naming the config fields to change.
    """
    try:
        return _check_plan(trainer, config, rows)
    except HarnessError:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _check_plan(trainer: Any, config: TrainConfig, rows: int) -> StepPlan:
    dataset = trainer.train_dataset
    if "labels" in dataset.column_names and not _loss_tokens(dataset):
        raise HarnessError(
            f"no training token is in the loss: every assistant turn of the {rows} training rows lies beyond "
            f"max_length = {config.max_length} tokens; raise config field 'max_length' or shorten the prompts")
    plan = plan_steps(trainer)
    packed = (f"{rows} rows packed into {plan.sequences} sequence(s) of up to max_length = {config.max_length} tokens"
              if config.packing and config.method != "dpo" else f"{plan.sequences} training rows")
    shape = (f"{packed} -> {plan.batches_per_epoch} batch(es) of batch_size = {config.batch_size} per epoch, "
             f"{config.grad_accum} batch(es) per optimizer step, epochs = {config.epochs:g}")
    if plan.steps < MIN_STEPS:
        fix = "'packing' = false (one row per sequence), " if config.packing and config.method != "dpo" else ""
        raise HarnessError(
            f"the run would make {plan.steps} optimizer step(s) ({shape}); at least {MIN_STEPS} are needed to "
            f"change the model. Change config fields {fix}'batch_size' (smaller), 'effective_batch_size' (smaller) "
            "or 'epochs' (more), or train on more rows (tunegate train: --no-packing, --batch-size, --epochs)")
    if plan.effective_steps < MIN_STEPS:
        raise HarnessError(
            f"{len(plan.zero_lr_steps)} of the run's {plan.steps} optimizer steps would run at learning rate 0 "
            f"(steps {list(plan.zero_lr_steps)[:8]}; warmup_ratio = {config.warmup_ratio:g} gives "
            f"{plan.warmup_steps} warmup step(s), the first at lr 0; lr_scheduler = {config.lr_scheduler!r}), "
            f"leaving {plan.effective_steps}, fewer than {MIN_STEPS}. Lower config field 'warmup_ratio' (e.g. 0), "
            f"or make more steps ({shape}): 'batch_size', 'packing', 'epochs' (tunegate train: --warmup-ratio 0)")
    return plan


def weight_sample(model: Any) -> dict[str, Any] | None:
    """A strided sample of every trainable parameter, to compare after training; None for adapters (their
    ``lora_B`` matrices start at zero, which is checked instead)."""
    named = list(model.named_parameters())
    if any("lora_B" in name for name, _ in named):
        return None
    return {name: _sample(p).clone() for name, p in named if p.requires_grad and _sample(p).numel()}


def _local(param: Any) -> Any:
    tensor = param.detach()
    return tensor.to_local() if hasattr(tensor, "to_local") else tensor  # FSDP2 shards are DTensors


def _sample(param: Any) -> Any:
    flat = _local(param).reshape(-1)
    return flat[:: max(1, flat.numel() // SAMPLE)][:SAMPLE]


def check_trained(trainer: Any, before: dict[str, Any] | None, work: Path) -> None:
    """Fail, after training and before anything is written, when the trained weights did not change.

    Adapters: every ``lora_B`` is still zero (so the adapter adds nothing). Full weights: every sampled element of
    every trainable parameter equals its value before training. The work directory is removed on failure, so the
    same ``out`` can be used again.
    """
    import torch

    model, steps = trainer.model, trainer.state.global_step
    rates = [e["learning_rate"] for e in trainer.state.log_history if "learning_rate" in e][:8]
    if before is None:
        lora_b = [_local(p) for name, p in model.named_parameters() if "lora_B" in name]
        lora_b = [p for p in lora_b if p.numel()]  # ZeRO-3 keeps empty placeholders on this process
        if lora_b and not any(bool(p.any()) for p in lora_b):
            what = f"every lora_B matrix ({len(lora_b)}) is still zero, so the adapter changes nothing"
        else:
            return
    else:
        after = {name: _sample(p) for name, p in model.named_parameters() if name in before}
        if not after or any(not torch.equal(before[name], value) for name, value in after.items()):
            return
        what = "the model's weights are identical to the base model's"
    shutil.rmtree(work, ignore_errors=True)
    raise HarnessError(
        f"training changed nothing: after {steps} optimizer step(s) {what} (logged learning rates {rates}). "
        "No candidate was written. Check the learning rate ('learning_rate', 'warmup_ratio', 'lr_scheduler') and "
        "that the training data reaches the loss ('max_length')")


def _loss_tokens(dataset: Any) -> int:
    import pyarrow.compute as pc

    labels = dataset.with_format("arrow")["labels"]  # with any filter or shuffle applied
    return int(pc.sum(pc.not_equal(pc.list_flatten(labels), -100)).as_py() or 0)


def _tokens(dataset: Any, column: str) -> int:
    import pyarrow.compute as pc

    return int(pc.sum(pc.list_value_length(dataset.with_format("arrow")[column])).as_py() or 0)


def train_stats(trainer: Any, loss_mask: str | None = None) -> TrainStats:
    """What the finished run did: steps, epochs, tokens trained on and how the loss mask was found."""
    state, dataset = trainer.state, trainer.train_dataset
    epochs = float(state.epoch or 0.0)
    columns = dataset.column_names
    tokens, loss = int(state.num_input_tokens_seen or 0), None
    if "labels" in columns:  # SFT: the trained data as trl prepared it (packed, truncated)
        tokens, loss = round(_tokens(dataset, "input_ids") * epochs), round(_loss_tokens(dataset) * epochs)
    elif "chosen_ids" in columns and "rejected_ids" in columns:  # DPO: the loss is on both answers
        loss = round((_tokens(dataset, "chosen_ids") + _tokens(dataset, "rejected_ids")) * epochs)
    return TrainStats(optimizer_steps=state.global_step, warmup_steps=trainer.args.get_warmup_steps(state.max_steps),
                      epochs=epochs, tokens=tokens, loss_tokens=loss, loss_mask=loss_mask)
