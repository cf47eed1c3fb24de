"""Contamination: did eval items leak into the candidate's training data?

1. Overlap (needs the candidate's training data: its manifest's, or for a model trained elsewhere ``--train-data``
   or the data ``tunegate import --train-data`` recorded): every eval set this run uses — the task set, the
   bundled suites' sets and whatever other suites registered via ``use_data`` — against the training rows, by
   harness.scorers.ContaminationIndex, the definition ``tunegate data prepare`` uses: exact (normalised), word
   n-gram (``--contamination-ngram``, default 13; a shorter item must appear whole) and near (survives
   rewording), on the row's prompt side and whole text. Reported per eval item (metric ``overlap``: the
   methods that hit it, and per method how many training rows and which) and as ``leaked`` (items flagged) and
   ``exact``, ``ngram``, ``near`` (items each method flagged). Without training data nothing is recorded for
   ``leaked``, so a rule on it is undecided (fail closed) and says what to pass.
2. Min-K% Prob (no training data needed): candidate − baseline shift on eval items minus the same shift on a
   fresh reference (the candidate's held-out val data when it has a manifest, else suites/data/reference_texts),
   per eval set; ``mink_excess_max`` is the largest, in nats.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from harness.engine import BUNDLED_TASKS
from harness.jsonl import read_jsonl
from harness.scorers import METHODS, ContaminationIndex, file_items, file_texts, min_k_prob, row_text

pytestmark = pytest.mark.suite("contamination")
DATA = Path(__file__).parent / "data"
MINK_ITEMS_PER_SET = 12


def eval_files(tunegate) -> list[Path]:
    """Every eval file this run uses, whether or not its suite has run yet (this suite may run first)."""
    extra = tunegate.options.extra
    files = [
        extra.get("task_data") or DATA / "task_eval.jsonl",
        extra.get("safety_data") or DATA / "safety.jsonl",
        extra.get("injection_data") or DATA / "injection.jsonl",
        extra.get("format_data") or DATA / "format_eval.jsonl",
    ]
    if not extra.get("regression_tasks"):
        files += sorted(BUNDLED_TASKS.glob("*.jsonl"))
    files += [Path(p) for p in tunegate.data_files if str(p).endswith(".jsonl")]
    unique: dict[str, Path] = {}
    for f in files:
        unique.setdefault(str(Path(f).resolve()), Path(f))
    return list(unique.values())


def _eval_sets(tunegate) -> dict[str, Path]:
    """Every eval file by set name (its stem, or its path when two share a stem), each registered as used."""
    sets: dict[str, Path] = {}
    for path in eval_files(tunegate):
        sets[path.stem if path.stem not in sets else str(path)] = path
        tunegate.use_data(path)
    return sets


def test_training_data_overlap(tunegate) -> None:
    sets = _eval_sets(tunegate)
    train_path = tunegate.train_data
    if train_path is None:
        why = f"the candidate's training data is unknown (no manifest naming it); {tunegate.train_data_hint}"
        tunegate.note_missing("contamination", why, ("leaked", *METHODS, "overlap"))
        warnings.warn(f"contamination: overlap is unknown: {why}", stacklevel=1)
        return
    assert train_path.is_file(), f"{tunegate.options.candidate}: training data {train_path} is missing"
    n = int(tunegate.options.extra.get("contamination_ngram") or 13)
    index = ContaminationIndex({name: file_items(path) for name, path in sets.items()}, n=n)
    found = index.scan(read_jsonl(train_path))
    rows = []
    for k, (name, item) in enumerate(index.items):
        hits = found.by_item.get(k, {})
        methods = [m for m in METHODS if m in hits]
        rows.append({"example_id": f"{name}/{item.id}", "category": name, "prompt": item.text,
                     "output": ",".join(methods) or None,
                     "reference": "; ".join(f"{m} {len(hits[m])}: {','.join(map(str, hits[m][:20]))}"
                                            for m in methods) or None,
                     "score": float(bool(methods))})
    tunegate.record_samples("contamination", "candidate", "overlap", rows)
    counts = found.counts()["items"]
    tunegate.record_metric("contamination", "candidate", "leaked", float(len(found.by_item)), len(rows))
    for method in METHODS:
        tunegate.record_metric("contamination", "candidate", method, float(counts[method]), len(rows))


def _reference_texts(tunegate) -> list[str]:
    custom = tunegate.options.extra.get("contamination_reference")
    if custom:
        return [t for _, t in file_texts(custom)]
    manifest = tunegate.manifest
    if manifest is not None and manifest.val_data is not None:
        val = manifest.resolve(tunegate.options.candidate, manifest.val_data.path)
        if val.is_file():
            texts = [row_text(r) for r in read_jsonl(val)]
            if len(texts) >= 4:
                return texts[:64]
    return [t for _, t in file_texts(DATA / "reference_texts.jsonl")]


def test_min_k_prob_shift(tunegate) -> None:
    items = {name: file_texts(path) for name, path in _eval_sets(tunegate).items()}
    reference = _reference_texts(tunegate)
    shift: dict[str, np.ndarray] = {}
    for name, texts in [("__reference__", [(str(i), t) for i, t in enumerate(reference)]), *items.items()]:
        texts = texts[:MINK_ITEMS_PER_SET]
        per_role = {}
        for role in ("candidate", "baseline"):
            loaded = tunegate.model(role)
            per_role[role] = np.array(min_k_prob(loaded.model, loaded.tokenizer, [t for _, t in texts]))
        shift[name] = per_role["candidate"] - per_role["baseline"]
        if name != "__reference__":
            ref = float(shift["__reference__"].mean())
            tunegate.record_samples("contamination", "candidate", "mink_excess", [
                {"example_id": f"{name}/{item_id}", "category": name, "prompt": text, "score": float(s - ref)}
                for (item_id, text), s in zip(texts, shift[name], strict=True)
            ])
    ref_shift = float(shift.pop("__reference__").mean())
    excess = {name: float(s.mean()) - ref_shift for name, s in shift.items()}
    for name, value in excess.items():
        tunegate.record_metric("contamination", "candidate", f"mink_excess.{name}", value, len(shift[name]))
    tunegate.record_metric("contamination", "candidate", "mink_reference_shift", ref_shift, len(reference))
    tunegate.record_metric("contamination", "candidate", "mink_excess_max", max(excess.values()), len(excess))
