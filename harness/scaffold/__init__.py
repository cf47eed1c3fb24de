"""`tunegate init`: scaffold gating in a project of your own.

Writes ``suites/`` (an example domain suite with its fixture, a sample eval JSONL, a ``gate.toml`` extending the
packaged default and overriding and adding rules by name) and a CI workflow (``.github/workflows/gate.yml``).
The files are package data beside this module (``files/``; ``github/`` becomes ``.github/``).
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import HarnessError

FILES = Path(__file__).parent / "files"
NEXT_STEPS = """next:
  pytest suites/ --builtin-suites --candidate DIR --task-data suites/data/eval.jsonl
      gates DIR with your suites and tunegate's built-in ones (the policy it resolved is printed first)
  edit suites/data/eval.jsonl (your domain's items), suites/test_routing.py (your own checks) and
  suites/gate.toml (rules by name); .github/workflows/gate.yml runs the same command in CI"""


def scaffold_files() -> dict[str, Path]:
    """Every file ``init`` writes: its path in the project -> its template."""
    out: dict[str, Path] = {}
    for template in sorted(FILES.rglob("*")):
        if template.is_file() and "__pycache__" not in template.parts:
            relative = template.relative_to(FILES).as_posix()
            name = ".github/" + relative.removeprefix("github/") if relative.startswith("github/") else relative
            out[name] = template
    return out


def init_project(directory: str | Path = ".", force: bool = False) -> list[Path]:
    """Write the scaffold into ``directory`` (created if needed); returns the files written.

    Refuses, writing nothing, when any of them exists, unless ``force``.
    """
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise HarnessError(f"{root}: not a directory; tunegate init DIR writes suites/ and .github/ into DIR")
    files = scaffold_files()
    existing = [name for name in files if (root / name).exists()]
    if existing and not force:
        raise HarnessError(f"{root}: {', '.join(existing)} already exist(s); nothing written (move them away, or "
                           "pass --force to overwrite them)")
    if (root / "suites" / "__init__.py").exists():
        raise HarnessError(f"{root / 'suites' / '__init__.py'}: a project's suites/ must not be a package named "
                           "'suites' (tunegate's built-in suites are); remove the __init__.py")
    written = []
    for name, template in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(template.read_bytes())
        written.append(target)
    return written
