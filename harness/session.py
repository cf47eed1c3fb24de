"""The state of one gate run: options, loaded models, recorded evidence, and the final decision."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from harness.engine import (
    PROVENANCE_NAME,
    DecodingParams,
    Generation,
    GenerationCache,
    LoadedModel,
    ModelKey,
    candidate_base,
    check_candidate,
    check_train_data,
    file_sha256,
    generate,
    load_import_record,
    load_model,
    load_tokenizer,
    reference_fingerprint,
    resolve_dtype,
    tokenizer_identity,
    weights_fingerprint,
)
from harness.errors import HarnessError
from harness.gate import (
    FAIL,
    UNDECIDED,
    Decision,
    Evidence,
    Policy,
    decide,
    load_policy,
    look,
    look_points,
    monitored_rules,
    score_aggregates,
)
from harness.manifest import load_manifest
from harness.scorers import redact
from harness.store import Store, fault_point, insert_rows, now, reap_stale_runs, resolve_alias

ROLES = ("candidate", "baseline")
CHUNK_SIZE = 64
"""Items a chunked suite evaluates (for both roles) before its first sequential look; each later chunk doubles
(``harness.gate.look_points``)."""
CHUNK_SEED = 0
"""Seed of the fixed shuffled order chunked items are evaluated in."""
T = TypeVar("T")
TRAIN_DATA_HINT = ("pass --train-data FILE, the chat JSONL it was trained on (or import it with "
                   "`tunegate import SRC --out DIR --train-data FILE`)")


@dataclass
class GateOptions:
    """Options of one gate run (from the pytest command line)."""

    candidate: Path
    baseline: str | None = None
    policy: Path = Path("suites/gate.toml")
    db: Path | None = None
    device: str = "cpu"
    trust_remote_code: bool = False
    batch_size: int | None = None
    cache: bool = True
    dtype: str = "auto"
    """auto | float32 | bfloat16 | float16 (auto: bfloat16 on CUDA, float32 elsewhere)."""
    train_data: Path | None = None
    """Training data of a candidate trained elsewhere (chat JSONL), for the contamination and prompting suites."""
    sequential: bool = True
    """Stop a chunked suite once anytime-valid tests decide every rule it feeds (--sequential/--no-sequential)."""
    reject_early: bool = True
    """With ``sequential``: once a required rule has failed its sequential test the verdict is REJECT whatever else
    is measured, so the gate stops there and skips the suites still to run (--reject-early/--no-reject-early)."""
    extra: dict[str, Any] = field(default_factory=dict)


def _git_sha() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


class GateSession:
    """Made once per pytest session; fixtures and hooks read and write it."""

    def __init__(self, options: GateOptions) -> None:
        from harness import __version__

        self.options = options
        self.version = __version__
        self.policy: Policy = load_policy(options.policy)
        self.policy_chosen = "given"  # why this policy (the plugin says: --policy, the project's, the default)
        self.store = Store(options.db)
        self.run_id = f"run-{now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}"
        self.evidence = Evidence(sequential={} if options.sequential else None)
        self._recorded_by: dict[tuple[str, str], set[str | None]] = {}  # (suite, metric) -> node ids recording it
        self._stopped: dict[str | None, str] = {}  # node id -> how its chunked evaluation stopped early
        self.errors: list[str] = []
        # the files the policy extends are evidence like the eval data: promote refuses when one changed since
        self.data_files: dict[str, str] = {str(path.resolve()): sha for path, sha in self.policy.bases}
        self.current_test: tuple[str, str | None] | None = None
        """(node id, its suite marker or None) of the test running now; set by the plugin."""
        self.progress_guard: Any = None
        """What progress output is written inside (the plugin's pytest capture suspension)."""
        self._models: dict[str, LoadedModel] = {}
        self._tokenizers: dict[str, Any] = {}
        self._model_keys: dict[str, ModelKey] = {}
        self.cache = GenerationCache(self.store, self.version, enabled=options.cache)
        self._pending: dict[str, list[dict[str, Any]]] = {"metrics": [], "samples": []}
        if not options.candidate.is_dir():
            raise HarnessError(f"--candidate {options.candidate}: not a directory")
        self.manifest = load_manifest(options.candidate)
        check_candidate(options.candidate, options.trust_remote_code)
        self.candidate_fingerprint = weights_fingerprint(options.candidate)
        self.dtype = resolve_dtype(options.dtype, options.device)
        self.train_data = self._resolve_train_data()
        self.train_data_sha256 = file_sha256(self.train_data) if self.train_data is not None else None
        self.train_data_hint = TRAIN_DATA_HINT
        self.baseline_ref = self._resolve_baseline()
        self.decision: Decision | None = None
        self.aborted = False

    def _resolve_baseline(self) -> str:
        ref = self.options.baseline or self.policy.baseline
        if ref and not Path(ref).exists():
            holder = resolve_alias(self.store, ref)
            if holder is None and ref != "production":
                raise HarnessError(f"--baseline {ref}: neither a directory nor a registry alias")
            if holder is not None:
                return holder.path
            ref = None
        if ref:
            return ref
        holder = resolve_alias(self.store, "production")
        if holder is not None:
            return holder.path
        base = candidate_base(self.options.candidate)
        if base is None and self.manifest is not None:
            base = self.manifest.resolve(self.options.candidate, self.manifest.base_model)
        if base is None:
            raise HarnessError(
                f"--candidate {self.options.candidate}: no base model known and no 'production' alias; pass --baseline"
            )
        return str(base)

    def _resolve_train_data(self) -> Path | None:
        """The candidate's training data: what its manifest (or ``tunegate import --train-data``) recorded, else
        ``--train-data``. Both given must be the same bytes: a different file would hide what the model saw."""
        root = self.options.candidate
        recorded: tuple[Path, str, Path] | None = None  # (data file, its recorded sha256, the record naming it)
        if self.manifest is not None and self.manifest.train_data is not None:
            data = self.manifest.train_data
            recorded = (self.manifest.resolve(root, data.path), data.sha256, root / "candidate.json")
        elif (record := load_import_record(root)) is not None and record.train_data is not None:
            data = record.train_data
            recorded = (root / data.path, data.sha256, root / PROVENANCE_NAME)
            if not recorded[0].is_file() or file_sha256(recorded[0]) != data.sha256:
                raise HarnessError(f"{recorded[2]}: its training data {recorded[0]} is missing or changed since the "
                                   "import (sha256 differs); import the model again with the data it was trained on")
        given = self.options.train_data
        if given is None:
            return recorded[0] if recorded else None
        if not given.is_file():
            raise HarnessError(f"--train-data {given}: not a file (give the chat JSONL the candidate was trained on)")
        check_train_data(given)
        if recorded is not None and file_sha256(given) != recorded[1]:
            raise HarnessError(f"--train-data {given}: differs from the training data {recorded[2]} records "
                               f"({recorded[0]}); drop --train-data to use the recorded data")
        return given

    def note_missing(self, suite: str, why: str, metrics: tuple[str, ...] = ()) -> None:
        """Say why a suite (or some of its ``metrics``) recorded nothing; rules left undecided quote it."""
        for key in [f"{suite}.{m}" for m in metrics] or [suite]:
            self.evidence.notes[key] = why

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Record the run as running (with the candidate) before any suite executes."""
        manifest = self.manifest
        candidate_id = manifest.id if manifest else f"external-{self.candidate_fingerprint[:12]}"
        self.candidate_id = candidate_id
        with self.store.write() as con:
            self.reaped = reap_stale_runs(con)
            # fetchall, not fetchone: an unfinished result blocks the Arrow insert below (re-gating a candidate)
            exists = con.execute("SELECT 1 FROM candidates WHERE id = ?", [candidate_id]).fetchall()
            if not exists:
                insert_rows(con, "candidates", [{
                    "id": candidate_id, "path": str(self.options.candidate.resolve()),
                    "method": manifest.method if manifest else None,
                    "base_model": manifest.base_model if manifest else None,
                    "weights_fingerprint": self.candidate_fingerprint,
                    "manifest": manifest.model_dump(mode="json") if manifest else None, "registered_at": now(),
                }])
            insert_rows(con, "runs", [{
                "id": self.run_id, "started_at": now(), "heartbeat_at": now(), "status": "running",
                "candidate_id": candidate_id, "candidate_path": str(self.options.candidate.resolve()),
                "candidate_fingerprint": self.candidate_fingerprint, "baseline_ref": self.baseline_ref,
                "policy_path": str(self.options.policy.resolve()), "policy_sha256": self.policy.sha256,
                "git_sha": _git_sha(), "harness_version": self.version, "pid": os.getpid(),
                "host": socket.gethostname(), "argv": " ".join(sys.argv), "dtype": self.dtype,
                "train_data": str(self.train_data.resolve()) if self.train_data else None,
                "train_data_sha256": self.train_data_sha256,
            }])
        fault_point("start")

    def model(self, role: str) -> LoadedModel:
        """The candidate or baseline, loaded once per session."""
        if role not in self._models:
            ref = str(self.options.candidate) if role == "candidate" else self.baseline_ref
            self._models[role] = load_model(
                ref, role, device=self.options.device, trust_remote_code=self.options.trust_remote_code,
                dtype=self.dtype,
            )
            if role == "baseline":
                self.baseline_fingerprint = self._models[role].fingerprint
        return self._models[role]

    def _ref(self, role: str) -> str:
        if role not in ROLES:
            raise HarnessError(f"role '{role}': expected one of {', '.join(ROLES)}")
        return str(self.options.candidate) if role == "candidate" else self.baseline_ref

    def tokenizer(self, role: str) -> Any:
        """The role's tokenizer, without loading its weights (a fully cached run never loads them)."""
        if role in self._models:
            return self._models[role].tokenizer
        if role not in self._tokenizers:
            self._tokenizers[role] = load_tokenizer(self._ref(role), trust_remote_code=self.options.trust_remote_code)
        return self._tokenizers[role]

    def model_key(self, role: str) -> ModelKey:
        """What identifies the role's outputs in the generation cache (computed once, weights not loaded)."""
        if role not in self._model_keys:
            fingerprint = reference_fingerprint(self._ref(role))
            if role == "baseline":
                self.baseline_fingerprint = fingerprint
            device = self.options.device.split(":")[0]
            self._model_keys[role] = ModelKey(fingerprint, tokenizer_identity(self.tokenizer(role)), self.dtype, device)
        return self._model_keys[role]

    def generate(self, role: str, prompts: list[str], params: DecodingParams | None = None) -> list[Generation]:
        """Greedy batched generation for ``role`` on rendered prompts, through the generation cache.

        Only the prompts the cache lacks reach the model (loaded on the first miss); ``--no-cache`` computes all.
        """
        params = params or DecodingParams()

        def compute(todo: list[str]) -> list[Generation]:
            loaded = self.model(role)
            with self._progress(f"generate {role}", len(todo), "rows") as bar:
                return generate(loaded.model, loaded.tokenizer, todo, params, batch_size=self.options.batch_size,
                                on_batch=lambda rows: bar.update(advance=rows))

        return self.cache.generate(self.model_key(role), prompts, params, compute)

    def loglikelihood(self, role: str, requests: list[tuple[str, str]]) -> list[tuple[float, bool]]:
        """(sum log-prob of continuation, is_greedy) per (context, continuation), batched and cached."""
        from harness.engine import loglikelihood

        def compute(todo: list[tuple[str, str]]) -> list[tuple[float, bool]]:
            loaded = self.model(role)
            with self._progress(f"log-likelihood {role}", len(todo), "requests") as bar:
                return loglikelihood(loaded.model, loaded.tokenizer, todo, batch_size=self.options.batch_size,
                                     on_batch=lambda rows: bar.update(advance=rows))

        return self.cache.loglikelihood(self.model_key(role), requests, compute)

    def _progress(self, what: str, total: int, unit: str) -> Any:
        """Progress of the model work one test asked for, labelled with its suite."""
        from harness.report import Progress

        suite = self.current_test[1] if self.current_test else None
        return Progress(f"{suite}: {what}" if suite else what, total, unit, guard=self.progress_guard)

    def use_data(self, path: str | Path) -> None:
        """Note an eval data file; its sha256 goes into the decision for tamper evidence."""
        self.data_files[str(Path(path).resolve())] = file_sha256(path)

    # -- sequential evaluation -------------------------------------------------------------------------------
    def chunks(self, items: Sequence[T], suite: str, metrics: Iterable[str] | None = None,
               size: int = CHUNK_SIZE) -> Iterator[list[T]]:
        """The items of a suite a chunk at a time, ending early once every rule the suite feeds is decided.

        The first chunk holds ``size`` items, each later one about as many as all before it (``look_points``).
        Evaluate each chunk for both roles and record its per-example samples (``record_samples``) before the loop
        asks for the next one: the session then judges the rules on ``suite`` (only those on ``metrics`` when
        given: the metrics this loop records, when other tests of the suite record the rest) with anytime-valid
        sequential tests (``harness.gate.sequential``), and ends the iteration when all of them are decided (the
        required ones: advisory rules never block, so nothing waits for them), or, with ``reject_early``, when a
        required rule has failed (the verdict is REJECT; the plugin then skips the suites still to run).
        Record aggregate metrics after the loop, over the items evaluated. Items come in a fixed shuffled order, so
        that every prefix is a random sample of the set (eval files are often sorted by category). With
        ``--no-sequential``, or when no rule on the suite has a sequential test, one chunk holds every item in file
        order.
        """
        items = list(items)
        rules = monitored_rules(self.policy.rules, suite, metrics)
        if not self.options.sequential or not any(rule.sequential for rule in rules):
            yield items  # nothing to decide by looking: every item runs anyway
            return
        import numpy as np

        alpha = 1.0 - self.policy.confidence
        # advisory rules are judged on what the required ones needed: they never block, so nothing waits for them
        waits = [r for r in rules if self._blocking(r)] or rules
        order = np.random.default_rng(CHUNK_SEED).permutation(len(items))
        start = 0
        for end in look_points(len(items), size):
            yield [items[i] for i in order[start:end]]
            start = end
            look(rules, self.evidence, alpha, last=end == len(items))
            stops = self.evidence.sequential or {}
            self._note_rejection(rules, suite)
            decided = all(stops[r.name].status != UNDECIDED for r in waits)
            if end < len(items) and (decided or self.evidence.settled):
                why = f"stopped after {end} of {len(items)} items: " + (
                    "every rule it feeds was decided sequentially" if decided else "the gate's verdict is REJECT already")
                self._stopped[self.current_test[0] if self.current_test else None] = f"suite '{suite}' {why}"
                from harness.report import milestone

                milestone(f"{suite}: {why} ({self._stop_summary(rules)})", guard=self.progress_guard)
                return

    def _blocking(self, rule: Any) -> bool:
        return bool(rule.required) and self.policy.suite_required(rule.suite)

    def _note_rejection(self, rules: list[Any], suite: str) -> None:
        """With --reject-early, remember the first required rule whose sequential test failed: the gate's verdict
        is then REJECT, so the session stops evaluating (the plugin skips the suites still to run)."""
        if not self.options.reject_early or self.evidence.settled:
            return
        stops = self.evidence.sequential or {}
        for rule in rules:
            stop = stops.get(rule.name)
            if stop is not None and stop.status == FAIL and self._blocking(rule):
                self.evidence.settled = (f"required rule '{rule.name}' failed its sequential test at n={stop.n} "
                                       f"(suite '{suite}'), so the verdict is REJECT whatever else is measured")
                return

    def _stop_summary(self, rules: list[Any]) -> str:
        stops = self.evidence.sequential or {}
        return "; ".join(f"{r.name}: {stops[r.name].status} at n={stops[r.name].n}" for r in rules if r.name in stops)

    # -- recording -------------------------------------------------------------------------------------------
    def _check_marker(self, suite: str, metric: str) -> None:
        """A test must carry the marker of the suite it records for: the gate judges a suite by the outcomes of
        its marked tests, so unmarked evidence would be judged as "suite did not run" while the test passed."""
        if self.current_test is None:
            return
        nodeid, marked = self.current_test
        if marked == suite:
            return
        if marked is None:
            why = (f"{nodeid} records {suite}.{metric} but has no suite marker, so the gate cannot tell whether "
                   f"suite '{suite}' ran: add pytestmark = pytest.mark.suite({suite!r}) to its module (or "
                   f"@pytest.mark.suite({suite!r}) to the test)")
        else:
            why = (f"{nodeid} is marked suite({marked!r}) but records {suite}.{metric}: record under '{marked}' "
                   f"or mark the test pytest.mark.suite({suite!r})")
        if why not in self.errors:
            self.errors.append(why)  # a session fault: whatever the test does with the error, nothing promotes
        raise HarnessError(why)

    def _note_recording(self, suite: str, metric: str) -> None:
        """Which tests record a metric: one whose chunked evaluation stopped early recorded it on part of the items."""
        self._recorded_by.setdefault((suite, metric), set()).add(self.current_test[0] if self.current_test else None)

    def record_metric(
        self, suite: str, role: str, metric: str, value: float, n: int | None = None,
        ci: tuple[float, float] | None = None,
    ) -> None:
        """Record one aggregate metric for a role."""
        self._check_marker(suite, metric)
        self._note_recording(suite, metric)
        self.evidence.metrics[(role, suite, metric)] = float(value)
        self._pending["metrics"].append({
            "run_id": self.run_id, "role": role, "suite": suite, "metric": metric, "value": float(value), "n": n,
            "ci_low": ci[0] if ci else None, "ci_high": ci[1] if ci else None, "recorded_at": now(),
        })

    def record_samples(self, suite: str, role: str, metric: str, rows: list[dict[str, Any]]) -> None:
        """Record per-example scores (keys: example_id, score, and optionally prompt, output, reference,
        category, latency_ms); the gate pairs candidate and baseline on example_id."""
        self._check_marker(suite, metric)
        self._note_recording(suite, metric)
        scores = self.evidence.scores.setdefault((role, suite, metric), {})
        cats = self.evidence.categories.setdefault((suite, metric), {})
        for row in rows:
            example_id = str(row["example_id"])
            if example_id in scores:
                raise HarnessError(f"suite '{suite}': duplicate example_id '{example_id}' for {role} {metric}")
            scores[example_id] = float(row["score"])
            if row.get("category") is not None:
                cats[example_id] = str(row["category"])
            text = {k: row.get(k) for k in ("prompt", "output", "reference")}
            if self.policy.redact_pii:
                text = {k: redact(v)[0] if isinstance(v, str) else v for k, v in text.items()}
            self._pending["samples"].append({
                "run_id": self.run_id, "role": role, "suite": suite, "metric": metric, "example_id": example_id,
                "category": row.get("category"), **text, "score": float(row["score"]), "latency_ms": row.get("latency_ms"),
            })

    def flush(self, outcomes: list[dict[str, Any]] | None = None) -> None:
        """Write what one test recorded, its outcome and a heartbeat in one transaction."""
        metrics, samples = self._pending["metrics"], self._pending["samples"]
        self._pending = {"metrics": [], "samples": []}
        with self.store.write() as con:
            insert_rows(con, "metrics", metrics)
            insert_rows(con, "samples", samples)
            insert_rows(con, "suite_outcomes", [dict(o, run_id=self.run_id) for o in outcomes or []])
            con.execute("UPDATE runs SET heartbeat_at = ? WHERE id = ?", [now(), self.run_id])
            fault_point("flush")
        fault_point("after_flush")

    def finish(self, suite_status: dict[str, str]) -> Decision:
        """Decide, then store the decision, every verdict and the run's end in one transaction."""
        self.evidence.suite_status = suite_status
        for (suite, metric), nodes in self._recorded_by.items():
            stopped = [self._stopped[node] for node in nodes if node in self._stopped]
            if stopped:
                self.evidence.partial[f"{suite}.{metric}"] = stopped[0]
        self._recheck_weights()
        decision = decide(self.policy, self.evidence, self.errors)
        self.decision = decision
        verdict_rows = [{
            "run_id": self.run_id, "rule": v.rule, "kind": v.kind, "suite": v.suite, "metric": v.metric,
            "required": v.required, "status": v.status, "candidate": v.candidate, "baseline": v.baseline,
            "delta": v.delta, "ci_low": v.ci_low, "ci_high": v.ci_high, "n": v.n, "needed_n": v.needed_n,
            "reason": v.reason, "items_used": v.items_used, "stop_reason": v.stop_reason,
        } for v in decision.verdicts]
        aggregates = [dict(row, run_id=self.run_id, recorded_at=now()) for row in score_aggregates(self.evidence)]
        with self.store.write() as con:
            insert_rows(con, "metrics", aggregates)
            insert_rows(con, "rule_verdicts", verdict_rows)
            insert_rows(con, "decisions", [{
                "run_id": self.run_id, "decision": decision.decision, "reasons": json.dumps(decision.reasons),
                "policy_sha256": self.policy.sha256, "candidate_fingerprint": self.candidate_fingerprint,
                "data_sha256": json.dumps(self.data_files, sort_keys=True), "decided_at": now(),
            }])
            con.execute(
                "UPDATE runs SET status = 'finished', finished_at = ?, heartbeat_at = ?, baseline_fingerprint = ? "
                "WHERE id = ?",
                [now(), now(), getattr(self, "baseline_fingerprint", None), self.run_id],
            )
            fault_point("decision")
        fault_point("after_decision")
        return decision

    def _recheck_weights(self) -> None:
        """Weights swapped while the suites ran make the evidence worthless: record it as a session fault."""
        try:
            current = weights_fingerprint(self.options.candidate)
        except (HarnessError, OSError) as exc:
            current = f"unreadable ({exc})"
        if current != self.candidate_fingerprint:
            self.errors.append(
                f"--candidate {self.options.candidate}: weights changed during the run "
                f"(started {self.candidate_fingerprint[:12]}, now {current[:12]}); gate it again"
            )

    def abort(self, reason: str) -> None:
        """Mark the run aborted (no decision is ever written for it); a finished run stays finished."""
        self.aborted = True
        self.errors.append(reason)
        with self.store.write() as con:
            con.execute(
                "UPDATE runs SET status = 'aborted', finished_at = ? WHERE id = ? AND status = 'running'",
                [now(), self.run_id],
            )
