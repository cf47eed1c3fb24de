"""Scale-out: the shipped accelerate configs parse, and `accelerate launch -m trainers` trains on one CPU process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import trainers
from harness.manifest import load_manifest

CONFIGS = Path(trainers.__file__).parent / "accelerate"


@pytest.mark.parametrize("name, kind", [("fsdp.yaml", "FSDP"), ("deepspeed_zero3.yaml", "DEEPSPEED"),
                                        ("cpu_single.yaml", "NO")])
def test_accelerate_configs_parse(name, kind):
    from accelerate.commands.config.config_args import load_config_from_file

    config = load_config_from_file(str(CONFIGS / name))
    assert config.distributed_type.value == kind
    if kind == "DEEPSPEED":
        assert config.deepspeed_config["zero_stage"] == 3
    if kind == "FSDP":
        assert config.fsdp_config["fsdp_auto_wrap_policy"] == "TRANSFORMER_BASED_WRAP"


def test_module_entry_point_is_tunegate_train():
    result = subprocess.run([sys.executable, "-m", "trainers", "--help"], capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=str(Path(trainers.__file__).parent.parent)))
    assert result.returncode == 0, result.stderr
    assert "--method" in result.stdout and "--no-db" in result.stdout


def test_accelerate_launch_trains_on_one_cpu_process(tiny_base, small_train_file, tmp_path):
    config = tmp_path / "train.toml"
    config.write_text(f'base = "{tiny_base}"\ntrain = "{small_train_file}"\nepochs = 1\nquiet = true\n'
                      "packing = false\nbatch_size = 4\n")  # packed, 22 tiny rows are one step: refused
    out = tmp_path / "cand"
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(CONFIGS / "cpu_single.yaml"),
           "-m", "trainers", str(config), "--out", str(out), "--db", str(tmp_path / "t.duckdb")]
    env = dict(os.environ, PYTHONPATH=str(Path(trainers.__file__).parent.parent))
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert load_manifest(out).method == "lora"
