"""Content-addressed cache of model outputs in the results database (table ``generations``).

A key is the sha256 of the canonical JSON (sorted keys, no whitespace) of everything that decides an output:
the kind of request, the model (weights fingerprint, tokenizer identity, dtype and device type), the rendered
prompt (or context and continuation), the decoding parameters and the harness version. Any change to one of
them is a different key, so a stale entry can never be served; old entries are only dead weight, which
``tunegate cache prune`` removes.

A batch of requests costs one read (all keys looked up at once through an Arrow join on the Store's read-only
path), the model sees only the misses (each distinct one once), and the misses are written back in one short
write transaction with one Arrow insert. A per-process memo answers repeats inside a run without a read.
Sampled decoding (``do_sample=True``) is never cached: its outputs are not a function of the key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from harness.engine.generate import DecodingParams, Generation
from harness.errors import HarnessError
from harness.store import Store, now

GENERATE = "generate"
LOGLIKELIHOOD = "loglikelihood"
_COLUMNS = ("key", "kind", "model_fingerprint", "harness_version", "params", "prompt_sha256", "output",
            "new_tokens", "logprob", "is_greedy", "latency_ms", "created_at")


@dataclass(frozen=True)
class ModelKey:
    """What identifies a model's outputs, besides the request itself."""

    weights: str
    """Weights fingerprint (``base+adapter`` for an adapter), as LoadedModel.fingerprint."""
    tokenizer: str
    """sha256 of the tokenizer's serialised form (``tokenizer_identity``)."""
    dtype: str = "float32"
    """Torch dtype the weights run in."""
    device: str = "cpu"
    """Device type (cpu, cuda, mps): kernels differ, so greedy outputs may too."""


def canonical_json(value: Any) -> str:
    """The one JSON text of ``value`` that keys are hashed from."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sha256_text(text: str) -> str:
    """sha256 hex digest of UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_key(kind: str, model: ModelKey, prompt: Any, params: dict[str, Any], harness_version: str) -> str:
    """sha256 of the canonical JSON of the key parts."""
    return sha256_text(canonical_json({
        "kind": kind, "model": asdict(model), "prompt": prompt, "params": params, "harness": harness_version,
    }))


def tokenizer_identity(tokenizer: Any) -> str:
    """sha256 of a tokenizer's full serialised form (vocabulary, merges, normaliser, special tokens)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        # padding and truncation are call-time state (set by every padded call), not the tokenizer's identity
        data = json.loads(backend.to_str())
        data.pop("padding", None)
        data.pop("truncation", None)
        text = canonical_json(data)
    else:
        text = canonical_json(sorted(tokenizer.get_vocab().items()))
    specials = canonical_json({k: str(v) for k, v in sorted(getattr(tokenizer, "special_tokens_map", {}).items())})
    return sha256_text(text + "\0" + specials)


class GenerationCache:
    """Cache of generations and log-likelihoods for one Store; ``enabled=False`` computes everything."""

    def __init__(self, store: Store | None, harness_version: str, enabled: bool = True) -> None:
        self.store = store
        self.harness_version = harness_version
        self.enabled = enabled and store is not None
        self.memory: dict[str, dict[str, Any]] = {}
        self.hits = 0
        self.misses = 0
        self._ready = False

    # -- storage -----------------------------------------------------------------------------------------------
    def _ensure_schema(self) -> None:
        if self.store is not None and getattr(self.store, "_migrated", False):
            self._ready = True  # this Store already migrated the file (GateSession.start wrote through it)
        if not self._ready and self.store is not None:
            with self.store.write():  # applies pending migrations (the read path cannot)
                pass
            self._ready = True

    def lookup(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Rows for the keys that are cached: the per-process memo first, then one read of the database."""
        found = {k: self.memory[k] for k in keys if k in self.memory}
        wanted = sorted({k for k in keys if k not in found})
        if not wanted or not self.enabled or self.store is None:
            return found
        import pyarrow as pa

        self._ensure_schema()
        with self.store.read() as con:
            con.register("_tunegate_keys", pa.table({"key": wanted}))
            try:
                cursor = con.execute(
                    "SELECT g.key, g.output, g.new_tokens, g.latency_ms, g.logprob, g.is_greedy "
                    "FROM generations g JOIN _tunegate_keys k ON g.key = k.key"
                )
                names = [d[0] for d in cursor.description]
                fetched = cursor.fetchall()
            finally:
                con.unregister("_tunegate_keys")
        for values in fetched:
            row = dict(zip(names, values, strict=True))
            self.memory[row["key"]] = row
            found[row["key"]] = row
        return found

    def put(self, rows: list[dict[str, Any]]) -> None:
        """Write new entries in one transaction, one Arrow insert; a key another run wrote first is kept."""
        for row in rows:
            self.memory[row["key"]] = row
        if not rows or not self.enabled or self.store is None:
            return
        import pyarrow as pa

        self._ensure_schema()
        stamp = now()
        table = pa.table({c: [stamp if c == "created_at" else r.get(c) for r in rows] for c in _COLUMNS})
        names = ", ".join(_COLUMNS)
        with self.store.write() as con:
            con.register("_tunegate_gen", table)
            try:
                con.execute(f"INSERT OR IGNORE INTO generations ({names}) SELECT {names} FROM _tunegate_gen")
            finally:
                con.unregister("_tunegate_gen")

    def _serve(self, keys: Sequence[str], requests: Sequence[Any], compute: Callable[[list[Any]], list[Any]],
               what: str) -> tuple[dict[str, dict[str, Any]], dict[str, tuple[Any, Any]]]:
        """Look ``keys`` up and run ``compute`` once on the distinct misses, counting hits and misses.

        Returns the cached rows by key and ``{key: (request, computed value)}`` for the misses.
        """
        found = self.lookup(keys)
        todo: dict[str, Any] = {}
        for key, request in zip(keys, requests, strict=True):
            if key not in found and key not in todo:
                todo[key] = request
        self.hits += len(keys) - len(todo)
        self.misses += len(todo)
        values = compute(list(todo.values())) if todo else []
        if len(values) != len(todo):
            raise HarnessError(f"{what} returned {len(values)} results for {len(todo)} requests")
        return found, {key: (request, value) for (key, request), value in zip(todo.items(), values, strict=True)}

    # -- front doors -------------------------------------------------------------------------------------------
    def generate(
        self,
        model: ModelKey,
        prompts: Sequence[str],
        params: DecodingParams,
        compute: Callable[[list[str]], list[Generation]],
    ) -> list[Generation]:
        """Outputs for ``prompts``: cached ones served, the distinct misses computed by ``compute`` in one call."""
        if params.do_sample or not self.enabled:
            return compute(list(prompts))
        parts = params.key_parts()
        keys = [cache_key(GENERATE, model, p, parts, self.harness_version) for p in prompts]
        found, fresh = self._serve(keys, prompts, compute, "generation")
        params_json = canonical_json(parts)
        self.put([{
            "key": key, "kind": GENERATE, "model_fingerprint": model.weights,
            "harness_version": self.harness_version, "params": params_json,
            "prompt_sha256": sha256_text(prompt), "output": out.text, "new_tokens": out.new_tokens,
            "logprob": None, "is_greedy": None, "latency_ms": out.latency_ms,
        } for key, (prompt, out) in fresh.items()])
        return [fresh[key][1] if key in fresh else
                Generation(text=found[key]["output"], new_tokens=int(found[key]["new_tokens"] or 0),
                           latency_ms=float(found[key]["latency_ms"] or 0.0), cached=True)
                for key in keys]

    def loglikelihood(
        self,
        model: ModelKey,
        requests: Sequence[tuple[str, str]],
        compute: Callable[[list[tuple[str, str]]], list[tuple[float, bool]]],
    ) -> list[tuple[float, bool]]:
        """(log-prob, is_greedy) per (context, continuation): cached ones served, distinct misses computed once."""
        if not self.enabled:
            return compute(list(requests))
        keys = [cache_key(LOGLIKELIHOOD, model, list(r), {}, self.harness_version) for r in requests]
        found, fresh = self._serve(keys, [(r[0], r[1]) for r in requests], compute, "log-likelihood")
        self.put([{
            "key": key, "kind": LOGLIKELIHOOD, "model_fingerprint": model.weights,
            "harness_version": self.harness_version, "params": "{}",
            "prompt_sha256": sha256_text(canonical_json(list(req))), "output": None, "new_tokens": None,
            "logprob": float(value[0]), "is_greedy": bool(value[1]), "latency_ms": None,
        } for key, (req, value) in fresh.items()])
        return [(float(found[k]["logprob"]), bool(found[k]["is_greedy"])) if k in found else
                (float(fresh[k][1][0]), bool(fresh[k][1][1])) for k in keys]


def cached_loglikelihood(
    cache: GenerationCache,
    model: ModelKey,
    requests: Sequence[tuple[str, str]],
    compute: Callable[[list[tuple[str, str]]], list[tuple[float, bool]]],
) -> list[tuple[float, bool]]:
    """Log-likelihood requests through the cache (lm-eval's ``loglikelihood`` shape: (context, continuation)).

    ``compute`` receives only the distinct misses and must return (sum log-prob, is_greedy) for each, in order;
    ``harness.engine.loglik.loglikelihood`` is the batched implementation. Within a gate run prefer
    ``GateSession.loglikelihood(role, requests)``, which supplies the cache, the model key and the model.
    """
    return cache.loglikelihood(model, requests, compute)


def prune(store: Store, older_than_days: float | None = None, model: str | None = None) -> int:
    """Delete cache entries created more than ``older_than_days`` ago and/or of a model fingerprint; count them.

    ``model`` matches any entry whose fingerprint contains it (at least 8 hex characters), so either half of a
    ``base+adapter`` fingerprint selects it.
    """
    if older_than_days is None and model is None:
        raise HarnessError("tunegate cache prune: give --older-than DAYS and/or --model FP (or --all)")
    return _delete(store, older_than_days, model)


def prune_all(store: Store) -> int:
    """Delete every cache entry; return how many there were."""
    return _delete(store, None, None)


def _delete(store: Store, older_than_days: float | None, model: str | None) -> int:
    where: list[str] = []
    params: list[Any] = []
    if older_than_days is not None:
        if older_than_days < 0:
            raise HarnessError(f"--older-than {older_than_days}: must be zero or more days")
        where.append("created_at < ?")
        params.append(now() - dt.timedelta(days=older_than_days))
    if model is not None:
        if len(model) < 8:
            raise HarnessError(f"--model {model!r}: give at least 8 characters of the fingerprint")
        where.append("position(? IN model_fingerprint) > 0")
        params.append(model)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    with store.write() as con:
        count = int(con.execute(f"SELECT count(*) FROM generations{clause}", params).fetchall()[0][0])
        con.execute(f"DELETE FROM generations{clause}", params)
    return count


def cache_stats(store: Store) -> list[tuple[Any, ...]]:
    """(kind, model fingerprint, entries, oldest, newest) per model."""
    with store.write():
        pass
    _, rows = store.query(
        "SELECT kind, model_fingerprint, count(*) AS entries, min(created_at) AS oldest, max(created_at) AS newest "
        "FROM generations GROUP BY ALL ORDER BY newest DESC")
    return rows
