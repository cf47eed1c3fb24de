"""Recall, false positives and cost of the contamination check (harness.scorers.ContaminationIndex), not a timed test.

    python benchmarks/bench_contamination.py [--rows 100000] [--eval-items 2000] [--seed 0] [--no-peer]

1. Recall: every kind of perturbed copy (harness.scorers.perturb) of every item of the gate's eval sets
   (suites/data, suites/regression) as a chat training row, and which method caught it; the same copies through
   the previous gate check (``find_overlap``: whole row against whole item; exact, 13-gram, MinHash Jaccard 0.85)
   in the same run.
2. False positives on clean same-domain rows: every eval item as a training row against all the others (its own
   set's siblings share its template: "What is 32 plus 13?" against "What is 32 minus 13?"), leaving out the pairs
   that are copies by construction (``held_out_rows``); and the demo's hand-written safety pairs
   (harness/demo/data.py).
3. Cost: the shipped base model's corpus (examples/build_base.py, ``--rows`` rows, seed 0, as BUILD.json) against
   ``--eval-items`` eval items (the gate's sets, padded with one-word-edited copies of safety items), wall and CPU
   seconds, the previous check as the peer; the same words as 30-turn rows (cost follows words, not rows); and
   which gate items that corpus holds, per set and method.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import print_table  # noqa: E402

from harness.scorers import (  # noqa: E402
    EDIT_KINDS,
    KINDS,
    METHODS,
    ContaminationIndex,
    EvalText,
    answer_of,
    false_positives,
    file_items,
    find_overlap,
    held_out_rows,
    measure_recall,
    perturb,
    perturbed_rows,
    row_text,
)

REPO = Path(__file__).resolve().parent.parent
GATE_SETS = sorted((REPO / "suites" / "data").glob("*.jsonl")) + sorted((REPO / "suites" / "regression").glob("*.jsonl"))


def gate_sets() -> dict[str, list[EvalText]]:
    """Every eval set the default gate run checks (the reference texts are Min-K%'s, not an eval set)."""
    return {p.stem: file_items(p) for p in GATE_SETS if p.stem != "reference_texts"}


SAME_ANSWER = ("task_eval",)  # two held-out paraphrases of one description under two templates per code


def clean_rows(index: ContaminationIndex) -> dict[str, list[tuple[dict, set[int]]]]:
    """Clean rows by source, each with the items it may match."""
    from harness.demo.data import safety_rows

    return {"eval items vs the others": held_out_rows(index, SAME_ANSWER),
            "demo safety pairs": [(r, set()) for r in safety_rows()]}


def peer_recall(index: ContaminationIndex, seed: int) -> dict[str, int]:
    """Copies the previous gate check (find_overlap, whole texts) catches, per kind."""
    items = [(item.prompt, answer_of(item)) for _, item in index.items]
    made = list(perturbed_rows(items, KINDS, seed))
    report = find_overlap([row_text(row) for _, _, row in made], [(str(i), item.text) for i, (_, item) in
                                                                   enumerate(index.items)])
    hit: set[tuple[int, int]] = {(int(e), r) for table in (report.exact, report.ngram, report.near)
                                 for e, rows in table.items() for r in rows}
    caught: Counter[str] = Counter()
    for r, (kind, i, _) in enumerate(made):
        caught[kind] += (i, r) in hit
    return dict(caught)


def recall_section(index: ContaminationIndex, seed: int, peer: bool) -> None:
    began = time.perf_counter()
    recall = measure_recall(index, KINDS, seed)
    took = time.perf_counter() - began
    before = peer_recall(index, seed) if peer else {}
    rows = []
    for kind in KINDS:
        c = recall[kind]
        rows.append([kind, c["n"], c["caught"] / c["n"], *(c[m] for m in METHODS),
                     before[kind] / c["n"] if peer else "-"])
    edits = [recall[k] for k in EDIT_KINDS]
    n, caught = sum(c["n"] for c in edits), sum(c["caught"] for c in edits)
    rows.append(["edits of <= 2 words", n, caught / n, *(sum(c[m] for c in edits) for m in METHODS),
                 sum(before[k] for k in EDIT_KINDS) / n if peer else "-"])
    print_table(f"Recall per kind of copy ({len(index.items)} items of the gate's sets; {took:.1f}s)",
                ["kind", "copies", "recall", *METHODS, "previous check"], rows)


def peer_false_positives(index: ContaminationIndex, clean: list[tuple[dict, set[int]]]) -> int:
    """Clean rows the previous gate check (find_overlap, whole texts) matches with an item they may not match."""
    report = find_overlap([row_text(row) for row, _ in clean], [(str(i), item.text) for i, (_, item) in
                                                                 enumerate(index.items)])
    bad = {r for table in (report.exact, report.ngram, report.near) for e, rows in table.items() for r in rows
           if int(e) not in clean[r][1]}
    return len(bad)


def false_positive_section(index: ContaminationIndex, peer: bool) -> None:
    rows = []
    for source, clean in clean_rows(index).items():
        flagged = false_positives(index, clean)
        before = peer_false_positives(index, clean) if peer else None
        rows.append([source, len(clean), len(flagged), len(flagged) / len(clean),
                     f"{before} ({before / len(clean):.4f})" if before is not None else "-"])
        for k, hits in flagged:
            row, _ = clean[k]
            print(f"  {source}: {row['messages'][0]['content'][:70]!r} ~ "
                  + "; ".join(f"{index.items[j][0]}/{index.items[j][1].id}" for j in sorted(hits)[:3]))
    total, flagged_total = sum(r[1] for r in rows), sum(r[2] for r in rows)
    rows.append(["all", total, flagged_total, flagged_total / total, "-"])
    print_table("False positives on clean same-domain rows", ["clean rows", "rows", "flagged", "rate",
                                                             "previous check"], rows)


def padded_sets(size: int, seed: int) -> dict[str, list[EvalText]]:
    """The gate's sets plus one-word-synonym copies of safety items, ``size`` items in all."""
    import random

    sets = gate_sets()
    have = sum(len(v) for v in sets.values())
    rng = random.Random(seed)
    pad = []
    for item in sets["safety"]:
        if have + len(pad) >= size:
            break
        text = perturb(item.prompt, "synonym_1", rng)
        if text is not None:
            pad.append(EvalText(f"pad-{item.id}", text, text))
    return {**sets, "padding": pad} if pad else sets


def cost_section(rows_n: int, eval_items: int, seed: int, peer: bool) -> None:
    from harness.demo.run import base_corpus

    began = time.perf_counter()
    corpus = base_corpus(rows_n, seed=0)
    print(f"\nbase corpus: {len(corpus)} rows (examples/build_base.py, seed 0) in {time.perf_counter() - began:.1f}s")
    sets = padded_sets(eval_items, seed)
    results = []
    wall, cpu = time.perf_counter(), time.process_time()
    index = ContaminationIndex(sets)
    built = time.perf_counter() - wall
    found = index.scan(corpus)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    results.append(["ContaminationIndex (build + scan)", len(corpus), len(index.items), wall, cpu,
                    len(corpus) / wall])
    print(f"index built in {built:.2f}s")
    long_rows = [{"messages": [m for r in corpus[k : k + 30] for m in r["messages"] if m["role"] != "system"]}
                 for k in range(0, len(corpus), 30)]
    w, c = time.perf_counter(), time.process_time()
    index.scan(long_rows)
    w, c = time.perf_counter() - w, time.process_time() - c
    words = sum(len(row_text(r).split()) for r in long_rows)
    results.append([f"ContaminationIndex, 30-turn rows ({words // len(long_rows)} words each)", len(long_rows),
                    len(index.items), w, c, len(long_rows) / w])
    if peer:
        texts = [row_text(r) for r in corpus]
        pairs = [(f"{name}/{item.id}", item.text) for name, items in sets.items() for item in items]
        w, c = time.perf_counter(), time.process_time()
        find_overlap(texts, pairs)
        w, c = time.perf_counter() - w, time.process_time() - c
        results.append(["previous check (find_overlap)", len(corpus), len(pairs), w, c, len(corpus) / w])
    print_table(f"Cost: {len(corpus)} training rows x {len(index.items)} eval items",
                ["check", "rows", "eval items", "wall s", "cpu s", "rows/s"], results)
    per_set: dict[str, Counter[str]] = {}
    for item, methods in found.by_item.items():
        name = index.items[item][0]
        counts = per_set.setdefault(name, Counter())
        counts.update(["items", *methods])
    table = [[name, len(items), per_set.get(name, Counter())["items"],
              *(per_set.get(name, Counter())[m] for m in METHODS)] for name, items in sets.items()]
    print_table("Gate items the base corpus holds (items hit, and by which method)",
                ["set", "items", "hit", *METHODS], table)
    examples: dict[str, list[str]] = {}
    for row, hits in found.by_row().items():
        for item, methods in hits.items():
            name, entry = index.items[item]
            if len(examples.setdefault(name, [])) < 6:
                examples[name].append(f"{corpus[row]['messages'][-2]['content'][:60]!r} holds {entry.id} "
                                      f"{entry.prompt[:50]!r} ({','.join(methods)})")
    for name, lines in examples.items():
        for line in lines:
            print(f"  {name}: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--eval-items", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-peer", action="store_true", help="skip the previous check (its MinHash is slow)")
    args = parser.parse_args()
    index = ContaminationIndex(gate_sets())
    recall_section(index, args.seed, not args.no_peer)
    false_positive_section(index, not args.no_peer)
    cost_section(args.rows, args.eval_items, args.seed, not args.no_peer)


if __name__ == "__main__":
    main()
