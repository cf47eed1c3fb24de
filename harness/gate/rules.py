"""Gate rules as small value objects: each turns the run's evidence into one verdict with its numbers."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from harness.gate.sequential import Observations
from harness.gate.stats import mcnemar_needed_n, needed_n, paired_bootstrap

PASS, FAIL, UNDECIDED = "pass", "fail", "undecided"


@dataclass
class Evidence:
    """What a run measured: metric values per role, per-example scores per role, suite outcomes."""

    metrics: dict[tuple[str, str, str], float] = field(default_factory=dict)  # (role, suite, metric) -> value
    scores: dict[tuple[str, str, str], dict[str, float]] = field(default_factory=dict)  # -> {example_id: score}
    categories: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)  # (suite, metric) -> {id: cat}
    suite_status: dict[str, str] = field(default_factory=dict)  # suite -> passed | failed | error | skipped
    notes: dict[str, str] = field(default_factory=dict)  # 'suite' or 'suite.metric' -> why nothing was recorded
    confidence: float = 0.95
    resamples: int = 10_000
    sequential: dict[str, Stop] | None = None  # rule name -> where its sequential test stopped; None: monitoring off
    partial: dict[str, str] = field(default_factory=dict)  # 'suite.metric' -> why it holds only part of the items
    settled: str | None = None  # why the session stopped before every suite ran (the verdict was already REJECT)

    def value(self, role: str, suite: str, metric: str) -> float | None:
        """A metric's value: recorded directly, else the mean of its per-example scores."""
        if (role, suite, metric) in self.metrics:
            return self.metrics[(role, suite, metric)]
        per_example = self.scores.get((role, suite, metric))
        if per_example:
            return float(np.mean(list(per_example.values())))
        return None

    def paired(self, suite: str, metric: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Candidate and baseline scores on the examples both answered, aligned by example id."""
        cand = self.scores.get(("candidate", suite, metric), {})
        base = self.scores.get(("baseline", suite, metric), {})
        ids = sorted(set(cand) & set(base))
        return np.array([cand[i] for i in ids]), np.array([base[i] for i in ids]), ids

    def paired_in_order(self, suite: str, metric: str) -> np.ndarray:
        """Candidate − baseline on the examples both answered, in the order the candidate's were recorded (the
        evaluation order, which a sequential test consumes)."""
        cand = self.scores.get(("candidate", suite, metric), {})
        base = self.scores.get(("baseline", suite, metric), {})
        return np.array([score - base[i] for i, score in cand.items() if i in base], dtype=float)


@dataclass
class Stop:
    """Where a rule's sequential test stood when its suite stopped looking: decided (PASS or FAIL) or UNDECIDED."""

    status: str
    n: int  # items (pairs) the rule had used
    reason: str  # "decided fail at n=128: ..." or why it did not decide


@dataclass
class Verdict:
    """One rule's outcome with the numbers behind it."""

    rule: str
    kind: str
    suite: str
    metric: str
    required: bool
    status: str
    reason: str
    candidate: float | None = None
    baseline: float | None = None
    delta: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    needed_n: int | None = None
    items_used: int | None = None  # items the decision rests on (fewer than n when a sequential test decided early)
    stop_reason: str | None = None  # why it used that many: "decided pass at n=192", "ran all 894 items", ...
    skipped: bool = False  # not evaluated: its suite never ran because the verdict was settled before (not stored)

    @property
    def blocks(self) -> bool:
        """A required rule that did not pass blocks promotion (fail closed)."""
        return self.required and self.status != PASS


class SpecError(ValueError):
    """A [[rules]] entry is invalid; ``key`` names the offending key so the policy can point at its line."""

    def __init__(self, key: str | None, message: str) -> None:
        super().__init__(message)
        self.key = key


def _number(spec: dict[str, Any], key: str) -> float:
    value = spec[key]
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise SpecError(key, f"'{key}' must be a finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Rule:
    """Base rule: names a ``suite.metric`` and decides on it."""

    kind: ClassVar[str] = ""
    params: ClassVar[tuple[str, ...]] = ()  # the one numeric parameter a kind requires (``threshold``)
    optional: ClassVar[dict[str, float]] = {}  # a numeric parameter a kind may omit, with its default
    sequential: ClassVar[bool] = False  # whether the kind has a sequential test (``observations``)
    metric_ref: str
    name: str
    required: bool = True
    threshold: float = 0.0

    @property
    def suite(self) -> str:
        return self.metric_ref.split(".", 1)[0]

    @property
    def metric(self) -> str:
        return self.metric_ref.split(".", 1)[1]

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> Rule:
        """Build from a [[rules]] table; unknown keys, missing or mistyped parameters raise SpecError."""
        allowed = {"kind", "metric", "name", "required", "advisory", *cls.params, *cls.optional}
        unknown = sorted(set(spec) - allowed)
        if unknown:
            raise SpecError(unknown[0], f"unknown key '{unknown[0]}' for kind '{cls.kind}'; allowed: {sorted(allowed)}")
        metric = spec.get("metric")
        if not isinstance(metric, str) or not re.fullmatch(r"[A-Za-z0-9_\-]+\.[^.\s][^\s]*", metric):
            raise SpecError("metric" if "metric" in spec else None,
                            f"'metric' must be 'suite.metric' (e.g. \"task.exact_match\"), got {metric!r}")
        threshold = 0.0
        for param in cls.params:
            if param not in spec:
                raise SpecError(None, f"missing '{param}' (kind '{cls.kind}' needs it)")
            threshold = _number(spec, param)
        for param, default in cls.optional.items():
            threshold = _number(spec, param) if param in spec else default
        for flag in ("required", "advisory"):
            if flag in spec and not isinstance(spec[flag], bool):
                raise SpecError(flag, f"'{flag}' must be true or false, got {spec[flag]!r}")
        if "required" in spec and "advisory" in spec and spec["required"] == spec["advisory"]:
            raise SpecError("advisory", "'required' and 'advisory' contradict each other; keep one of them")
        required = spec.get("required", not spec.get("advisory", False))
        name = spec.get("name", f"{metric} {cls.kind}")
        if not isinstance(name, str) or not name.strip():
            raise SpecError("name", f"'name' must be a non-empty string, got {name!r}")
        return cls(metric_ref=metric, name=name, required=required, threshold=threshold)

    def verdict(self, status: str, reason: str, **numbers: Any) -> Verdict:
        return Verdict(self.name, self.kind, self.suite, self.metric, self.required, status, reason, **numbers)

    def evaluate(self, ev: Evidence) -> Verdict:
        """Check suite health first (fail closed), then apply the rule and its sequential decision, if any; a rule
        that did not pass quotes the suite's note on why it recorded nothing (e.g. which option would have given
        it the data)."""
        verdict = self._evaluate(ev)
        self._settle(ev, verdict)
        note = ev.notes.get(self.metric_ref) or ev.notes.get(self.suite)
        if note and verdict.status != PASS:
            verdict.reason = f"{verdict.reason}: {note}"
        return verdict

    def _evaluate(self, ev: Evidence) -> Verdict:
        status = ev.suite_status.get(self.suite)
        if ev.settled and status == "skipped":
            verdict = self.verdict(UNDECIDED, f"not evaluated: suite '{self.suite}' was skipped because {ev.settled}")
            verdict.skipped = True
            return verdict
        if status is None:
            return self.verdict(UNDECIDED, f"suite '{self.suite}' did not run (deselected, skipped or missing)")
        if status == "deselected":
            return self.verdict(
                UNDECIDED, f"suite '{self.suite}' did not run completely (tests deselected by -k, -m or --lf)"
            )
        if status != "passed":
            return self.verdict(UNDECIDED, f"suite '{self.suite}' {status}; its metrics cannot be trusted")
        return self.check(ev)

    def check(self, ev: Evidence) -> Verdict:
        raise NotImplementedError

    def observations(self, ev: Evidence) -> Observations | str:
        """What a sequential test of this rule consumes (bounded values in evaluation order and the threshold their
        mean is held to), or why the rule has no sequential test."""
        return f"no sequential method for kind '{self.kind}'"

    def _settle(self, ev: Evidence, verdict: Verdict) -> None:
        """Put the rule's sequential decision (harness.gate.monitor) in force and say what the verdict rests on.

        A decided test gives the status; the numbers stay the fixed-n ones over every item evaluated. Fail closed:
        a sequential decision the fixed-n rule on the same items contradicts (one passes, the other fails) is
        UNDECIDED; a rule with no sequential decision is the fixed-n rule, exactly as without monitoring, and may
        not pass on a metric whose suite stopped early (it saw only part of the items).
        """
        evaluated = verdict.items_used = verdict.n if verdict.n is not None else self.scored(ev)
        if ev.sequential is None:
            verdict.stop_reason = "sequential monitoring off (--no-sequential): ran all items"
            return
        stop = ev.sequential.get(self.name)
        obs = self.observations(ev)
        if stop is None or isinstance(obs, str):
            why = obs if isinstance(obs, str) else "its suite evaluates all items at once (no sequential looks)"
            verdict.stop_reason = why
            partial = ev.partial.get(self.metric_ref)
            if partial:
                verdict.stop_reason = f"{why}; {partial}"
                if verdict.status == PASS:
                    verdict.status = UNDECIDED
                    verdict.reason = (f"{partial}, so '{self.metric_ref}' covers only part of its items, and this "
                                      f"rule has no sequential decision ({why}): it cannot pass on part of the "
                                      f"items; fixed-n: {verdict.reason}")
            return
        verdict.items_used, verdict.stop_reason = stop.n, stop.reason
        if ev.suite_status.get(self.suite) != "passed" or stop.status == UNDECIDED:
            return  # the suite's health verdict, or the fixed-n rule on every item as without monitoring
        fixed_status, fixed = verdict.status, self._fixed_summary(verdict, ev, evaluated)
        verdict.needed_n = None
        verdict.stop_reason = f"decided {stop.status} at n={stop.n}"
        if {fixed_status, stop.status} == {PASS, FAIL}:
            verdict.status = UNDECIDED
            verdict.reason = (f"{stop.reason}, but the fixed-n rule on all {evaluated} evaluated items says "
                              f"{fixed_status} ({fixed}): conflicting evidence decides nothing")
            return
        verdict.status = stop.status
        verdict.reason = f"{stop.reason}; fixed-n on every evaluated item: {fixed}"

    def _fixed_summary(self, verdict: Verdict, ev: Evidence, evaluated: int | None) -> str:
        if verdict.ci_low is not None and verdict.ci_high is not None and verdict.delta is not None:
            return (f"Δ {verdict.delta:+.4f}, {ev.confidence:.0%} CI [{verdict.ci_low:+.4f}, {verdict.ci_high:+.4f}],"
                    f" n={verdict.n}")
        value = "—" if verdict.candidate is None else f"{verdict.candidate:.4g}"
        return f"{value} over n={evaluated}"

    def scored(self, ev: Evidence) -> int | None:
        """How many per-example scores the candidate has for this rule's metric (None: none)."""
        scores = ev.scores.get(("candidate", self.suite, self.metric))
        return len(scores) if scores else None

    def _unit_scores(self, ev: Evidence, roles: tuple[str, ...]) -> str | None:
        """Why the per-example scores are no bounded observations (None when all lie in [0, 1])."""
        for role in roles:
            values = np.fromiter(ev.scores.get((role, self.suite, self.metric), {}).values(), dtype=float)
            if values.size and not bool(((values >= 0.0) & (values <= 1.0)).all()):
                return f"{role} scores of '{self.metric_ref}' lie outside [0, 1]: no sequential method"
        return None

    def _one_sample(self, ev: Evidence, pass_above: bool) -> Observations | str:
        if ("candidate", self.suite, self.metric) in ev.metrics:
            return f"'{self.metric_ref}' is a recorded aggregate, not a mean of per-example scores: no sequential method"
        why = self._unit_scores(ev, ("candidate",))
        if why:
            return why
        scores = ev.scores.get(("candidate", self.suite, self.metric), {})
        return Observations(np.fromiter(scores.values(), dtype=float), self.threshold, 0.0, 1.0, pass_above)

    def _missing(self, role: str) -> Verdict:
        return self.verdict(UNDECIDED, f"metric '{self.metric_ref}' was not recorded for the {role}")


@dataclass(frozen=True)
class Floor(Rule):
    """Candidate's value must be at least ``min``."""

    kind: ClassVar[str] = "floor"
    sequential: ClassVar[bool] = True
    params: ClassVar[tuple[str, ...]] = ("min",)

    def check(self, ev: Evidence) -> Verdict:
        value = ev.value("candidate", self.suite, self.metric)
        if value is None:
            return self._missing("candidate")
        ok = value >= self.threshold
        op = ">=" if ok else "<"
        return self.verdict(PASS if ok else FAIL, f"{value:.4g} {op} floor {self.threshold:.4g}", candidate=value)

    def observations(self, ev: Evidence) -> Observations | str:
        return self._one_sample(ev, pass_above=True)


@dataclass(frozen=True)
class Ceiling(Rule):
    """Candidate's value must be at most ``max``."""

    kind: ClassVar[str] = "ceiling"
    sequential: ClassVar[bool] = True
    params: ClassVar[tuple[str, ...]] = ("max",)

    def check(self, ev: Evidence) -> Verdict:
        value = ev.value("candidate", self.suite, self.metric)
        if value is None:
            return self._missing("candidate")
        ok = value <= self.threshold
        op = "<=" if ok else ">"
        return self.verdict(PASS if ok else FAIL, f"{value:.4g} {op} ceiling {self.threshold:.4g}", candidate=value)

    def observations(self, ev: Evidence) -> Observations | str:
        return self._one_sample(ev, pass_above=False)


@dataclass(frozen=True)
class Zero(Rule):
    """Zero tolerance: the candidate's value must be exactly 0 (leaks, contaminated items)."""

    kind: ClassVar[str] = "zero"

    def check(self, ev: Evidence) -> Verdict:
        value = ev.value("candidate", self.suite, self.metric)
        if value is None:
            return self._missing("candidate")
        ok = value == 0
        return self.verdict(PASS if ok else FAIL, f"{value:.4g} {'==' if ok else '!='} 0", candidate=value)


@dataclass(frozen=True)
class Ratio(Rule):
    """candidate / baseline must be at most ``max_ratio`` (latency, memory)."""

    kind: ClassVar[str] = "ratio"
    params: ClassVar[tuple[str, ...]] = ("max_ratio",)

    def check(self, ev: Evidence) -> Verdict:
        cand = ev.value("candidate", self.suite, self.metric)
        base = ev.value("baseline", self.suite, self.metric)
        if cand is None:
            return self._missing("candidate")
        if base is None:
            return self._missing("baseline")
        if base <= 0:
            return self.verdict(UNDECIDED, f"baseline value {base:.4g} is not positive; a ratio to it means nothing",
                                candidate=cand, baseline=base)
        ratio = cand / base
        ok = ratio <= self.threshold
        reason = f"ratio {ratio:.3g} {'<=' if ok else '>'} {self.threshold:.3g} ({cand:.4g} vs {base:.4g})"
        return self.verdict(PASS if ok else FAIL, reason, candidate=cand, baseline=base, delta=ratio)


@dataclass(frozen=True)
class _Paired(Rule):
    """Shared logic of rules judged on the paired CI of candidate − baseline against a threshold.

    PASS when the whole CI lies above the bound, FAIL when it lies at or below it, otherwise UNDECIDED with the
    n that would decide it at the observed effect. For superiority on 0/1 scores McNemar's exact test must also
    reject "no difference": a bootstrap over a handful of discordant pairs is too optimistic on its own.
    """

    sequential: ClassVar[bool] = True

    def bound(self) -> float:
        raise NotImplementedError

    def observations(self, ev: Evidence) -> Observations | str:
        why = self._unit_scores(ev, ("candidate", "baseline"))
        if why:
            return why
        return Observations(ev.paired_in_order(self.suite, self.metric), self.bound(), -1.0, 1.0, pass_above=True)

    def check(self, ev: Evidence) -> Verdict:
        cand, base, _ = ev.paired(self.suite, self.metric)
        if cand.size == 0:
            which = "candidate" if not ev.scores.get(("candidate", self.suite, self.metric)) else "baseline"
            return self.verdict(UNDECIDED, f"no paired per-example scores for '{self.metric_ref}' ({which} missing)")
        est = paired_bootstrap(cand, base, confidence=ev.confidence, resamples=ev.resamples)
        bound = self.bound()
        numbers: dict[str, Any] = dict(
            candidate=est.candidate, baseline=est.baseline, delta=est.delta, ci_low=est.ci_low,
            ci_high=est.ci_high, n=est.n,
        )
        ci = f"Δ {est.delta:+.4f}, {ev.confidence:.0%} CI [{est.ci_low:+.4f}, {est.ci_high:+.4f}], n={est.n}"
        exact = self.kind == "superiority" and bound == 0.0 and est.discordant is not None
        alpha = 1.0 - ev.confidence
        if exact and est.p_value is not None:
            ci += f", McNemar p={est.p_value:.3g} ({est.discordant[0]} vs {est.discordant[1]} discordant)"  # type: ignore[index]
        if est.ci_low > bound and (not exact or (est.p_value is not None and est.p_value < alpha)):
            return self.verdict(PASS, f"{ci} clears {bound:+.4f}", **numbers)
        if est.ci_high <= bound:
            return self.verdict(FAIL, f"{ci} is not above {bound:+.4f}", **numbers)
        need = needed_n(cand - base, bound, ev.confidence)
        if exact and est.discordant is not None:
            exact_need = mcnemar_needed_n(*est.discordant, est.n, ev.confidence)
            need = max(need or 0, exact_need or 0) or None
        if need:
            more = f"about n={need} paired examples would decide it at the observed effect"
        else:
            more = "no sample size decides it: the observed effect sits on the threshold"
        return self.verdict(UNDECIDED, f"{ci} straddles {bound:+.4f}; {more}", needed_n=need, **numbers)


@dataclass(frozen=True)
class Superiority(_Paired):
    """Candidate must beat the baseline: the CI's lower bound on candidate − baseline above ``margin`` (default 0)."""

    kind: ClassVar[str] = "superiority"
    params: ClassVar[tuple[str, ...]] = ()
    optional: ClassVar[dict[str, float]] = {"margin": 0.0}

    def bound(self) -> float:
        return self.threshold


@dataclass(frozen=True)
class NonInferiority(_Paired):
    """Candidate may drop at most ``margin`` below the baseline, judged on the CI's lower bound."""

    kind: ClassVar[str] = "non_inferiority"
    params: ClassVar[tuple[str, ...]] = ("margin",)

    def bound(self) -> float:
        return -abs(self.threshold)


@dataclass(frozen=True)
class CategoryFloor(Rule):
    """Every category of the eval set must reach ``min`` on the candidate's per-example scores."""

    kind: ClassVar[str] = "category_floor"
    params: ClassVar[tuple[str, ...]] = ("min",)

    def check(self, ev: Evidence) -> Verdict:
        scores = ev.scores.get(("candidate", self.suite, self.metric))
        cats = ev.categories.get((self.suite, self.metric), {})
        if not scores:
            return self._missing("candidate")
        by_cat: dict[str, list[float]] = {}
        for example_id, score in scores.items():
            by_cat.setdefault(cats.get(example_id) or "(none)", []).append(score)
        means = {c: float(np.mean(v)) for c, v in sorted(by_cat.items())}
        low = {c: m for c, m in means.items() if m < self.threshold}
        worst = min(means.values())
        if low:
            listed = ", ".join(f"{c}={m:.3g}" for c, m in low.items())
            return self.verdict(FAIL, f"below {self.threshold:.3g}: {listed}", candidate=worst)
        return self.verdict(PASS, f"all {len(means)} categories >= {self.threshold:.3g} (lowest {worst:.3g})", candidate=worst)


RULE_KINDS: dict[str, type[Rule]] = {
    r.kind: r for r in (Floor, Ceiling, Zero, Ratio, Superiority, NonInferiority, CategoryFloor)
}
