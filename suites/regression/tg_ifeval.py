"""Scoring for tg_ifeval: lm-eval's IFEval verifiers (``lm_eval.tasks.ifeval``) on the prompts in ifeval.jsonl.

Two things are settled here, before lm-eval's verifiers are used, so scoring is offline and repeatable:

- ``lm_eval.tasks.ifeval.instructions_util`` calls ``nltk.download("punkt_tab")`` at import when
  ``nltk.data.find("tokenizers/punkt_tab")`` finds no such folder or zip on ``nltk.data.path`` (``NLTK_DATA``,
  ``~/nltk_data``, ``<sys.prefix>/nltk_data``, ...). Only the sentence-counting and capital-word verifiers use that
  data, and tg_ifeval uses neither (``make_ifeval.ALLOWED``), so the import runs with ``nltk.download`` replaced by
  a function that downloads nothing (and lm-eval's "Downloaded punkt_tab" line, printed either way, is dropped).
  Where punkt_tab is installed nothing changes.
- The all-lowercase and all-capitals verifiers call ``langdetect.detect``, which samples at random unless
  ``DetectorFactory.seed`` is set; it is set to 0 so the same output always gets the same score.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any


def _no_download(*_: Any, **__: Any) -> bool:
    return False


def _verifiers() -> Any:
    """lm-eval's IFEval ``utils`` module, imported without any download."""
    import nltk
    from langdetect import DetectorFactory

    DetectorFactory.seed = 0
    download = nltk.download
    nltk.download = _no_download
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            from lm_eval.tasks.ifeval import utils
    finally:
        nltk.download = download
    return utils


_UTILS = _verifiers()


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
    """IFEval's prompt- and instruction-level accuracies (strict and loose) for one document."""
    kwargs = [{k: v for k, v in kw.items() if v is not None} for kw in doc["kwargs"]]
    return _UTILS.process_results({**doc, "kwargs": kwargs}, results)


def agg_inst_level_acc(items: list[list[bool]]) -> float:
    """Share of all instructions followed, over every document."""
    return float(_UTILS.agg_inst_level_acc(items))
