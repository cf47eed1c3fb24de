"""The one user-facing error family. Every message names the file, line or field, and the fix."""

from __future__ import annotations

from pathlib import Path


class HarnessError(Exception):
    """An error a user can fix; the CLI prints it without a traceback."""


class DataError(HarnessError):
    """A data file is malformed: names the file, the line (1-based) and the fault."""

    def __init__(self, path: str | Path, line: int | None, fault: str, fix: str = "") -> None:
        self.path = str(path)
        self.line = line
        self.fault = fault
        where = f"{self.path}:{line}" if line is not None else self.path
        message = f"{where}: {fault}"
        if fix:
            message += f" ({fix})"
        super().__init__(message)


class PolicyError(HarnessError):
    """The gate policy file is invalid: names the key and, where known, the line."""


class CandidateError(HarnessError):
    """A candidate or baseline cannot be loaded safely."""


class StoreError(HarnessError):
    """The results database cannot be opened or written."""


class MissingDependency(HarnessError):
    """An optional package is missing; the message gives the pip line."""

    def __init__(self, package: str, purpose: str, pip: str | None = None) -> None:
        self.pip = pip or f"pip install '{package}'"
        super().__init__(f"{purpose} needs the '{package}' package: {self.pip}")
