"""The `tunegate` command line: a thin layer over the library. HarnessErrors print without a traceback."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from harness.errors import HarnessError

app = typer.Typer(help="tunegate: gate fine-tuned LLM candidates before they ship.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)

DbOption = Annotated[Path | None, typer.Option("--db", help="results database (default $TUNEGATE_DB or results/)")]


@app.command()
def train(
    config: Annotated[Path | None, typer.Argument(help="TOML/YAML training config")] = None,
    method: Annotated[str | None, typer.Option(help="lora | qlora | sft | dpo")] = None,
    base: Annotated[str | None, typer.Option(help="base model directory")] = None,
    train_data: Annotated[str | None, typer.Option("--train", help="chat JSONL or prepared data dir")] = None,
    val: Annotated[str | None, typer.Option(help="validation JSONL")] = None,
    out: Annotated[str | None, typer.Option(help="candidate directory to write")] = None,
    epochs: Annotated[float | None, typer.Option(help="training epochs")] = None,
    learning_rate: Annotated[float | None, typer.Option("--lr", help="peak learning rate")] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bars")] = False,
) -> None:
    """Train a candidate (LoRA by default) and write its directory with a manifest."""
    from trainers import TrainConfig
    from trainers import train as run_training

    flags = {"method": method, "base": base, "train": train_data, "val": val, "out": out, "epochs": epochs,
             "learning_rate": learning_rate, "quiet": quiet or None}
    if config is not None:
        cfg = TrainConfig.from_file(config, **flags)
    else:
        missing = [f"--{k}" for k in ("base", "train", "out") if not flags[k]]
        if missing:
            raise HarnessError(f"missing {', '.join(missing)} (or pass a config file)")
        cfg = TrainConfig(**{k: v for k, v in flags.items() if v is not None})
    path = run_training(cfg)
    typer.echo(f"candidate written to {path}")


@app.command()
def sql(query: Annotated[str, typer.Argument(help="SQL to run (read-only)")], db: DbOption = None) -> None:
    """Answer a SQL question from the results database, read-only."""
    from harness.console import console, table
    from harness.sqlquery import run_readonly

    columns, rows = run_readonly(query, db)
    console().print(table("", columns, rows))


@app.command()
def promote(run_id: str, alias: Annotated[str, typer.Option(help="registry alias")] = "production",
            db: DbOption = None) -> None:
    """Point an alias at the candidate of a PROMOTE run (its weights must be unchanged)."""
    from harness.registry import promote as do_promote
    from harness.store import Store

    holder = do_promote(Store(db), run_id, alias)
    typer.echo(f"{alias} -> {holder.candidate_id} ({holder.path})")


@app.command()
def rollback(alias: Annotated[str, typer.Option(help="registry alias")] = "production", db: DbOption = None) -> None:
    """Return an alias to its previous holder."""
    from harness.registry import rollback as do_rollback
    from harness.store import Store

    holder = do_rollback(Store(db), alias)
    typer.echo(f"{alias} -> {holder.candidate_id} ({holder.path})" if holder else f"{alias} now has no holder")


@app.command()
def history(last: Annotated[int, typer.Option(help="most recent N runs")] = 20, db: DbOption = None) -> None:
    """Recent runs with their decisions."""
    from harness.console import console, table
    from harness.store import Store

    columns, rows = Store(db).query(
        "SELECT r.id, r.started_at, r.status, r.candidate_id, d.decision FROM runs r "
        "LEFT JOIN decisions d ON d.run_id = r.id ORDER BY r.started_at DESC LIMIT ?", [last])
    console().print(table("runs", columns, rows))


@app.command()
def demo(
    fast: Annotated[bool, typer.Option(help="fewer steps (for tests)")] = False,
    keep: Annotated[Path | None, typer.Option(help="keep the demo's files in DIR")] = None,
    device: Annotated[str, typer.Option(help="torch device")] = "cpu",
    base: Annotated[Path | None, typer.Option(help="base model dir (default: the shipped examples/base)")] = None,
) -> None:
    """Run the whole product offline on the embedded default: prepare, train, gate, promote, query."""
    from harness.demo import run_demo

    run_demo(fast=fast, keep=keep, device=device, base=base)


def main() -> None:
    """Entry point: user errors print as one line, exit status 2."""
    try:
        app()
    except HarnessError as exc:
        print(f"tunegate: error: {exc}", file=sys.stderr)
        sys.exit(2)
