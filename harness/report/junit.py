"""JUnit XML of a gate decision: every rule is a test case, so CI dashboards show which rule blocked a candidate.

A required rule that failed or could not be decided is a ``<failure>`` (type ``fail`` or ``undecided``); an
advisory rule that did not pass is ``<skipped>`` with its reason; session-level faults (a crashed suite, an
interrupted run) are one ``<error>`` case; a run without a decision is an error too (fail closed).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from harness.store import RunRecord


def _numbers(v: dict[str, object]) -> str:
    keys = ("candidate", "baseline", "delta", "ci_low", "ci_high", "n", "needed_n", "items_used", "stop_reason")
    return "\n".join(f"{k} = {v[k]}" for k in keys if v.get(k) is not None)


def junit_xml(record: RunRecord) -> str:
    """The XML text for one stored run."""
    suite = ET.Element("testsuite", name="tunegate-gate", timestamp=str(record.run["started_at"]))
    failures = errors = skipped = 0
    for v in record.verdicts:
        case = ET.SubElement(suite, "testcase", classname=f"gate.{v['suite']}", name=str(v["rule"]))
        ET.SubElement(case, "properties").extend([
            ET.Element("property", name="kind", value=str(v["kind"])),
            ET.Element("property", name="metric", value=f"{v['suite']}.{v['metric']}"),
            ET.Element("property", name="required", value=str(bool(v["required"])).lower()),
        ])
        if v["status"] != "pass":
            if v["required"]:
                failures += 1
                node = ET.SubElement(case, "failure", message=str(v["reason"]), type=str(v["status"]))
                node.text = _numbers(v)
            else:
                skipped += 1
                ET.SubElement(case, "skipped", message=f"advisory rule {v['status']}: {v['reason']}")
        out = ET.SubElement(case, "system-out")
        out.text = f"{v['status']}: {v['reason']}\n{_numbers(v)}"
    session_faults = [r for r in record.reasons if not any(r.startswith(f"{v['rule']}: ") for v in record.verdicts)]
    if record.decision is None:
        session_faults.append(f"run {record.run_id} has no decision (status {record.run['status']}); fail closed")
    if session_faults:
        errors += 1
        case = ET.SubElement(suite, "testcase", classname="gate", name="session")
        node = ET.SubElement(case, "error", message=session_faults[0], type="session")
        node.text = "\n".join(session_faults)
    suite.set("tests", str(len(suite)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    props = ET.Element("properties")
    for name in ("id", "candidate_id", "candidate_path", "baseline_ref", "policy_sha256"):
        props.append(ET.Element("property", name=f"run.{name}", value=str(record.run.get(name))))
    props.append(ET.Element("property", name="decision", value=record.verdict))
    suite.insert(0, props)
    root = ET.Element("testsuites", name="tunegate")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(record: RunRecord, path: str | Path) -> Path:
    """Write the JUnit XML of ``record`` to ``path`` (parents created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(junit_xml(record), encoding="utf-8")
    return path
