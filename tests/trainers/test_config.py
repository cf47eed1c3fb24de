"""Training config files: TOML or YAML, defaults as documented, every fault names the field."""

from __future__ import annotations

import pytest

from harness.errors import HarnessError
from trainers import TrainConfig


def test_defaults_are_the_documented_recipe():
    config = TrainConfig(base="b", train="t", out="o")
    assert (config.method, config.r, config.alpha, config.dropout) == ("lora", 16, 32, 0.05)
    assert config.target_modules == ["q_proj", "k_proj", "v_proj", "o_proj"]
    assert (config.learning_rate, config.lr_scheduler, config.epochs, config.packing) == (2e-4, "cosine", 3, True)


def test_effective_batch_size_is_reached_by_accumulation():
    assert TrainConfig(base="b", train="t", out="o", batch_size=4, effective_batch_size=32).grad_accum == 8


@pytest.mark.parametrize("text", [
    'base = "b"\ntrain = "t"\nout = "o"\nmethod = "qlora"\ntarget_modules = "all-linear"\n',
    '[train]\nbase = "b"\ntrain = "t"\nout = "o"\nmethod = "qlora"\ntarget_modules = "all-linear"\n',
])
def test_toml_top_level_or_train_table(tmp_path, text):
    path = tmp_path / "train.toml"
    path.write_text(text)
    config = TrainConfig.from_file(path)
    assert (config.train, config.method, config.target_modules) == ("t", "qlora", "all-linear")


def test_yaml_config_with_cli_overrides(tmp_path):
    path = tmp_path / "train.yaml"
    path.write_text("base: b\ntrain: t\nout: o\nmethod: dpo\nbeta: 0.2\nepochs: 2\n")
    config = TrainConfig.from_file(path, epochs=1.0, out="elsewhere")
    assert (config.method, config.beta, config.epochs, config.out) == ("dpo", 0.2, 1.0, "elsewhere")


@pytest.mark.parametrize("line, field", [
    ('r = "16"', "'r'"),
    ("packing = 1", "'packing'"),
    ('target_modules = ["q_proj", 3]', "'target_modules'"),
    ("learning_rat = 1e-4", "learning_rat"),
    ('method = "ppo"', "'method'"),
    ("dropout = 1.5", "'dropout'"),
    ('lr_scheduler = "cosin"', "'lr_scheduler'"),
    ('target_modules = "everything"', "'target_modules'"),
    ("batch_size = 4\neffective_batch_size = 10", "'effective_batch_size'"),
    ("eval_steps = 0", "'eval_steps'"),
])
def test_bad_fields_are_named(tmp_path, line, field):
    path = tmp_path / "train.toml"
    path.write_text(f'base = "b"\ntrain = "t"\nout = "o"\n{line}\n')
    with pytest.raises(HarnessError, match=field):
        TrainConfig.from_file(path)


def test_many_epochs_warn():
    with pytest.warns(UserWarning, match="more than 4 epochs"):
        TrainConfig(base="b", train="t", out="o", epochs=6)


def test_missing_inputs_fail_before_training(tmp_path, tiny_base):
    from trainers import train

    with pytest.raises(HarnessError, match="'train'"):
        train(TrainConfig(base=str(tiny_base), train=str(tmp_path / "nope.jsonl"), out=str(tmp_path / "c")))
