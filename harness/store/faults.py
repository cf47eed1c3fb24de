"""Named fault-injection points, a test hook for crash-safety tests.

``TUNEGATE_FAULT=<point>`` makes the process SIGKILL itself when it reaches ``<point>``, so tests can prove that a
run killed there leaves the database consistent, is marked ``aborted`` later, and never promotes. Unset (the
normal case) it costs one environment lookup. Points: ``start`` (run row committed, nothing recorded yet),
``flush`` (inside a per-test write transaction, before COMMIT), ``after_flush`` (a test's rows committed),
``decision`` (inside the decision transaction, before COMMIT), ``after_decision`` (decision committed).
"""

from __future__ import annotations

import os
import signal

POINTS = ("start", "flush", "after_flush", "decision", "after_decision")


def fault_point(name: str) -> None:
    """SIGKILL this process if ``$TUNEGATE_FAULT`` names this point (a test hook; a no-op otherwise)."""
    if os.environ.get("TUNEGATE_FAULT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
