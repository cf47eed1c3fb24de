"""lm-eval glue: run lm-eval tasks in-process on an already loaded model, per-sample results included.

The same task YAMLs run unchanged under the ``lm_eval`` CLI; ``tests/suites/test_regression.py`` checks the
scores agree. A task whose YAML metadata says ``apply_chat_template: true`` (tg_ifeval) is rendered with the
model's chat template, as the CLI does with ``--apply_chat_template`` (``tests/suites/test_ifeval_task.py``
checks), and the other tasks of the same run are not. ``add_bos_token`` defaults to False: lm-eval mis-scores
tokenizers whose post-processor appends EOS unless told not to add special tokens, and a chat-model tokenizer
without BOS gains nothing from it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError, MissingDependency

BUNDLED_TASKS = Path(__file__).resolve().parents[2] / "suites" / "regression"
DEFAULT_GROUP = "tunegate_regression"
_MANAGERS: dict[tuple[tuple[str, ...], bool], Any] = {}


@dataclass
class TaskSample:
    """One lm-eval document's outcome on one metric."""

    task: str
    doc_id: int
    metric: str
    score: float
    prompt: str
    output: str
    reference: str


@dataclass
class LmEvalResult:
    """Aggregate scores per task (``{task: {"acc,none": 0.5, ...}}``) and every per-sample score."""

    scores: dict[str, dict[str, float]]
    samples: list[TaskSample] = field(default_factory=list)
    primary: dict[str, str] = field(default_factory=dict)  # task -> its primary metric key, e.g. "acc,none"


def parse_task_list(spec: str | None) -> tuple[list[str], list[str]]:
    """Split ``--regression-tasks`` (comma-separated names, YAML files or task folders) into
    (task names, extra include paths). Paths add their folder to lm-eval's include path."""
    if not spec:
        return [DEFAULT_GROUP], []
    names: list[str] = []
    includes: list[str] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        path = Path(part)
        if path.suffix in (".yaml", ".yml"):
            if not path.is_file():
                raise HarnessError(f"--regression-tasks: {path} not found (give a task name, a YAML file or a folder)")
            includes.append(str(path.parent.resolve()))
            names.append(_task_name(path))
        elif path.is_dir():
            includes.append(str(path.resolve()))
            names.extend(_task_name(y) for y in sorted(path.glob("*.yaml")))
        else:
            names.append(part)
    return names, includes


def _task_name(yaml_path: Path) -> str:
    for line in yaml_path.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("task", "group") and value.strip() and not line.startswith(" "):
            return value.strip().strip("'\"")
    raise HarnessError(f"{yaml_path}: no top-level 'task:' or 'group:' key; not an lm-eval task file")


def task_manager(include_paths: list[str] | None = None, *, include_defaults: bool = True) -> Any:
    """An lm-eval TaskManager that also knows the bundled tasks in suites/regression.

    ``include_defaults=False`` skips indexing lm-eval's thousands of built-in task YAMLs (about 30 s on a
    small CPU), for runs that use only local tasks.
    """
    try:
        from lm_eval.tasks import TaskManager
    except ImportError:
        raise MissingDependency("lm-eval", "the regression suite") from None
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    paths = (str(BUNDLED_TASKS), *(include_paths or []))
    key = (paths, include_defaults)
    if key not in _MANAGERS:  # indexing task folders is the slow part; candidate and baseline share one
        _MANAGERS[key] = TaskManager(include_path=list(paths), include_defaults=include_defaults)
    return _MANAGERS[key]


def session_lm(session: Any, role: str) -> Any:
    """An lm-eval ``LM`` answered by a gate session's engine for one role (see ``_SessionLM``)."""
    try:
        from lm_eval.api.model import LM
    except ImportError:
        raise MissingDependency("lm-eval", "the regression suite") from None

    class _SessionLM(LM):  # type: ignore[misc]
        """lm-eval's model interface over ``GateSession.loglikelihood``/``generate``: tunegate's length-sorted,
        token-budget batches and its generation cache, so a re-run or a shared baseline costs no forward pass and
        the weights load only on a cache miss. Requests are tokenised as lm-eval's HFLM does (no special tokens,
        lm-eval's context/continuation split, EOS as an extra stop string), so the scores are the ones the
        ``lm_eval`` CLI reports (``tests/suites/test_regression_suite.py`` checks). Rolling log-likelihood
        (perplexity tasks) is rare in a gate and goes to lm-eval's own HFLM on the loaded model, uncached.
        """

        def __init__(self) -> None:
            super().__init__()
            self._hflm: Any = None

        def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[tuple[float, bool]]:
            return session.loglikelihood(role, [tuple(r.args) for r in requests])

        def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
            from lm_eval.models.utils import handle_stop_sequences, normalize_gen_kwargs

            from harness.engine.generate import DecodingParams

            tokenizer = session.tokenizer(role)
            eos = tokenizer.decode([tokenizer.eos_token_id], skip_special_tokens=False)
            groups: dict[DecodingParams, list[int]] = {}
            for i, request in enumerate(requests):
                kwargs = dict(normalize_gen_kwargs(request.args[1], 256))
                until = handle_stop_sequences(kwargs.pop("until", None), eos=eos)
                if kwargs.pop("do_sample", False) or kwargs.pop("temperature", 0.0):
                    raise HarnessError("lm-eval task asks for sampling; a gate compares greedy outputs only")
                params = DecodingParams(max_new_tokens=int(kwargs.pop("max_gen_toks")), stop=tuple(until))
                groups.setdefault(params, []).append(i)
            out = [""] * len(requests)
            for params, idx in groups.items():
                for i, g in zip(idx, session.generate(role, [requests[i].args[0] for i in idx], params), strict=True):
                    out[i] = g.text
            return out

        @property
        def tokenizer_name(self) -> str:
            return str(getattr(session.tokenizer(role), "name_or_path", role)).replace("/", "__")

        def apply_chat_template(self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
            """As HFLM renders chat tasks; a tokenizer without a chat template gets the plain message text."""
            tokenizer = session.tokenizer(role)
            if not getattr(tokenizer, "chat_template", None):
                return "\n\n".join(m["content"] for m in chat_history)
            return str(tokenizer.apply_chat_template(chat_history, tokenize=False,
                                                     add_generation_prompt=add_generation_prompt,
                                                     continue_final_message=not add_generation_prompt))

        def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[float]:
            if self._hflm is None:
                from lm_eval.models.huggingface import HFLM

                loaded = session.model(role)
                self._hflm = HFLM(pretrained=loaded.model, tokenizer=loaded.tokenizer, add_bos_token=False,
                                  batch_size=session.options.batch_size or 16)
            return list(self._hflm.loglikelihood_rolling(requests, disable_tqdm=True))

    return _SessionLM()


def load_tasks(names: list[str], include_paths: list[str] | None = None) -> list[Any]:
    """lm-eval's Task objects for task or group ``names`` (groups expanded), loaded once and reusable across runs
    (``run_tasks`` takes them in place of names)."""
    manager = task_manager(include_paths, include_defaults=False)
    if any(t not in manager.all_tasks for t in names):
        manager = task_manager(include_paths, include_defaults=True)
    unknown = [t for t in names if t not in manager.all_tasks]
    if unknown:
        raise HarnessError(
            f"--regression-tasks: unknown lm-eval task(s) {unknown}; give a task name lm-eval knows, "
            "or a YAML file / folder of task YAMLs"
        )
    return list(manager.load(names)["tasks"].values())


def task_name(task: Any) -> str:
    return str(task.config.task)


def documents(tasks: list[Any], limit: int | None = None) -> list[tuple[str, int]]:
    """(task name, document index) of every document ``run_tasks`` evaluates with this ``limit`` (the first
    ``limit`` of each task, as lm-eval takes them)."""
    return [(task_name(t), i) for t in tasks for i in range(min(len(t.eval_docs), limit or len(t.eval_docs)))]


def run_tasks(
    model: Any, tokenizer: Any, tasks: list[str] | list[Any], *, include_paths: list[str] | None = None,
    batch_size: int = 16, limit: int | None = None, add_bos_token: bool = False,
    samples: dict[str, list[int]] | None = None,
) -> LmEvalResult:
    """Evaluate ``model`` (a loaded HF or peft model, or an lm-eval ``LM`` such as ``session_lm(...)``, with
    ``tokenizer`` None) on lm-eval ``tasks`` (names, or Task objects from ``load_tasks``) in-process, with
    per-sample logs. ``samples`` ({task: document indices}) evaluates only those documents of only those tasks;
    their per-sample ``doc_id`` is the index in the task's documents, as in a whole run."""
    import lm_eval
    from lm_eval.api.model import LM
    from lm_eval.models.huggingface import HFLM

    logging.getLogger("lm_eval").setLevel(logging.ERROR)
    loaded = load_tasks(tasks, include_paths) if all(isinstance(t, str) for t in tasks) else list(tasks)
    if samples is not None:  # sorted: lm-eval maps its k selected documents back to indices[0..k-1] in file order
        samples = {name: sorted(set(ids)) for name, ids in samples.items() if ids}
        loaded = [t for t in loaded if task_name(t) in samples]
        limit = None
    if isinstance(model, LM):
        lm, tokenizer = model, None
    else:
        lm = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=batch_size, add_bos_token=add_bos_token)
    padding_side = tokenizer.padding_side if tokenizer is not None else None
    # A task whose YAML says `metadata: {apply_chat_template: true}` is rendered with the model's chat template
    # (as `lm_eval --apply_chat_template` would); lm-eval's switch is per run, so such tasks run in a second one.
    chat = [t for t in loaded if (t.config.metadata or {}).get("apply_chat_template")]
    runs = [(batch, flag) for batch, flag in (([t for t in loaded if t not in chat], False), (chat, True)) if batch]
    results: dict[str, Any] = {"results": {}, "samples": {}}
    try:
        for batch, flag in runs:
            out = lm_eval.simple_evaluate(
                model=lm, tasks=batch, task_manager=task_manager(include_paths, include_defaults=False), log_samples=True,
                limit=limit, samples=samples,
                apply_chat_template=flag,
                bootstrap_iters=0, random_seed=0, numpy_random_seed=0, torch_random_seed=0, fewshot_random_seed=0,
            )
            if out is None:
                raise HarnessError("lm-eval returned no results (was this a non-zero rank of a distributed run?)")
            results["results"].update(out["results"])
            results["samples"].update(out.get("samples", {}))
    finally:
        if tokenizer is not None:
            tokenizer.padding_side = padding_side
    return _collect(results)


def _collect(out: dict[str, Any]) -> LmEvalResult:
    scores: dict[str, dict[str, float]] = {}
    primary: dict[str, str] = {}
    for task, metrics in out["results"].items():
        if task not in out.get("samples", {}):
            continue  # a group's aggregate row
        values = {k: float(v) for k, v in metrics.items()
                  if isinstance(v, (int, float)) and "," in k and "_stderr" not in k}
        scores[task] = values
        if values:
            primary[task] = next(iter(values))
    samples: list[TaskSample] = []
    for task, rows in out.get("samples", {}).items():
        key = primary.get(task)
        if key is None:
            continue
        metric, _, filt = key.partition(",")
        for row in rows:
            if row.get("filter", "none") != filt:
                continue
            resps = row.get("filtered_resps") or row.get("resps") or []
            args = row.get("arguments") or [[""]]
            first_arg = args[0][0] if isinstance(args[0], (list, tuple)) else args[0]
            samples.append(TaskSample(
                task=task, doc_id=int(row["doc_id"]), metric=metric, score=float(row[metric]),
                prompt=str(first_arg), output=str(resps[0] if len(resps) == 1 else resps),
                reference=str(row.get("target")),
            ))
    return LmEvalResult(scores=scores, samples=samples, primary=primary)


__all__ = ["BUNDLED_TASKS", "DEFAULT_GROUP", "LmEvalResult", "TaskSample", "documents", "load_tasks", "parse_task_list",
           "run_tasks", "session_lm", "task_manager"]
