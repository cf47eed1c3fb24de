"""No silent no-op training: runs that would make too few steps, or too few at a non-zero learning rate, are refused
before training; runs whose weights did not change fail before a candidate is written; the manifest records what
a run did."""

from __future__ import annotations

import json

import pytest

from harness.errors import HarnessError
from harness.manifest import CandidateManifest, load_manifest
from trainers import MIN_STEPS, plan_steps, train

from .conftest import tiny_config


def test_packed_run_of_too_few_steps_is_refused_naming_packing(tiny_base, small_train_file, tmp_path):
    config = tiny_config(tiny_base, small_train_file, tmp_path / "c", "lora", packing=True)
    with pytest.raises(HarnessError, match=r"2 optimizer step\(s\) \(22 rows packed into \d seq.*'packing' = false"):
        train(config)
    assert not (tmp_path / "c" / "candidate.json").exists() and not (tmp_path / "c" / ".work").exists()


def test_one_step_with_warmup_runs_at_learning_rate_zero(tiny_base, small_train_file, tmp_path):
    from trainers.sft import build_sft_trainer

    config = tiny_config(tiny_base, small_train_file, tmp_path / "c", "lora", packing=True, epochs=1)
    plan = plan_steps(build_sft_trainer(config)[0])
    assert (plan.batches_per_epoch, plan.steps, plan.warmup_steps, plan.zero_lr_steps) == (1, 1, 1, (0,))


def test_warmup_leaving_too_few_steps_at_nonzero_lr_is_refused(tiny_base, small_train_file, tmp_path):
    config = tiny_config(tiny_base, small_train_file, tmp_path / "c", "lora", batch_size=11, epochs=2.5)
    with pytest.raises(HarnessError, match=rf"1 of the run's {MIN_STEPS} optimizer steps would run at learning rate 0"
                                           r".*'warmup_ratio'"):
        train(config)


def test_no_assistant_token_within_max_length_is_refused(tiny_base, small_train_file, tmp_path):
    config = tiny_config(tiny_base, small_train_file, tmp_path / "c", "lora", max_length=4)
    with pytest.raises(HarnessError, match=r"no training token is in the loss.*'max_length'"):
        train(config)


def test_dpo_run_of_too_few_steps_is_refused(tiny_base, preference_file, tmp_path):
    config = tiny_config(tiny_base, preference_file, tmp_path / "c", "dpo", epochs=1)
    with pytest.raises(HarnessError, match=r"3 optimizer step\(s\) \(18 training rows.*'batch_size'"):
        train(config)


@pytest.mark.parametrize(("method", "what"), [("lora", "every lora_B matrix .* is still zero"),
                                               ("sft", "the model's weights are identical to the base")])
def test_training_that_changed_nothing_fails_before_writing(method, what, tiny_base, small_train_file, tmp_path):
    # 1e-50 is a valid learning rate that rounds every float32 update to 0: a run that steps but cannot move.
    config = tiny_config(tiny_base, small_train_file, tmp_path / "c", method, learning_rate=1e-50, warmup_ratio=0.0,
                         early_stopping_patience=None)
    with pytest.raises(HarnessError, match=rf"training changed nothing: after 6 optimizer step\(s\) {what}"):
        train(config)
    assert not any((tmp_path / "c").iterdir()), "nothing written, work dir removed: the same out can be reused"


def test_manifest_records_optimizer_steps_and_tokens(method_candidates, lora_candidate):
    for path in (method_candidates["sft"], lora_candidate):
        manifest = load_manifest(path)
        logged = [json.loads(line) for line in (path / "train_log.jsonl").read_text().splitlines()]
        training = manifest.training
        assert training.optimizer_steps == max(e["step"] for e in logged) >= MIN_STEPS
        assert training.epochs == manifest.config["epochs"]
        assert 0 < training.loss_tokens < training.tokens
        assert training.loss_mask == "template markers (chatml)"


def test_manifest_records_dpo_steps(dpo_candidate):
    training = load_manifest(dpo_candidate).training
    assert training.optimizer_steps >= MIN_STEPS and 0 < training.loss_tokens < training.tokens
    assert training.loss_mask is None, "DPO's loss is on the answers by construction: no mask to find"


def test_manifest_written_before_the_training_record_still_loads(lora_candidate):
    data = json.loads((lora_candidate / "candidate.json").read_text())
    del data["training"]
    assert CandidateManifest.model_validate(data).training.optimizer_steps is None
