"""The gate policy file (TOML): settings, per-suite requirements, and rules parsed into value objects."""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import PolicyError
from harness.rules import RULE_KINDS, Rule


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


def _rule_lines(text: str) -> list[int]:
    return [i for i, line in enumerate(text.splitlines(), start=1) if re.match(r"\s*\[\[\s*rules\s*\]\]", line)]


def _check_gate_types(path: Path, gate: dict[str, Any]) -> None:
    expected: dict[str, tuple[type, ...]] = {
        "resamples": (int,), "baseline": (str,), "production_template_sha256": (str,), "settings": (dict,),
        "redact_pii": (bool,),
    }
    for key, types in expected.items():
        value = gate.get(key)
        if value is None:
            continue
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise PolicyError(f"{path}: [gate] {key} must be a {types[0].__name__}, got {value!r}")
    if not 100 <= gate.get("resamples", 10_000) <= 10_000_000:
        raise PolicyError(f"{path}: [gate] resamples must be between 100 and 10000000, got {gate['resamples']!r}")


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
    known = {"gate", "suites", "rules"}
    for key in data:
        if key not in known:
            raise PolicyError(f"{path}: unknown top-level key '{key}' (expected one of {sorted(known)})")
    gate = data.get("gate", {})
    if not isinstance(gate, dict):
        raise PolicyError(f"{path}: 'gate' must be a table ([gate]), got {type(gate).__name__}")
    allowed_gate = {"confidence", "resamples", "baseline", "production_template_sha256", "settings", "redact_pii"}
    for key in gate:
        if key not in allowed_gate:
            raise PolicyError(f"{path}: [gate] unknown key '{key}' (expected one of {sorted(allowed_gate)})")
    confidence = gate.get("confidence", 0.95)
    if not isinstance(confidence, float) or not 0.5 <= confidence < 1.0:
        raise PolicyError(f"{path}: [gate] confidence must be a number in [0.5, 1), got {confidence!r}")
    _check_gate_types(path, gate)
    suites_table = data.get("suites", {})
    if not isinstance(suites_table, dict):
        raise PolicyError(f"{path}: 'suites' must be a table ([suites.NAME]), got {type(suites_table).__name__}")
    suites: dict[str, bool] = {}
    for name, spec in suites_table.items():
        if not isinstance(spec, dict) or set(spec) - {"required"} or not isinstance(spec.get("required", True), bool):
            raise PolicyError(f"{path}: [suites.{name}] takes only 'required = true|false'")
        suites[name] = spec.get("required", True)
    if not isinstance(data.get("rules", []), list):
        raise PolicyError(f"{path}: 'rules' must be an array of tables ([[rules]])")
    lines = _rule_lines(text)
    rules: list[Rule] = []
    for i, spec in enumerate(data.get("rules", [])):
        where = f"{path}:{lines[i]}" if i < len(lines) else str(path)
        if not isinstance(spec, dict):
            raise PolicyError(f"{where}: rules[{i}] must be a table ([[rules]])")
        kind = spec.get("kind")
        if not isinstance(kind, str) or kind not in RULE_KINDS:
            raise PolicyError(f"{where}: rules[{i}].kind = {kind!r}; expected one of {sorted(RULE_KINDS)}")
        try:
            rules.append(RULE_KINDS[kind].from_spec(spec))
        except (KeyError, TypeError, ValueError) as exc:
            raise PolicyError(f"{where}: rules[{i}] ({kind}): {exc}") from None
    if not rules:
        raise PolicyError(f"{path}: no [[rules]]; a policy without rules would promote anything")
    return Policy(
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        rules=rules,
        confidence=confidence,
        resamples=int(gate.get("resamples", 10_000)),
        baseline=gate.get("baseline"),
        suites=suites,
        production_template_sha256=gate.get("production_template_sha256"),
        settings=dict(gate.get("settings", {})),
        redact_pii=bool(gate.get("redact_pii", False)),
    )
