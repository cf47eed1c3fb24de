"""Benchmark 2: the harness generation path (GateSession.generate incl. cache lookups and writes) against raw
``model.generate`` on the same prompts and batch size. Prints medians of N runs and the overhead ratio.

    PYTHONPATH=. python benchmarks/bench_generate.py [--repeats 5] [--batch-size 8] [--max-new-tokens 24]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from timing import median, print_table, timed
from workload import REPO, build_base, param_count, task_prompts


def raw_generate(model, tokenizer, prompts, batch_size, max_new_tokens):
    """What a user would write: fixed batches in input order, left padding, greedy, decode."""
    import torch

    texts = []
    for start in range(0, len(prompts), batch_size):
        batch = tokenizer(prompts[start : start + batch_size], return_tensors="pt", padding=True,
                          add_special_tokens=False)
        with torch.inference_mode():
            out = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False,
                                 pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
        texts += tokenizer.batch_decode(out[:, batch["input_ids"].shape[1] :], skip_special_tokens=True)
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 avoids oversubscription)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=24)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)

    from harness.engine import DecodingParams
    from harness.session import GateOptions, GateSession

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        base = build_base(root)
        params = DecodingParams(max_new_tokens=args.max_new_tokens)

        def session(db: Path, cache: bool = True) -> GateSession:
            s = GateSession(GateOptions(candidate=base, baseline=str(base), policy=REPO / "suites" / "gate.toml",
                                        db=db, batch_size=args.batch_size, cache=cache))
            s.start()
            return s

        warm = session(root / "warmup.duckdb")
        loaded = warm.model("candidate")  # one model object for every path: no load time in any number
        prompts = task_prompts(loaded.tokenizer)
        raw_generate(loaded.model, loaded.tokenizer, prompts[:4], args.batch_size, 4)  # warm kernels
        import harness.session as session_module

        inner: list[float] = []
        real_generate = session_module.generate

        def timed_generate(*a, **k):  # the model's share of a GateSession.generate call
            seconds, result = timed(lambda: real_generate(*a, **k))
            inner.append(seconds)
            return result

        session_module.generate = timed_generate
        times: dict[str, list[float]] = {"raw": [], "miss": [], "nocache": [], "hit": [], "bookkeeping": []}

        def run_raw(i: int) -> None:
            times["raw"].append(timed(lambda: raw_generate(
                loaded.model, loaded.tokenizer, prompts, args.batch_size, args.max_new_tokens))[0])

        def run_miss(i: int) -> None:
            cold = session(root / f"run{i}.duckdb")
            cold._models["candidate"] = loaded
            inner.clear()
            total = timed(lambda: cold.generate("candidate", prompts, params))[0]
            times["miss"].append(total)
            times["bookkeeping"].append(total - sum(inner))
            hot = session(root / f"run{i}.duckdb")  # new session, same database: every prompt a hit
            times["hit"].append(timed(lambda: hot.generate("candidate", prompts, params))[0])
            assert hot.cache.hits == len(prompts) and "candidate" not in hot._models

        def run_nocache(i: int) -> None:
            off = session(root / f"off{i}.duckdb", cache=False)
            off._models["candidate"] = loaded
            times["nocache"].append(timed(lambda: off.generate("candidate", prompts, params))[0])

        steps = [run_raw, run_miss, run_nocache]
        for i in range(args.repeats):
            for step in steps[i % 3:] + steps[: i % 3]:  # rotate the order: load drift hits every path alike
                step(i)
        raw = median(times["raw"])
        labels = {
            "raw": "raw model.generate (fixed batches, input order)",
            "miss": "GateSession.generate, cache miss (lookup + generate + write)",
            "nocache": "GateSession.generate --no-cache (length-sorted batches)",
            "hit": "GateSession.generate, cache hit (new session, weights never loaded)",
            "bookkeeping": "  of the miss: harness time outside the model (keys, lookup, write)",
        }
        rows = [[labels[k], median(v), median(v) / raw, f"{100 * (median(v) / raw - 1):+.1f}%"]
                for k, v in times.items() if k != "bookkeeping"]
        rows.append([labels["bookkeeping"], median(times["bookkeeping"]), median(times["bookkeeping"]) / raw,
                     f"{100 * median(times['bookkeeping']) / raw:+.1f}%"])
        print(f"model: {param_count(loaded.model) / 1e6:.1f}M params, {len(prompts)} prompts, batch size "
              f"{args.batch_size}, max_new_tokens {args.max_new_tokens}, device cpu, "
              f"torch threads {torch.get_num_threads()}, medians of {args.repeats} runs")
        print_table("generation path vs raw model.generate (target: miss overhead <= +10%)",
                    ["path", "median s", "ratio", "overhead"], rows)


if __name__ == "__main__":
    main()
