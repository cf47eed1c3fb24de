"""Model engine: loading candidates and baselines, weights and tokenizer fingerprints, batched generation,
log-likelihood, the content-addressed generation cache, the in-process lm-eval adapter, chat templates, imports
of real models (GGUF or HF directories, ``tunegate import``), and the tiny offline models tests build. Nothing
here imports torch until a model is loaded."""

from harness.engine.cache import (
    GENERATE,
    GenerationCache,
    ModelKey,
    cache_key,
    cache_stats,
    prune,
    prune_all,
    tokenizer_identity,
)
from harness.engine.fingerprint import dir_fingerprint, file_sha256, tokenizer_fingerprint
from harness.engine.generate import DecodingParams, Generation, cut_at_stop, generate, plan_batches
from harness.engine.imports import (
    PROVENANCE_NAME,
    ImportRecord,
    cached_import,
    check_train_data,
    import_model,
    load_import_record,
)
from harness.engine.lmeval import BUNDLED_TASKS, documents, load_tasks, parse_task_list, run_tasks, session_lm
from harness.engine.loglik import encode_pair, loglikelihood
from harness.engine.models import (
    GATE_DTYPES,
    LoadedModel,
    candidate_base,
    check_candidate,
    load_model,
    load_tokenizer,
    reference_fingerprint,
    resolve_dtype,
    weights_fingerprint,
)
from harness.engine.template import CHAT_TEMPLATE, SPECIAL_TOKENS, render_prompt, template_sha256
from harness.engine.testing import build_tiny_model, build_tokenizer

__all__ = [
    "BUNDLED_TASKS", "CHAT_TEMPLATE", "DecodingParams", "GENERATE", "Generation", "GenerationCache",
    "LoadedModel", "ModelKey", "SPECIAL_TOKENS", "build_tiny_model", "build_tokenizer", "cache_key",
    "cache_stats", "candidate_base", "check_candidate", "cut_at_stop", "dir_fingerprint", "documents", "encode_pair",
    "file_sha256", "generate", "load_model", "load_tasks", "load_tokenizer", "loglikelihood", "parse_task_list", "plan_batches", "prune",
    "prune_all", "reference_fingerprint", "render_prompt", "run_tasks", "session_lm", "template_sha256", "tokenizer_fingerprint",
    "tokenizer_identity", "weights_fingerprint",
    "GATE_DTYPES", "ImportRecord", "PROVENANCE_NAME", "cached_import", "check_train_data", "import_model",
    "load_import_record", "resolve_dtype",
]
