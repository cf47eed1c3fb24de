"""pytest plugin: hooks only. The state lives in a GateSession made in pytest_configure."""

from __future__ import annotations

import contextlib
import functools
import io
from collections.abc import Iterator
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
    group.addoption("--policy", metavar="FILE",
                    help="gate policy TOML, or tunegate:default (default: the project's gate.toml beside the suites "
                         "or under the rootdir, else the packaged default)")
    group.addoption("--builtin-suites", action="store_true",
                    help="also run tunegate's built-in suites (task, regression, safety, injection, contamination, "
                         "format, latency, prompting) from the installed package; alone, only them")
    group.addoption("--results-db", metavar="FILE", help="DuckDB results file (default: $TUNEGATE_DB or results/)")
    group.addoption("--tunegate-device", default="cpu", metavar="DEV", help="torch device for models (default cpu)")
    group.addoption("--tunegate-dtype", default="auto", choices=("auto", "float32", "bfloat16", "float16"),
                    help="dtype models load in (default auto: bfloat16 on CUDA, float32 on CPU); part of the cache key")
    group.addoption("--train-data", metavar="FILE",
                    help="chat JSONL a candidate without a tunegate manifest was trained on (contamination, prompting)")
    group.addoption("--trust-remote-code", action="store_true", help="allow models that need remote code")
    group.addoption("--gen-batch-size", type=int, default=None, metavar="N",
                    help="most rows per generation batch (default: auto, from memory and prompt lengths)")
    group.addoption("--task-data", metavar="FILE", help="task-accuracy eval JSONL (default: the suite's own)")
    group.addoption("--gate-junit", metavar="FILE", help="write the gate's rule verdicts as JUnit XML (one case per rule)")
    group.addoption("--no-cache", action="store_true",
                    help="recompute every model output (ignore and do not fill the generation cache)")
    group.addoption("--sequential", action="store_true", dest="tunegate_sequential", default=True,
                    help="stop a chunked suite (task, safety, format) once anytime-valid sequential tests decide "
                         "every rule it feeds (default)")
    group.addoption("--no-sequential", action="store_false", dest="tunegate_sequential",
                    help="evaluate every item of every suite and judge every rule by its fixed-n interval")
    group.addoption("--reject-early", action="store_true", dest="tunegate_reject_early", default=True,
                    help="once a required rule fails its sequential test the verdict is REJECT: stop there and skip "
                         "the suites still to run (default, with --sequential)")
    group.addoption("--no-reject-early", action="store_false", dest="tunegate_reject_early",
                    help="run every suite even when the verdict is already REJECT, to see every reason")
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
    "--latency-new-tokens": (int, 8, "tokens generated per request in the latency suite (default 8)"),
}


def _add_suite_options(group: Any) -> None:
    for flag, (kind, default, text) in SUITE_OPTIONS.items():
        group.addoption(flag, type=kind, default=default, help=text)


def _suite_extra(config: pytest.Config) -> dict[str, Any]:
    return {flag.lstrip("-").replace("-", "_"): config.getoption(flag) for flag in SUITE_OPTIONS}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "suite(name): the gate suite a test belongs to")
    _add_builtin_suites(config)
    candidate = config.getoption("--candidate", None)
    if candidate is not None and not candidate.strip():
        raise pytest.UsageError(f"tunegate: --candidate is empty ({candidate!r}; an unset CI variable?): "
                                "pass the candidate directory to gate, --candidate DIR")
    if not candidate or _lists_only(config):
        return  # without a candidate, suite tests are refused at collection (pytest_collection_finish)
    from harness.session import GateOptions, GateSession

    try:
        policy, chosen = resolve_policy(config)
    except HarnessError as exc:
        raise pytest.UsageError(f"tunegate: {exc}") from None
    options = GateOptions(
        candidate=Path(candidate),
        baseline=config.getoption("--baseline"),
        policy=Path(policy),
        db=Path(config.getoption("--results-db")) if config.getoption("--results-db") else None,
        device=config.getoption("--tunegate-device"),
        trust_remote_code=config.getoption("--trust-remote-code"),
        batch_size=config.getoption("--gen-batch-size"),
        cache=not config.getoption("--no-cache"),
        dtype=config.getoption("--tunegate-dtype"),
        train_data=Path(config.getoption("--train-data")) if config.getoption("--train-data") else None,
        sequential=config.getoption("tunegate_sequential"),
        reject_early=config.getoption("tunegate_reject_early"),
        extra={"task_data": config.getoption("--task-data"), **_suite_extra(config)},
    )
    try:
        session = GateSession(options)
        session.start()
    except HarnessError as exc:
        raise pytest.UsageError(f"tunegate: {exc}") from None
    session.policy_chosen = chosen
    session.progress_guard = functools.partial(_to_terminal, config)
    config.stash[SESSION_KEY] = session
    config.stash[OUTCOMES_KEY] = {}


# pytest modes that run no test and exit 0 whatever the gate decides: they start no gate run and need no candidate
LISTING_MODES = ("help", "markers", "showfixtures", "show_fixtures_per_test")


@contextlib.contextmanager
def _to_terminal(config: pytest.Config) -> Iterator[None]:
    """Where progress is written while a test runs: past pytest's capture (so it reaches the terminal or the CI
    log as it happens), on a line of its own (not after the test's dots)."""
    capture = config.pluginmanager.get_plugin("capturemanager")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
        if reporter is not None:
            reporter.ensure_newline()  # after "suites/test_x.py ." (pytest names the file again after us)
            writer = getattr(reporter, "_tw", None)
            if writer is not None and writer.width_of_current_line:
                writer.line()  # after -q's dots
        yield


def _lists_only(config: pytest.Config) -> bool:
    return any(config.getoption(dest, False) for dest in LISTING_MODES)


def _add_builtin_suites(config: pytest.Config) -> None:
    """--builtin-suites: collect the installed built-in suites too (alone when no path was given)."""
    if not config.getoption("--builtin-suites", False):
        return
    from harness.builtin import suites_dir

    builtin = str(suites_dir())
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args[:] = [builtin]  # not the rootdir's own tests: only the suites
    elif all(folder.resolve() != Path(builtin) for folder in _arg_folders(config)):
        config.args.append(builtin)


def _arg_folders(config: pytest.Config) -> list[Path]:
    """The folders named on the command line (a file's folder; a --pyargs package's folder), in order."""
    from importlib.util import find_spec

    here = Path(config.invocation_params.dir)
    folders = []
    for arg in config.args:
        path = here / arg.split("::")[0]
        if not path.exists() and config.getoption("pyargs", False):
            try:
                spec = find_spec(arg.split("::")[0])
            except (ImportError, ValueError):
                spec = None
            origin = spec.origin if spec is not None else None
            path = Path(origin).parent if origin else path
        if path.exists():
            folders.append(path if path.is_dir() else path.parent)
    return folders


def resolve_policy(config: pytest.Config) -> tuple[Path, str]:
    """The policy of this run and why (harness.gate.choose_policy): --policy > the project's > the default."""
    from harness.gate import choose_policy

    return choose_policy(config.getoption("--policy"), _arg_folders(config), Path(config.rootpath))


def policy_lines(gate: Any) -> list[str]:
    """What the top of a gate run says about its policy: the file, its sha256, why, and what it extends."""
    policy = gate.policy
    lines = [f"tunegate: policy {policy.path.resolve()} sha256 {policy.sha256} ({gate.policy_chosen})"]
    for (path, sha), ref in zip(policy.bases, [policy.extends, *[None] * len(policy.bases)], strict=False):
        lines.append(f"tunegate:   extends {ref + ' = ' if ref else ''}{path.resolve()} sha256 {sha}")
    lines.append(f"tunegate: run {gate.run_id}, candidate {gate.options.candidate}, baseline {gate.baseline_ref}, "
                 f"results {gate.store.path}")
    return lines


def pytest_report_header(config: pytest.Config) -> list[str]:
    gate = _session(config)
    return policy_lines(gate) if gate is not None else []


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """pytest hides the report header under -q and --no-header; the gate's policy is printed all the same."""
    gate = _session(session.config)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if gate is None or reporter is None or (reporter.showheader and not reporter.no_header):
        return
    for line in policy_lines(gate):
        reporter.write_line(line)


def _session(config: pytest.Config) -> Any:
    return config.stash.get(SESSION_KEY, None)


def suite_of(item: pytest.Item) -> str | None:
    """The suite a test belongs to, from its ``suite`` marker."""
    marker = item.get_closest_marker("suite")
    return str(marker.args[0]) if marker and marker.args else None


SUITE_ORDER = ("task", "prompting", "format", "safety", "injection", "regression", "contamination", "latency")
"""The built-in suites run cheapest per decided rule first, so that --reject-early stops a bad candidate soon: the
task suite's short answers (which the prompting suite reuses), then format and safety; the whole lm-eval group,
Min-K% and the timed latency runs last. A project's own suites (usually its task evals) and unmarked tests run
before them, in collection order."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _session(config) is None:
        return
    rank = {suite: i for i, suite in enumerate(SUITE_ORDER)}
    items.sort(key=lambda item: rank.get(suite_of(item) or "", -1))
    outcomes = config.stash[OUTCOMES_KEY]
    for item in items:
        suite = suite_of(item)
        if suite:
            outcomes.setdefault(suite, [])


def pytest_collection_finish(session: pytest.Session) -> None:
    """Suite tests without a gate session would skip and exit 0 with nothing gated: refuse them (fail closed).

    Listing them (--collect-only) gates nothing, so it needs no candidate.
    """
    config = session.config
    if _session(config) is not None or config.getoption("collectonly", False) or _lists_only(config):
        return
    gated = [item for item in session.items
             if suite_of(item) is not None or "tunegate" in getattr(item, "fixturenames", ())]
    if gated:
        more = ", ..." if len(gated) > 1 else ""
        raise pytest.UsageError(
            f"tunegate: {len(gated)} gate suite test(s) collected ({gated[0].nodeid}{more}) but no --candidate "
            "given, so nothing would be gated: pass --candidate DIR (the candidate directory to gate), or "
            "--collect-only to list the suites")


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




def pytest_runtest_setup(item: pytest.Item) -> None:
    """With --reject-early, a suite test after the verdict is settled (a required rule failed) is skipped."""
    session = _session(item.config)
    if session is not None and session.evidence.settled and suite_of(item) is not None:
        pytest.skip(f"not run: {session.evidence.settled} (--no-reject-early runs every suite)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    """The session knows which test (and suite) is recording, to label progress and refuse unmarked evidence."""
    session = _session(item.config)
    if session is not None:
        session.current_test = (item.nodeid, suite_of(item))
    try:
        yield
    finally:
        if session is not None:
            session.current_test = None


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


def _note_uncollected_builtins(gate: Any, outcomes: dict[str, list[dict[str, Any]]]) -> None:
    """A rule on a built-in suite that was not collected says how to run it (a project's own suites/ alone)."""
    from harness.builtin import suite_names

    for suite in suite_names() - set(outcomes):
        gate.evidence.notes.setdefault(suite, "it is one of tunegate's built-in suites and this run did not collect "
                                              "it: add --builtin-suites to run them all")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    gate = _session(session.config)
    if gate is None:
        return
    if exitstatus not in (0, 1):
        gate.errors.append(f"pytest ended with exit status {int(exitstatus)} (interrupted or internal error)")
    gate.errors.extend(partial_run_reasons(session.config))
    _note_uncollected_builtins(gate, session.config.stash[OUTCOMES_KEY])
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


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Close an undecided run, then end the output on the decision line. pytest prints its own summary ("N passed",
    green even on REJECT) after pytest_terminal_summary returns; unconfigure is the first hook after it."""
    gate = _session(config)
    if gate is None:
        return
    if gate.decision is None and not gate.aborted:
        gate.abort("pytest ended before the gate decided")
    from harness.report import decision_line

    line = decision_line(gate)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        print(line)
        return
    colour = {"green": True} if gate.decision is not None and gate.decision.promoted else {"red": True}
    reporter.write_line(line, bold=True, **colour)


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
    if session is None:  # a skip would pass with nothing gated (fail closed)
        pytest.fail("tunegate suites need --candidate DIR", pytrace=False)
    return session


@pytest.fixture(scope="session")
def candidate(tunegate: Any) -> Any:
    """The loaded candidate (LoadedModel)."""
    return tunegate.model("candidate")


@pytest.fixture(scope="session")
def baseline(tunegate: Any) -> Any:
    """The loaded baseline (LoadedModel)."""
    return tunegate.model("baseline")
