"""Recovery of runs that died: a run still ``running`` whose process is gone, or whose heartbeat went stale,
is marked ``aborted`` the next time a gate run opens the store for writing.

A killed run leaves only whole transactions behind (every write is one transaction), but its ``runs`` row stays
``running`` and has no decision. Nothing can promote it (promotion needs a PROMOTE decision of a ``finished`` run);
marking it ``aborted`` makes history say what happened. Liveness: on the same host the recorded pid must still
exist; on any host the heartbeat (written after every test) must be younger than ``TUNEGATE_STALE_AFTER``
seconds (default 6 h, longer than any single suite should take).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from typing import Any

from harness.store.db import now

STALE_AFTER_S = float(os.environ.get("TUNEGATE_STALE_AFTER", str(6 * 3600)))


def pid_alive(pid: int | None) -> bool:
    """True when a process with ``pid`` exists on this host (a zombie counts as dead)."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def reap_stale_runs(con: Any, stale_after_s: float | None = None) -> list[str]:
    """Mark dead ``running`` runs ``aborted`` inside the caller's transaction; return their ids."""
    stale_after = STALE_AFTER_S if stale_after_s is None else stale_after_s
    host = socket.gethostname()
    cutoff = now() - dt.timedelta(seconds=stale_after)
    rows = con.execute("SELECT id, pid, host, heartbeat_at FROM runs WHERE status = 'running'").fetchall()
    dead = []
    for run_id, pid, run_host, heartbeat in rows:
        gone = run_host == host and not pid_alive(pid)
        stale = heartbeat is None or heartbeat < cutoff
        if gone or stale:
            dead.append(run_id)
    for run_id in dead:
        con.execute(
            "UPDATE runs SET status = 'aborted', finished_at = ? WHERE id = ? AND status = 'running'", [now(), run_id]
        )
    return dead
