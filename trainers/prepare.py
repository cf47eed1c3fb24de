"""`tunegate data prepare`: validate → normalise → exact dedupe → near dedupe → PII scrub → contamination
pre-check → category cap → balance report → stratified cluster-aware split, accounting for every input row.

Writes ``train.jsonl``, ``val.jsonl``, ``rejects.jsonl`` (file, line, stage, reason — never row content) and
``report.json`` into the output directory; ``record_dataset`` stores the report in DuckDB. The identity
rows_in = kept + duplicates + near_duplicates + pii_dropped + invalid + contaminated + capped is checked before
anything is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from harness.engine import file_sha256
from harness.errors import DataError, HarnessError
from harness.jsonl import write_jsonl
from harness.scorers import redact
from trainers.balance import balance_report, cap_per_category, category
from trainers.contamination import contamination_check
from trainers.dedupe import (
    cluster_roots,
    exact_duplicates,
    map_contents,
    near_duplicates,
    normalise_row,
    row_text,
    signatures,
    similar_pairs,
)
from trainers.split import check_val_fraction, stratified_split
from trainers.validate import Fault, check_lengths, read_records

STAGES = ("invalid", "duplicate", "near_duplicate", "pii", "contaminated", "capped")
ACCOUNT_KEYS = {"invalid": "invalid", "duplicate": "duplicates", "near_duplicate": "near_duplicates",
                "pii": "pii_dropped", "contaminated": "contaminated", "capped": "capped"}


@dataclass
class PrepareConfig:
    """Options of one preparation run (the CLI's flags, one to one)."""

    out: str
    skip_invalid: bool = False
    tokenizer: str | None = None
    max_length: int | None = None
    near_threshold: float | None = 0.85
    split_threshold: float = 0.7
    num_perm: int = 128
    pii: Literal["redact", "drop", "off"] = "redact"
    evals: list[str] = field(default_factory=list)
    ngram: int = 13
    fail_on_contamination: bool = False
    max_skew: float = 10.0
    cap_per_category: int | None = None
    val_fraction: float = 0.10
    seed: int = 0

    def __post_init__(self) -> None:
        check_val_fraction(self.val_fraction)
        if self.pii not in ("redact", "drop", "off"):
            raise HarnessError(f"--pii {self.pii!r}: use redact, drop or off")
        if (self.tokenizer is None) != (self.max_length is None):
            raise HarnessError("--tokenizer and --max-length go together: the length check needs both")
        for name in ("near_threshold", "split_threshold"):
            value = getattr(self, name)
            if value is not None and not 0.0 < value <= 1.0:
                raise HarnessError(f"--{name.replace('_', '-')} must be in (0, 1], got {value}")
        if self.max_skew < 1:
            raise HarnessError(f"--max-skew must be at least 1, got {self.max_skew}")


@dataclass
class PrepareResult:
    """What a preparation run produced: the report (also in report.json) and the output directory."""

    out: Path
    report: dict[str, Any]

    @property
    def accounting(self) -> dict[str, int]:
        """rows_in and where every row went."""
        return dict(self.report["accounting"])


def _reject(rejects: list[Fault], file: str, line: int, stage: str, reason: str) -> None:
    rejects.append(Fault(file, line, reason, stage))


def prepare(paths: list[str | Path], config: PrepareConfig) -> PrepareResult:
    """Run the whole preparation; raise DataError on invalid rows unless ``skip_invalid``."""
    if not paths:
        raise HarnessError("no input files given")
    timings: dict[str, tuple[int, float, float]] = {}

    def timed(stage: str, n: int, began: tuple[float, float]) -> None:
        timings[stage] = (n, time.perf_counter() - began[0], time.process_time() - began[1])

    began = _clock()
    records, faults = read_records(list(paths))
    rows_in = len(records) + len(faults)
    timed("read+validate", rows_in, began)
    if config.tokenizer is not None and config.max_length is not None:
        began = _clock()
        n = len(records)
        records, too_long = check_lengths(records, config.tokenizer, config.max_length)
        faults.extend(too_long)
        timed("token length", n, began)
    if rows_in == 0:
        raise DataError(paths[0], None, "no examples", "the input files are empty")
    if faults and not config.skip_invalid:
        first = faults[0]
        more = f"; {len(faults) - 1} more faulty row(s)" if len(faults) > 1 else ""
        raise DataError(first.file, first.line, redact(first.reason)[0] + more,
                        "fix the rows, or pass --skip-invalid to move them to rejects.jsonl")
    rejects: list[Fault] = sorted(faults, key=lambda f: (f.file, f.line or 0))

    began = _clock()
    rows = [normalise_row(r.row) for r in records]
    where = [(r.file, r.line) for r in records]
    texts = [row_text(r) for r in rows]
    timed("normalise", len(rows), began)

    began = _clock()
    dups = exact_duplicates(texts)
    for i, first_i in dups.items():
        _reject(rejects, *where[i], "duplicate", "exact duplicate of {}:{}".format(*where[first_i]))
    alive = [i for i in range(len(rows)) if i not in dups]
    timed("exact dedupe", len(rows), began)

    began = _clock()
    sigs = signatures([texts[i] for i in alive], config.num_perm)
    low = min(t for t in (config.near_threshold, config.split_threshold) if t is not None)
    pairs = [(alive[a], alive[b], s) for a, b, s in similar_pairs(sigs, low, config.num_perm)]
    timed("minhash+lsh", len(alive), began)
    if config.near_threshold is not None:
        began = _clock()
        near_pairs = [p for p in pairs if p[2] >= config.near_threshold]
        near = near_duplicates(len(rows), near_pairs)
        best = {j: s for _, j, s in near_pairs}
        for i, rep in sorted(near.items()):
            note = f" (Jaccard ~{best[i]:.2f})" if i in best else " (same cluster)"
            _reject(rejects, *where[i], "near_duplicate", "near-duplicate of {}:{}".format(*where[rep]) + note)
        alive = [i for i in alive if i not in near]
        timed("near dedupe", len(alive) + len(near), began)

    began = _clock()
    pii_counts: Counter[str] = Counter()
    if config.pii != "off":
        kept_alive: list[int] = []
        for i in alive:
            found: Counter[str] = Counter()

            def scrub(text: str, found: Counter[str] = found) -> str:
                new, counts = redact(text)
                found.update(counts)
                return new

            redacted = map_contents(rows[i], scrub)
            pii_counts.update(found)
            if found and config.pii == "drop":
                kinds = ", ".join(f"{k}×{v}" for k, v in sorted(found.items()))
                _reject(rejects, *where[i], "pii", f"contains personal data: {kinds}")
                continue
            rows[i] = redacted
            kept_alive.append(i)
        n_before = len(alive)
        alive = kept_alive
        timed("pii", n_before, began)

    began = _clock()
    contamination = contamination_check([rows[i] for i in alive], config.evals, config.ngram)
    contaminated = {alive[k]: labels for k, labels in contamination.hits.items()}
    if contaminated and config.fail_on_contamination:
        listing = "; ".join("{}:{}".format(*where[i]) + f" overlaps {', '.join(v[:3])}"
                            for i, v in sorted(contaminated.items())[:10])
        raise HarnessError(f"{len(contaminated)} training row(s) overlap the eval sets: {listing} — remove them, "
                           "or drop --fail-on-contamination to have them removed and listed in rejects.jsonl")
    for i, labels in sorted(contaminated.items()):
        _reject(rejects, *where[i], "contaminated", "overlaps eval item(s) " + ", ".join(labels[:5]))
    n_before = len(alive)
    alive = [i for i in alive if i not in contaminated]
    timed("contamination", n_before, began)

    kept_idx, capped_idx = cap_per_category([rows[i] for i in alive], config.cap_per_category, config.seed)
    for k in capped_idx:
        _reject(rejects, *where[alive[k]], "capped",
                f"category {category(rows[alive[k]])!r} over --cap-per-category {config.cap_per_category}")
    alive = [alive[k] for k in kept_idx]
    final = [rows[i] for i in alive]
    balance = balance_report(final, config.max_skew)

    began = _clock()
    position = {row: k for k, row in enumerate(alive)}
    split_pairs = [(position[i], position[j], s) for i, j, s in pairs
                   if s >= config.split_threshold and i in position and j in position]
    roots = cluster_roots(len(final), split_pairs)
    train_idx, val_idx = stratified_split(final, roots, config.val_fraction, config.seed)
    timed("split", len(final), began)

    accounting = {"rows_in": rows_in, "kept": len(final), **{v: 0 for v in ACCOUNT_KEYS.values()}}
    for fault in rejects:
        accounting[ACCOUNT_KEYS[fault.stage]] += 1
    accounted = sum(v for k, v in accounting.items() if k != "rows_in")
    if accounted != rows_in:
        raise HarnessError(f"accounting does not add up: {rows_in} rows in, {accounted} accounted for {accounting}")
    accounting["train"], accounting["val"] = len(train_idx), len(val_idx)

    warnings = list(balance.warnings) + ([] if final else ["no rows kept: every input row was rejected"])
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    rejects.sort(key=lambda f: (f.file, f.line or 0))
    write_jsonl(out / "train.jsonl", [final[k] for k in train_idx])
    write_jsonl(out / "val.jsonl", [final[k] for k in val_idx])
    write_jsonl(out / "rejects.jsonl", [f.to_dict() for f in rejects])
    outputs: dict[str, dict[str, Any]] = {name: {"path": name, "sha256": file_sha256(out / name), "rows": n} for name, n in
               (("train.jsonl", len(train_idx)), ("val.jsonl", len(val_idx)), ("rejects.jsonl", len(rejects)))}
    report: dict[str, Any] = {
        "id": "ds-" + hashlib.sha256(f"{outputs['train.jsonl']['sha256']}{outputs['val.jsonl']['sha256']}"
                                     .encode()).hexdigest()[:12],
        "prepared_at": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
        "kind": records[0].kind if records else None,
        "sources": [{"path": str(p), "sha256": file_sha256(p)} for p in paths],
        "config": asdict(config),
        "accounting": accounting,
        "pii": {"mode": config.pii, "counts": dict(sorted(pii_counts.items()))},
        "balance": balance.to_dict(),
        "split": _split_summary(final, train_idx, val_idx),
        "contamination": {"eval_sets": list(config.evals), "eval_items": contamination.eval_items,
                          "ngram": config.ngram, "near": contamination.near, "methods": contamination.methods,
                          "rows": [{"file": where[i][0], "line": where[i][1], "evals": labels}
                                   for i, labels in sorted(contaminated.items())]},
        "warnings": warnings,
        "outputs": outputs,
        "timings": {k: {"rows": n, "seconds": round(s, 4), "cpu_seconds": round(c, 4)}
                    for k, (n, s, c) in timings.items()},
    }
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return PrepareResult(out, report)


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _split_summary(rows: list[dict[str, Any]], train_idx: list[int], val_idx: list[int]) -> dict[str, Any]:
    train = Counter(category(rows[k]) for k in train_idx)
    val = Counter(category(rows[k]) for k in val_idx)
    return {"train": len(train_idx), "val": len(val_idx),
            "by_category": {c: {"train": train.get(c, 0), "val": val.get(c, 0)} for c in sorted(set(train) | set(val))}}


def record_dataset(store: Any, result: PrepareResult) -> None:
    """Store the preparation in the ``datasets`` table (counts, PII counts by kind, sha256 of every output)."""
    from harness.store import insert_rows, now

    report = result.report
    acc = report["accounting"]
    outputs = dict(report["outputs"])
    report_path = result.out / "report.json"
    row = {
        "id": report["id"], "prepared_at": now(), "out_dir": str(result.out.resolve()), "kind": report["kind"],
        "sources": report["sources"], **{k: acc[k] for k in ("rows_in", "kept", "train", "val", "duplicates",
                                                             "near_duplicates", "pii_dropped", "invalid",
                                                             "contaminated", "capped")},
        "train_sha256": outputs["train.jsonl"]["sha256"], "val_sha256": outputs["val.jsonl"]["sha256"],
        "rejects_sha256": outputs["rejects.jsonl"]["sha256"], "report_sha256": file_sha256(report_path),
        "pii_counts": report["pii"]["counts"], "balance": report["balance"], "warnings": report["warnings"],
        "config": report["config"],
    }
    row["train_rows"], row["val_rows"] = row.pop("train"), row.pop("val")
    with store.write() as con:
        insert_rows(con, "datasets", [row])
