"""Where tunegate's built-in suites and its default policy live, found from any directory.

The built-in suites are the ``suites`` package installed beside ``harness`` (its ``gate.toml`` is package data).
They are located from this file, not imported by name: a project's own ``suites/`` folder on ``sys.path`` (the
layout ``tunegate init`` scaffolds) would shadow a package of the same name.
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import HarnessError

DEFAULT_POLICY = "tunegate:default"
"""The name a policy's ``extends`` (or ``--policy``) uses for the packaged default policy."""


def suites_dir() -> Path:
    """The folder of the built-in suites (``test_*.py``, their data and the default ``gate.toml``)."""
    here = Path(__file__).resolve().parent.parent / "suites"
    if (here / "__init__.py").is_file() and (here / "gate.toml").is_file():
        return here
    from importlib.util import find_spec  # an unusual install layout: ask the import system

    spec = find_spec("suites")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        if (Path(location) / "gate.toml").is_file():
            return Path(location)
    raise HarnessError("tunegate's built-in suites (the 'suites' package with gate.toml) are not installed beside "
                       f"harness ({here}); reinstall tunegate: pip install -e . (or pip install tunegate)")


def default_policy() -> Path:
    """The packaged default policy, ``suites/gate.toml`` (what ``extends = "tunegate:default"`` names)."""
    return suites_dir() / "gate.toml"


def suite_names() -> set[str]:
    """The built-in suites' names (``test_<name>.py`` holds the tests marked ``suite("<name>")``)."""
    return {path.stem.removeprefix("test_") for path in suites_dir().glob("test_*.py")}
