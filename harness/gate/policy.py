"""The gate policy file (TOML): settings, per-suite requirements, and rules parsed into value objects.

Format (``suites/gate.toml``)::

    [gate]
    confidence = 0.95        # of every paired interval, in [0.5, 1)
    resamples = 10000        # bootstrap resamples
    baseline = "production"  # optional default for --baseline
    production_template_sha256 = "..."  # optional, read by the format suite
    [gate.settings]          # free-form settings that suites read (policy.settings)

    [suites.safety]
    required = false         # advisory: its rules are reported but never block

    [[rules]]
    name = "task accuracy beats baseline"   # optional; default "<metric> <kind>"
    metric = "task.exact_match"             # suite.metric
    kind = "superiority"                    # see harness.gate.rules.RULE_KINDS
    margin = 0.0                            # the kind's parameters
    advisory = true                         # optional: report but never block (or required = false)

Every error names the file, the line and the key.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import PolicyError
from harness.gate.rules import RULE_KINDS, Rule, SpecError

GATE_KEYS = ("confidence", "resamples", "baseline", "production_template_sha256", "settings", "redact_pii")
SUITE_KEYS = ("required",)


@dataclass(frozen=True)
class Policy:
    """A parsed gate policy."""

    path: Path
    sha256: str
    rules: list[Rule]
    confidence: float = 0.95
    resamples: int = 10_000
    baseline: str | None = None
    suites: dict[str, bool] = field(default_factory=dict)  # suite -> required
    production_template_sha256: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    redact_pii: bool = False  # redact e-mails, phones and card numbers from stored prompts/outputs

    def suite_required(self, suite: str) -> bool:
        """Suites are required unless the policy marks them advisory (required = false)."""
        return self.suites.get(suite, True)


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)\s*=""")


class _Lines:
    """Where each table and key sits in the policy text, so errors can name a line."""

    def __init__(self, text: str) -> None:
        self.at: dict[tuple[str, str | None], int] = {}
        section = ""
        rules = -1
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                name = header.group(2).replace('"', "").replace("'", "")
                if header.group(1) == "[[" and name == "rules":
                    rules += 1
                    name = f"rules[{rules}]"
                section = name
                self.at.setdefault((section, None), number)
                continue
            key = _KEY.match(line)
            if key:
                self.at.setdefault((section, key.group(1).strip("\"'")), number)

    def line(self, section: str, key: str | None = None) -> int | None:
        """Line of ``key`` in ``section`` (else of the section header); None when unknown."""
        return self.at.get((section, key)) or self.at.get((section, None))


class _Where:
    def __init__(self, path: Path, lines: _Lines) -> None:
        self.path, self.lines = path, lines

    def error(self, section: str, key: str | None, message: str) -> PolicyError:
        line = self.lines.line(section, key)
        where = f"{self.path}:{line}" if line else str(self.path)
        label = section if section.startswith("rules[") else f"[{section}]" if section else ""
        if key and not section:
            label = key
        elif key:
            label += f".{key}" if section.startswith("rules[") else f" {key}"
        return PolicyError(f"{where}: {label}: {message}")


def _gate_section(gate: Any, where: _Where) -> dict[str, Any]:
    if not isinstance(gate, dict):
        raise where.error("", "gate", "must be a table ([gate])")
    for key in gate:
        if key not in GATE_KEYS:
            raise where.error("gate", key, f"unknown key (expected one of {sorted(GATE_KEYS)})")
    confidence = gate.get("confidence", 0.95)
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0.5 <= confidence < 1.0:
        raise where.error("gate", "confidence", f"must be a number in [0.5, 1), got {confidence!r}")
    resamples = gate.get("resamples", 10_000)
    if isinstance(resamples, bool) or not isinstance(resamples, int) or not 100 <= resamples <= 1_000_000:
        raise where.error("gate", "resamples", f"must be an integer in [100, 1000000], got {resamples!r}")
    for key in ("baseline", "production_template_sha256"):
        if key in gate and (not isinstance(gate[key], str) or not gate[key]):
            raise where.error("gate", key, f"must be a non-empty string, got {gate[key]!r}")
    if "settings" in gate and not isinstance(gate["settings"], dict):
        raise where.error("gate", "settings", "must be a table ([gate.settings])")
    if "redact_pii" in gate and not isinstance(gate["redact_pii"], bool):
        raise where.error("gate", "redact_pii", f"must be true or false, got {gate['redact_pii']!r}")
    return {"confidence": float(confidence), "resamples": resamples, "baseline": gate.get("baseline"),
            "production_template_sha256": gate.get("production_template_sha256"),
            "settings": dict(gate.get("settings", {})), "redact_pii": gate.get("redact_pii", False)}


def _suites_section(suites: Any, where: _Where) -> dict[str, bool]:
    if not isinstance(suites, dict):
        raise where.error("", "suites", "must be tables ([suites.NAME])")
    out: dict[str, bool] = {}
    for name, spec in suites.items():
        section = f"suites.{name}"
        if not isinstance(spec, dict):
            raise where.error("suites", name, "must be a table ([suites.NAME] with required = true|false)")
        for key in spec:
            if key not in SUITE_KEYS:
                raise where.error(section, key, "unknown key; a suite takes only 'required = true|false'")
        required = spec.get("required", True)
        if not isinstance(required, bool):
            raise where.error(section, "required", f"must be true or false, got {required!r}")
        out[name] = required
    return out


def _rules_section(rules: Any, where: _Where) -> list[Rule]:
    if not isinstance(rules, list):
        raise where.error("", "rules", "must be an array of tables ([[rules]])")
    parsed: list[Rule] = []
    names: dict[str, int] = {}
    for i, spec in enumerate(rules):
        section = f"rules[{i}]"
        if not isinstance(spec, dict):
            raise where.error(section, None, "must be a table ([[rules]])")
        kind = spec.get("kind")
        if not isinstance(kind, str) or kind not in RULE_KINDS:
            raise where.error(section, "kind" if "kind" in spec else None,
                              f"kind = {kind!r}; expected one of {sorted(RULE_KINDS)}")
        try:
            rule = RULE_KINDS[kind].from_spec(spec)
        except SpecError as exc:
            raise where.error(section, exc.key, f"({kind}) {exc}") from None
        if rule.name in names:
            raise where.error(section, "name" if "name" in spec else None,
                              f"duplicate rule name {rule.name!r} (also rules[{names[rule.name]}]); names key the "
                              "stored verdicts, give each rule its own")
        names[rule.name] = i
        parsed.append(rule)
    return parsed


def load_policy(path: str | Path) -> Policy:
    """Parse and validate a policy file; every error names the file, the key and the line."""
    path = Path(path)
    if not path.is_file():
        raise PolicyError(f"{path}: policy file not found (pass --policy FILE, or create suites/gate.toml)")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PolicyError(f"{path}:{line}: invalid UTF-8 at byte {exc.start}; save the policy as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise PolicyError(f"{path}: invalid TOML: nested too deeply") from None
    where = _Where(path, _Lines(text))
    known = {"gate", "suites", "rules"}
    for key in data:
        if key not in known:
            raise where.error(key if isinstance(data[key], dict) else "", None if isinstance(data[key], dict) else key,
                              f"unknown top-level key '{key}' (expected one of {sorted(known)})")
    gate = _gate_section(data.get("gate", {}), where)
    suites = _suites_section(data.get("suites", {}), where)
    rules = _rules_section(data.get("rules", []), where)
    if not rules:
        raise PolicyError(f"{path}: no [[rules]]; a policy without rules would promote anything")
    return Policy(path=path, sha256=hashlib.sha256(raw).hexdigest(), rules=rules, suites=suites, **gate)
