"""The CLI and the pytest plugin start without importing torch, transformers or peft."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from ..conftest import REPO

HEAVY = ("torch", "transformers", "peft", "trl", "datasets")
CHECK = f"import sys; heavy = [m for m in {HEAVY!r} if m in sys.modules]; assert not heavy, heavy"


def run(code: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env, timeout=120)


def test_importing_cli_and_plugin_is_light():
    result = run(f"import harness.cli, harness.plugin, harness.session, harness.engine.cache; {CHECK}")
    assert result.returncode == 0, result.stderr


def test_tunegate_help_is_light():
    code = ("import sys\nsys.argv = ['tunegate', '--help']\nfrom harness.cli import main\n"
            f"try:\n    main()\nexcept SystemExit:\n    pass\n{CHECK}")
    result = run(code)
    assert result.returncode == 0, result.stderr
    assert "cache" in result.stdout


def test_collecting_the_suites_is_light():
    """Listing the suites needs no candidate (nothing is gated; running them without one is a usage error)."""
    code = (f"import pytest, sys\nrc = pytest.main(['--collect-only', '-q', '-p', 'no:cacheprovider', 'suites/'])\n"
            f"assert rc == 0, rc\n{CHECK}")
    result = run(code)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b[1-9]\d* tests collected\b", result.stdout), result.stdout  # the suites were collected
