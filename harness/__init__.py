"""tunegate harness: load candidates, run the suites, decide PROMOTE or REJECT, remember it in DuckDB."""

from harness.errors import CandidateError, DataError, HarnessError, PolicyError, StoreError
from harness.gate import PROMOTE, REJECT, Decision, Evidence, Policy, Verdict, decide, load_policy
from harness.manifest import CandidateManifest, load_manifest
from harness.store import Store

__version__ = "0.1.0"

__all__ = [
    "PROMOTE", "REJECT", "CandidateError", "CandidateManifest", "DataError", "Decision", "Evidence", "HarnessError",
    "Policy", "PolicyError", "Store", "StoreError", "Verdict", "__version__", "decide", "load_manifest", "load_policy",
]
