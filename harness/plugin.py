"""pytest plugin: hooks only. The state lives in a GateSession made in pytest_configure."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from harness.errors import HarnessError

SESSION_KEY = pytest.StashKey["Any"]()
OUTCOMES_KEY = pytest.StashKey[dict[str, list[dict[str, Any]]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tunegate", "tunegate: gate a fine-tuned candidate")
    group.addoption("--candidate", metavar="DIR", help="candidate directory (or any HF model/adapter dir) to gate")
    group.addoption("--baseline", metavar="REF", help="baseline dir or registry alias (default: production, else base)")
    group.addoption("--policy", metavar="FILE", help="gate policy TOML (default: gate.toml beside the suites)")
    group.addoption("--results-db", metavar="FILE", help="DuckDB results file (default: $TUNEGATE_DB or results/)")
    group.addoption("--tunegate-device", default="cpu", metavar="DEV", help="torch device for models (default cpu)")
    group.addoption("--trust-remote-code", action="store_true", help="allow models that need remote code")
    group.addoption("--gen-batch-size", type=int, default=None, metavar="N",
                    help="most rows per generation batch (default: auto, from memory and prompt lengths)")
    group.addoption("--task-data", metavar="FILE", help="task-accuracy eval JSONL (default: the suite's own)")
    group.addoption("--gate-junit", metavar="FILE", help="write the gate's rule verdicts as JUnit XML (one case per rule)")
    group.addoption("--no-cache", action="store_true",
                    help="recompute every model output (ignore and do not fill the generation cache)")
    _add_suite_options(group)


# Options of the regression, safety, injection, contamination, format, latency and prompting suites; each lands in
# GateOptions.extra under the option's name with '-' -> '_' (e.g. extra["regression_tasks"]).
SUITE_OPTIONS: dict[str, tuple[type, object, str]] = {
    "--regression-tasks": (str, None, "lm-eval tasks: comma-separated names, YAML files or folders "
                                      "(default: the bundled tunegate_regression group)"),
    "--regression-limit": (int, None, "evaluate only the first N documents of each lm-eval task"),
    "--safety-data": (str, None, "safety eval JSONL (harmful + benign-edgy prompts; default: the suite's own)"),
    "--injection-data": (str, None, "prompt-injection eval JSONL with canaries (default: the suite's own)"),
    "--format-data": (str, None, "format eval JSONL with 'format_regex' or 'json_schema' fields"),
    "--contamination-ngram": (int, 13, "word n-gram length for the train/eval overlap check (default 13)"),
    "--contamination-reference": (str, None, "fresh reference texts (JSONL with 'text') for the Min-K% signal"),
    "--fewshot-k": (int, 3, "retrieved few-shot examples for the prompting baseline (default 3)"),
    "--latency-batch": (int, 8, "batch size of the throughput measurement (default 8)"),
    "--latency-new-tokens": (int, 16, "tokens generated per request in the latency suite (default 16)"),
}


def _add_suite_options(group: Any) -> None:
    for flag, (kind, default, text) in SUITE_OPTIONS.items():
        group.addoption(flag, type=kind, default=default, help=text)


def _suite_extra(config: pytest.Config) -> dict[str, Any]:
    return {flag.lstrip("-").replace("-", "_"): config.getoption(flag) for flag in SUITE_OPTIONS}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "suite(name): the gate suite a test belongs to")
    candidate = config.getoption("--candidate", None)
    if not candidate:
        return
    from harness.session import GateOptions, GateSession

    policy = config.getoption("--policy") or _default_policy(config)
    options = GateOptions(
        candidate=Path(candidate),
        baseline=config.getoption("--baseline"),
        policy=Path(policy),
        db=Path(config.getoption("--results-db")) if config.getoption("--results-db") else None,
        device=config.getoption("--tunegate-device"),
        trust_remote_code=config.getoption("--trust-remote-code"),
        batch_size=config.getoption("--gen-batch-size"),
        cache=not config.getoption("--no-cache"),
        extra={"task_data": config.getoption("--task-data"), **_suite_extra(config)},
    )
    try:
        session = GateSession(options)
        session.start()
    except HarnessError as exc:
        raise pytest.UsageError(f"tunegate: {exc}") from None
    config.stash[SESSION_KEY] = session
    config.stash[OUTCOMES_KEY] = {}


def _default_policy(config: pytest.Config) -> Path:
    for arg in config.args:
        candidate = Path(arg.split("::")[0])
        folder = candidate if candidate.is_dir() else candidate.parent
        if (folder / "gate.toml").is_file():
            return folder / "gate.toml"
    return Path(config.rootpath) / "suites" / "gate.toml"


def _session(config: pytest.Config) -> Any:
    return config.stash.get(SESSION_KEY, None)


def suite_of(item: pytest.Item) -> str | None:
    """The suite a test belongs to, from its ``suite`` marker."""
    marker = item.get_closest_marker("suite")
    return str(marker.args[0]) if marker and marker.args else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _session(config) is None:
        return
    outcomes = config.stash[OUTCOMES_KEY]
    for item in items:
        suite = suite_of(item)
        if suite:
            outcomes.setdefault(suite, [])


def pytest_deselected(items: list[pytest.Item]) -> None:
    """A suite missing some of its tests (-k, -m, --lf) has partial evidence: note it so the gate fails closed."""
    for item in items:
        suite = suite_of(item)
        if suite and _session(item.config) is not None:
            item.config.stash[OUTCOMES_KEY].setdefault(suite, []).append({
                "suite": suite, "nodeid": item.nodeid, "outcome": "deselected", "duration_s": 0.0, "message": None,
            })


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    report = outcome.get_result()
    session = _session(item.config)
    suite = suite_of(item)
    if session is None or suite is None:
        return
    failed_setup = report.when == "setup" and report.outcome != "passed"
    if report.when == "call" or failed_setup or (report.when == "teardown" and report.failed):
        status = {"passed": "passed", "failed": "failed", "skipped": "skipped"}[report.outcome]
        if report.failed and report.when != "call":
            status = "error"
        message = str(report.longrepr)[-2000:] if report.longrepr else None
        item.config.stash[OUTCOMES_KEY].setdefault(suite, []).append({
            "suite": suite, "nodeid": item.nodeid, "outcome": status, "duration_s": report.duration, "message": message,
        })




@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    session = _session(item.config)
    if session is None:
        return
    outcomes = [o for o in item.config.stash[OUTCOMES_KEY].get(suite_of(item) or "", []) if o["nodeid"] == item.nodeid]
    session.flush(outcomes)


def suite_status(outcomes: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    """A suite passed only if it ran and every one of its tests passed; otherwise its worst outcome."""
    status: dict[str, str] = {}
    for suite, rows in outcomes.items():
        kinds = {r["outcome"] for r in rows}
        if not rows:
            continue
        for worst in ("error", "failed", "skipped", "deselected"):
            if worst in kinds:
                status[suite] = worst
                break
        else:
            status[suite] = "passed"
    return status


def partial_run_reasons(config: pytest.Config) -> list[str]:
    """Options that run only part of a suite without telling pytest_deselected (so the gate must refuse them)."""
    reasons = []
    for dest, flag in (("lf", "--lf"), ("stepwise", "--sw")):
        if config.getoption(dest, default=False):
            reasons.append(f"{flag} reruns only part of the suites; a partial run cannot promote (gate without {flag})")
    picked = [arg for arg in config.args if "::" in arg]
    if picked:
        reasons.append(f"tests picked by node id ({picked[0]}) run only part of a suite; pass the suite folder")
    return reasons


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    gate = _session(session.config)
    if gate is None:
        return
    if exitstatus not in (0, 1):
        gate.errors.append(f"pytest ended with exit status {int(exitstatus)} (interrupted or internal error)")
    gate.errors.extend(partial_run_reasons(session.config))
    deselected = [o for rows in session.config.stash[OUTCOMES_KEY].values() for o in rows
                  if o["outcome"] == "deselected"]
    try:
        if deselected:
            gate.flush(deselected)
        decision = gate.finish(suite_status(session.config.stash[OUTCOMES_KEY]))
    except BaseException as exc:
        gate.abort(f"deciding failed: {exc!r}")  # never leave a half-decided run looking alive
        raise
    junit = session.config.getoption("--gate-junit", None)
    if junit:
        from harness.report import write_junit
        from harness.store import load_run

        write_junit(load_run(gate.store, gate.run_id), junit)
    if not decision.promoted:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    gate = _session(config)
    if gate is not None and gate.decision is None and not gate.aborted:
        gate.abort("pytest ended before the gate decided")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    gate = _session(config)
    if gate is None or gate.decision is None:
        return
    from harness.report import render_decision

    buffer = io.StringIO()
    render_decision(gate, buffer, color=terminalreporter.isatty() if hasattr(terminalreporter, "isatty") else False)
    terminalreporter.write(buffer.getvalue())


@pytest.fixture(scope="session")
def tunegate(request: pytest.FixtureRequest) -> Any:
    """The GateSession of this run: models, generation, and recording of metrics and per-example scores."""
    session = _session(request.config)
    if session is None:
        pytest.skip("tunegate suites need --candidate DIR")
    return session


@pytest.fixture(scope="session")
def candidate(tunegate: Any) -> Any:
    """The loaded candidate (LoadedModel)."""
    return tunegate.model("candidate")


@pytest.fixture(scope="session")
def baseline(tunegate: Any) -> Any:
    """The loaded baseline (LoadedModel)."""
    return tunegate.model("baseline")
