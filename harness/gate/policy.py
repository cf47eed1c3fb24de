"""The gate policy file (TOML): settings, per-suite requirements, and rules parsed into value objects.

Format (``suites/gate.toml``)::

    extends = "tunegate:default"  # optional: start from another policy (a path relative to this file, or the
                                  # packaged default); [gate] keys, [suites.X] and rules of the same name override
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

Every error names the file, the line and the key. ``sha256`` is this file's; the files it extends are listed
with theirs in ``bases`` (the gate records them with its evidence, so a changed base blocks a promotion too).
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.builtin import DEFAULT_POLICY, default_policy
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
    extends: str | None = None  # what the file's top-level ``extends`` names (e.g. "tunegate:default")
    bases: tuple[tuple[Path, str], ...] = ()  # every file it extends, nearest first: (path, sha256)

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


def _parse_rules(specs: list[tuple[dict[str, Any], _Where, str]]) -> list[Rule]:
    parsed: list[Rule] = []
    names: dict[str, tuple[str, Path]] = {}
    for spec, where, section in specs:
        kind = spec.get("kind")
        if not isinstance(kind, str) or kind not in RULE_KINDS:
            raise where.error(section, "kind" if "kind" in spec else None,
                              f"kind = {kind!r}; expected one of {sorted(RULE_KINDS)}")
        try:
            rule = RULE_KINDS[kind].from_spec(spec)
        except SpecError as exc:
            raise where.error(section, exc.key, f"({kind}) {exc}") from None
        if rule.name in names:
            other, other_path = names[rule.name]
            also = other if other_path == where.path else f"{other} of {other_path}"
            raise where.error(section, "name" if "name" in spec else None,
                              f"duplicate rule name {rule.name!r} (also {also}); names key the "
                              "stored verdicts, give each rule its own")
        names[rule.name] = (section, where.path)
        parsed.append(rule)
    return parsed


MAX_EXTENDS = 8  # a longer chain is surely a mistake (and a cycle is caught before it)


@dataclass
class _File:
    """One policy file as read: its parsed TOML, bytes' sha256 and where its keys sit."""

    path: Path
    sha256: str
    data: dict[str, Any]
    where: _Where


def _read(path: Path) -> _File:
    if not path.is_file():
        raise PolicyError(f"{path}: policy file not found (pass --policy FILE, create suites/gate.toml, or use "
                          f"--policy {DEFAULT_POLICY} for the packaged default)")
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
    known = {"extends", "gate", "suites", "rules"}
    for key in data:
        if key not in known:
            raise where.error(key if isinstance(data[key], dict) else "", None if isinstance(data[key], dict) else key,
                              f"unknown top-level key '{key}' (expected one of {sorted(known)})")
    return _File(path, hashlib.sha256(raw).hexdigest(), data, where)


def resolve_policy_ref(ref: str | Path, relative_to: Path | None = None) -> Path:
    """A policy reference as a file: ``tunegate:default`` (the packaged default), else a path, relative to
    ``relative_to`` (the extending file's folder) when given."""
    text = str(ref)
    if text.startswith("tunegate:"):
        if text != DEFAULT_POLICY:
            raise PolicyError(f"{text}: unknown packaged policy; the one tunegate ships is {DEFAULT_POLICY!r}")
        return default_policy()
    path = Path(text).expanduser()
    return path if relative_to is None or path.is_absolute() else relative_to / path


def choose_policy(explicit: str | None, folders: list[Path], rootdir: Path) -> tuple[Path, str]:
    """The policy of a gate run and why it was chosen, in this order: ``explicit`` (--policy); the project's
    gate.toml, beside the first of the suites ``folders`` named on the command line that holds one, else
    ``suites/gate.toml`` or ``gate.toml`` under the pytest ``rootdir``; the packaged default. The built-in
    suites' own gate.toml is the packaged default, never "the project's"."""
    if explicit:
        return resolve_policy_ref(explicit), "--policy"
    builtin = default_policy().parent.resolve()
    for folder in folders:
        if folder.resolve() != builtin and (folder / "gate.toml").is_file():
            return folder / "gate.toml", f"the project's, beside the suites in {folder}"
    for path in (rootdir / "suites" / "gate.toml", rootdir / "gate.toml"):
        if path.is_file() and path.parent.resolve() != builtin:
            return path, f"the project's, under the rootdir {rootdir}"
    return default_policy(), f"the packaged default ({DEFAULT_POLICY}): no --policy and no project gate.toml"


def _chain(path: Path) -> list[_File]:
    """The policy file and every file it extends, nearest first."""
    files = [_read(path)]
    while "extends" in files[-1].data:
        child = files[-1]
        ref = child.data["extends"]
        if not isinstance(ref, str) or not ref.strip():
            raise child.where.error("", "extends",
                                    f"must be {DEFAULT_POLICY!r} or a path to a policy file, got {ref!r}")
        try:
            base = resolve_policy_ref(ref, child.path.parent)
        except PolicyError as exc:
            raise child.where.error("", "extends", str(exc)) from None
        if not base.is_file():
            raise child.where.error("", "extends", f"{ref!r}: no policy file at {base} (a path is relative to "
                                                   f"{child.path.parent}; {DEFAULT_POLICY!r} is the packaged default)")
        if any(base.resolve() == f.path.resolve() for f in files):
            raise child.where.error("", "extends", f"{ref!r} extends back to itself ({base}); break the cycle")
        if len(files) > MAX_EXTENDS:
            raise child.where.error("", "extends", f"more than {MAX_EXTENDS} policies extend one another")
        files.append(_read(base))
    return files


def _merge_rules(files: list[_File]) -> list[tuple[dict[str, Any], _Where, str]]:
    """Every rule spec, base first; a rule named like a base rule overrides it in place.

    The overriding rule's keys replace the base rule's and the rest are kept, so ``margin = 0.02`` alone tightens
    a rule; a rule that changes ``kind`` keeps only the metric (the old kind's parameters mean nothing to the new
    one).
    """
    merged: list[tuple[dict[str, Any], _Where, str]] = []
    for file in reversed(files):
        rules = file.data.get("rules", [])
        if not isinstance(rules, list):
            raise file.where.error("", "rules", "must be an array of tables ([[rules]])")
        names = {spec.get("name"): i for i, (spec, _, _) in enumerate(merged)}
        own: set[str] = set()
        for i, spec in enumerate(rules):
            section = f"rules[{i}]"
            if not isinstance(spec, dict):
                raise file.where.error(section, None, "must be a table ([[rules]])")
            name = spec.get("name")
            if not isinstance(name, str) or name not in names or name in own:
                merged.append((spec, file.where, section))
                if isinstance(name, str):
                    own.add(name)
                continue
            own.add(name)
            base = merged[names[name]][0]
            if "kind" in spec and spec["kind"] != base.get("kind"):
                combined = {"metric": base.get("metric"), **spec}
            else:
                keep = {k: v for k, v in base.items()
                        if not ({"required", "advisory"} & spec.keys() and k in ("required", "advisory"))}
                combined = {**keep, **spec}
            merged[names[name]] = (combined, file.where, section)
    return merged


def load_policy(path: str | Path) -> Policy:
    """Parse and validate a policy file (and every file it ``extends``); every error names the file, the key and
    the line. ``path`` may be ``tunegate:default``, the packaged default."""
    path = resolve_policy_ref(path)
    files = _chain(path)
    gate_raw: dict[str, Any] = {}
    suites: dict[str, bool] = {}
    for file in reversed(files):  # base first: each file's keys override what it extends
        gate = file.data.get("gate", {})
        _gate_section(gate, file.where)
        settings = {**gate_raw.get("settings", {}), **gate.get("settings", {})}
        gate_raw = {**gate_raw, **gate} | ({"settings": settings} if settings else {})
        suites.update(_suites_section(file.data.get("suites", {}), file.where))
    gate = _gate_section(gate_raw, files[0].where)
    rules = _parse_rules(_merge_rules(files))
    if not rules:
        raise PolicyError(f"{path}: no [[rules]]; a policy without rules would promote anything")
    return Policy(path=path, sha256=files[0].sha256, rules=rules, suites=suites,
                  extends=files[0].data.get("extends"), bases=tuple((f.path, f.sha256) for f in files[1:]), **gate)
