"""Training throughput and packing efficiency of a tunegate trainer on a model built from a config.

Trains the same synthetic chat data twice, packed (trl's padding-free BFD, the default) and unpacked (padded
batches), and prints real (non-pad) tokens/s and the share of non-pad tokens in the batches. The model is a
randomly initialised Llama sized by --params, so nothing is downloaded.

    python benchmarks/bench_train.py                                   # CPU, ~2M params, LoRA
    python benchmarks/bench_train.py --device cuda --params 100M --method qlora --steps 50   # the GPU check
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.engine import build_tiny_model  # noqa: E402
from harness.jsonl import write_jsonl  # noqa: E402

WORDS = ("patient presents with acute chronic fever cough pain left right upper lower lobe history of type two "
         "diabetes hypertension code the diagnosis answer category because with without severe mild").split()


def parse_params(text: str) -> float:
    """'2M' -> 2e6, '100M' -> 1e8, '1.5B' -> 1.5e9."""
    scale = {"K": 1e3, "M": 1e6, "B": 1e9}.get(text[-1].upper(), 1.0)
    return float(text[:-1] if text[-1].isalpha() else text) * scale


def shape_for(params: float) -> tuple[int, int]:
    """(hidden size, layers) of a Llama with about ``params`` non-embedding parameters (layers = hidden / 64)."""
    hidden = max(64, round((6.4 * params) ** (1 / 3) / 64) * 64)  # ~10 h^2 per layer, h / 64 layers
    return hidden, max(2, hidden // 64)


def synthetic_rows(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """Chat rows with realistic length spread (short questions, answers from a few words to a paragraph)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        question = " ".join(rng.choices(WORDS, k=rng.randint(4, 40)))
        answer = " ".join(rng.choices(WORDS, k=int(rng.lognormvariate(3.0, 0.8)) + 1))
        rows.append({"id": f"b{i}", "messages": [{"role": "user", "content": question},
                                                 {"role": "assistant", "content": answer}]})
    return rows


def batch_fill(trainer: Any, batches: int) -> tuple[float, float]:
    """(non-pad share, examples per batch) over the first ``batches`` training batches."""
    real = total = examples = seen = 0
    for i, batch in enumerate(trainer.get_train_dataloader()):
        if i >= batches:
            break
        ids = batch["input_ids"]
        total += ids.numel()
        real += int(batch["attention_mask"].sum()) if "attention_mask" in batch else ids.numel()
        seen += 1
        if "position_ids" in batch:  # padding-free: a new sequence starts wherever position_ids restart at 0
            examples += int((batch["position_ids"] == 0).sum())
        else:
            examples += ids.shape[0]
    return real / max(total, 1), examples / max(seen, 1)


def run(args: argparse.Namespace, base: Path, data: Path, root: Path, packing: bool) -> dict[str, Any]:
    from trainers import TrainConfig
    from trainers.candidate import write_candidate
    from trainers.sft import build_sft_trainer

    config = TrainConfig(base=str(base), train=str(data), out=str(root / f"cand-{'packed' if packing else 'padded'}"),
                         method=args.method, packing=packing, max_length=args.max_length,
                         batch_size=(args.packed_batch_size or args.batch_size) if packing else args.batch_size,
                         epochs=1, device=args.device, quiet=True, early_stopping_patience=None, val_fraction=0.05)
    trainer, tokenizer, train_rows, val_rows, work = build_sft_trainer(config)
    share, per_batch = batch_fill(trainer, args.steps)
    from transformers.trainer_utils import IntervalStrategy, SaveStrategy

    # Throughput only: no evaluation or checkpointing inside the timed steps (the packed run would otherwise hit
    # epoch ends, and their evaluations, far more often than the padded one).
    trainer.args.max_steps = args.steps
    trainer.args.eval_strategy, trainer.args.save_strategy = IntervalStrategy.NO, SaveStrategy.NO
    trainer.args.load_best_model_at_end = False
    began = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - began
    tokens = trainer.state.num_input_tokens_seen
    write_candidate(config, trainer, tokenizer, train_rows, val_rows, work)
    return {"packing": "packed (BFD, padding-free)" if packing else "padded", "steps": trainer.state.global_step,
            "tokens": tokens, "seconds": seconds, "tokens_per_s": tokens / seconds, "non_pad_share": share,
            "examples_per_batch": per_batch}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--params", default="2M", help="model size, e.g. 2M, 100M")
    parser.add_argument("--method", default="lora", choices=["lora", "qlora", "sft"])
    parser.add_argument("--steps", type=int, default=8, help="optimizer steps per run")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--packed-batch-size", type=int, default=0,
                        help="packs per step in the packed run (default: --batch-size). Without varlen attention "
                             "kernels (CPU, sdpa) a padding-free batch is one long sequence, so fewer packs per "
                             "step cost less attention per token")
    parser.add_argument("--rows", type=int, default=0, help="training rows (default: enough for the padded run)")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = parser.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    root = Path(tempfile.mkdtemp(prefix="tunegate-bench-"))
    hidden, layers = shape_for(parse_params(args.params))
    rows = synthetic_rows(args.rows or args.steps * args.batch_size * 8)
    base = build_tiny_model(root / "base", [" ".join(WORDS)] * 4, hidden_size=hidden, layers=layers,
                            heads=max(1, hidden // 64), vocab_size=512, max_positions=max(512, args.max_length))
    n_params = sum(t.numel() for t in __import__("safetensors.torch").torch.load_file(
        str(base / "model.safetensors")).values())
    write_jsonl(root / "train.jsonl", rows)
    print(f"model: Llama hidden={hidden} layers={layers} params={n_params / 1e6:.1f}M; method={args.method}; "
          f"device={args.device}; torch threads={torch.get_num_threads()}; {len(rows)} rows; "
          f"batch {args.batch_size}; max_length {args.max_length}; {args.steps} steps per run")
    results = [run(args, base, root / "train.jsonl", root, packing) for packing in (True, False)]
    print(f"{'batches':28} {'steps':>5} {'tokens':>8} {'seconds':>8} {'tokens/s':>9} {'non-pad':>8} {'ex/batch':>9}")
    for r in results:
        print(f"{r['packing']:28} {r['steps']:5d} {r['tokens']:8d} {r['seconds']:8.1f} {r['tokens_per_s']:9.0f} "
              f"{r['non_pad_share']:8.1%} {r['examples_per_batch']:9.1f}")
    print(f"packed/padded real tokens/s: {results[0]['tokens_per_s'] / results[1]['tokens_per_s']:.2f}x")


if __name__ == "__main__":
    main()
