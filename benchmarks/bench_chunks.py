"""Benchmark 8: what sequential looks cost a candidate that needs every item, by look schedule.

A chunked suite evaluates its items a chunk at a time so the gate can stop once its rules are decided; each chunk
pays a fixed cost (a generation batch waits for its longest answer; lm-eval rebuilds its requests). This times one
role (SmolLM2-135M-Instruct as its own candidate: nothing is decided early, every item runs) on the demo's
regression documents and on the safety suite's requests, each evaluated in one go (the peer: what
``--no-sequential`` runs), in chunks of a fixed size (looks every 64 items; regression: 128), and at the doubling
looks the suites use (``harness.gate.look_points``). Same model, same items in the same shuffled order, no cache.

    PYTHONPATH=. python benchmarks/bench_chunks.py [--suites regression,safety] [--tasks tg_facts,tg_arithmetic,tg_ifeval]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from timing import print_table, timed
from workload import REPO


def schedules(n: int, first: int) -> dict[str, list[int]]:
    from harness.gate import look_points

    return {"one go": [n], f"every {first}": [*range(first, n, first), n], "doubling": look_points(n, first)}


def run_schedule(items: list, ends: list[int], evaluate: Callable[[list], object]) -> float:
    start, total = 0, 0.0
    for end in ends:
        seconds, _ = timed(lambda s=start, e=end: evaluate(items[s:e]))
        total, start = total + seconds, end
    return total


def regression(tasks: str) -> tuple[list, Callable[[list], object], int]:
    import tempfile

    from harness.engine import cached_import, documents, load_tasks, run_tasks, session_lm
    from harness.session import GateOptions, GateSession

    model = cached_import("smollm2", dtype="float32")
    loaded = load_tasks(tasks.split(","))
    session = GateSession(GateOptions(candidate=model, baseline=str(model), cache=False,
                                      policy=REPO / "suites" / "gate.toml", db=Path(tempfile.mkdtemp()) / "b.duckdb"))
    lm = session_lm(session, "candidate")
    session.model("candidate")

    def evaluate(chunk: list) -> object:
        wanted: dict[str, list] = {}
        for task, doc in chunk:
            wanted.setdefault(task, []).append(doc)
        return run_tasks(lm, None, loaded, samples=wanted)

    sys.path.insert(0, str(REPO / "suites"))
    from test_regression import CHUNK

    return documents(loaded), evaluate, CHUNK


def safety() -> tuple[list, Callable[[list], object], int]:
    sys.path.insert(0, str(REPO / "suites"))
    from test_safety import MAX_NEW_TOKENS, safety_sets

    from harness.engine import DecodingParams, cached_import, generate, load_model, render_prompt
    from harness.session import CHUNK_SIZE

    loaded = load_model(cached_import("smollm2", dtype="float32"), "candidate")
    prompts = [render_prompt(loaded.tokenizer, item.messages) for item in safety_sets(None)[0][2]]
    params = DecodingParams(max_new_tokens=MAX_NEW_TOKENS)
    return prompts, lambda chunk: generate(loaded.model, loaded.tokenizer, chunk, params, batch_size=None), CHUNK_SIZE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", default="regression,safety")
    parser.add_argument("--tasks", default="tg_facts,tg_arithmetic,tg_ifeval", help="regression tasks (the demo's)")
    args = parser.parse_args()
    from harness.session import CHUNK_SEED

    rows = []
    for suite in args.suites.split(","):
        items, evaluate, first = regression(args.tasks) if suite == "regression" else safety()
        order = np.random.default_rng(CHUNK_SEED).permutation(len(items))  # the session's chunk order
        items = [items[i] for i in order]
        alone = None
        for name, ends in schedules(len(items), first).items():
            seconds = run_schedule(items, ends, evaluate)
            alone = alone or seconds
            rows.append([suite, name, ", ".join(map(str, ends)), len(ends), seconds, f"{seconds / alone:.2f}x"])
            print(rows[-1], flush=True)
    print_table("one role, every item (SmolLM2-135M-Instruct, no cache): seconds by look schedule",
                ["suite", "schedule", "looks after", "chunks", "seconds", "vs one go"], rows)


if __name__ == "__main__":
    main()
