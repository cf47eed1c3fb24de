"""Every method trains a tiny candidate the harness can load; the manifest tells what made it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
import torch

from harness.engine import load_model, template_sha256
from harness.manifest import load_manifest


def _candidate(name: str, lora_candidate: Path, method_candidates: dict[str, Path], dpo_candidate: Path) -> Path:
    return {"lora": lora_candidate, "dpo": dpo_candidate}.get(name) or method_candidates[name]


@pytest.mark.parametrize("method", ["lora", "qlora", "sft", "dpo"])
def test_candidate_loads_in_the_harness(method, lora_candidate, method_candidates, dpo_candidate, tiny_base):
    path = _candidate(method, lora_candidate, method_candidates, dpo_candidate)
    loaded = load_model(path, "candidate")
    manifest = loaded.manifest
    assert manifest is not None and manifest.method == method
    assert (manifest.model_dir == "model") == (method == "sft")
    assert loaded.is_adapter == (method != "sft")
    assert manifest.chat_template_sha256 == template_sha256(loaded.tokenizer)
    assert manifest.losses.best_val is not None and manifest.losses.final_train is not None
    assert not list(path.rglob("*.bin")), "pickled files would be refused by the harness"
    ids = loaded.tokenizer("add 1 2", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        assert torch.isfinite(loaded.model(input_ids=ids).logits).all()


def test_qlora_adapter_trained_over_4bit_nf4_base(method_candidates):
    manifest = load_manifest(method_candidates["qlora"])
    adapter = json.loads((method_candidates["qlora"] / "adapter" / "adapter_config.json").read_text())
    assert manifest.config["method"] == "qlora"
    assert adapter["peft_type"] == "LORA" and adapter["r"] == 8 and adapter["lora_alpha"] == 16
    assert sorted(adapter["target_modules"]) == ["k_proj", "o_proj", "q_proj", "v_proj"]


def test_train_log_lands_in_duckdb(method_candidates, train_db):
    manifest = load_manifest(method_candidates["sft"])
    con = duckdb.connect(str(train_db), read_only=True)
    rows = con.execute("SELECT step, epoch, train_loss, val_loss, learning_rate, tokens_per_s FROM train_log "
                       "WHERE candidate_id = ? ORDER BY step", [manifest.id]).fetchall()
    con.close()
    logged = [json.loads(line) for line in (method_candidates["sft"] / "train_log.jsonl").read_text().splitlines()]
    assert [r[0] for r in rows] == sorted({e["step"] for e in logged if "loss" in e or "eval_loss" in e})
    assert all(r[2] is not None and r[5] > 0 for r in rows)
    assert rows[-1][3] == pytest.approx(manifest.losses.final_val)


def test_cli_train_shows_progress_and_logs_to_the_given_db(tiny_base, small_train_file, tmp_path):
    from typer.testing import CliRunner

    from harness.cli import app

    db = tmp_path / "cli.duckdb"
    result = CliRunner().invoke(app, ["train", "--method", "lora", "--base", str(tiny_base), "--train",
                                      str(small_train_file), "--out", str(tmp_path / "c"), "--epochs", "1",
                                      "--batch-size", "4", "--no-packing", "--db", str(db)])
    assert result.exit_code == 0, result.output
    # off a terminal: timestamped lines with step, epoch, loss and throughput (a rich bar only on a terminal)
    assert re.search(r"\d\d:\d\d:\d\d train: (\d+)/\1 steps \(100%\), .*epoch 1\.00/1, loss [\d.]+, tok/s \d+",
                     result.output), result.output
    manifest = load_manifest(tmp_path / "c")
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM train_log WHERE candidate_id = ?", [manifest.id]).fetchone()[0] >= 1
    con.close()


def test_existing_output_is_refused_before_training(tiny_base, small_train_file, lora_candidate):
    from harness.errors import HarnessError
    from trainers import TrainConfig, train

    with pytest.raises(HarnessError, match="'out'.*not empty"):
        train(TrainConfig(base=str(tiny_base), train=str(small_train_file), out=str(lora_candidate)))
