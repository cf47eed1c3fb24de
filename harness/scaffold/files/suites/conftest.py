"""Fixtures of this project's gate suites. tunegate's pytest plugin supplies `tunegate` (the gate session),
`candidate` and `baseline`; this file adds the eval set the routing suite reads.

Keep this folder without an __init__.py: tunegate's built-in suites are a package named `suites`, and two
packages of one name would clash when `--builtin-suites` runs them together with these.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.evalsets import EvalItem, load_eval_set

DATA = Path(__file__).parent / "data" / "eval.jsonl"


@pytest.fixture(scope="session")
def routing_items(tunegate) -> list[EvalItem]:
    """The routing eval set, registered with the gate (its sha256 goes into the decision)."""
    tunegate.use_data(DATA)
    return load_eval_set(DATA)
