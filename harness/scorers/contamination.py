"""Contamination evidence: which eval items the candidate's training data holds (``ContaminationIndex``, the one
definition ``tunegate data prepare`` and the contamination suite share), and a model-side signal that needs no
training data (Min-K% Prob, Shi et al. 2023, "Detecting Pretraining Data from Large Language Models").

Min-K% Prob of a text is the mean log-probability of its k% least likely tokens: memorised text has few
surprising tokens. Fine-tuning raises likelihood on in-domain text anyway, so the signal compares the
candidate − baseline shift on eval items with the same shift on a fresh reference set the model never saw;
an eval set whose shift exceeds the reference's by far was probably trained on.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from harness.jsonl import iter_jsonl
from harness.scorers.overlap import normalise_text, words

TEXT_KEYS = ("prompt", "question", "text", "answer", "answers", "target", "chosen")
PROMPT_KEYS = ("prompt", "question", "text")
METHODS = ("exact", "ngram", "near")
# The near method's settings, chosen on the gate's own sets (docs/data.md#what-counts-as-contamination has the sweep)
NEAR = 0.7  # share of a prompt's weight a stretch of a turn must hold
SLACK = 4  # other words a stretch may hold among the prompt's (a synonym may be a phrase)
MIN_WORDS = 4  # shorter prompts and items match exactly only: three words occur in unrelated text
MISSING = 2, 0.25  # a stretch may miss at most max(2, a quarter) of the prompt's distinct words
CORE_SHARE = 0.5  # share of the weight of the prompt's rarest words a stretch must hold (a template is no copy)
CORE_TIER = 2  # the rarest words: held by at most this many times as many prompts as the prompt's rarest word
WEIGHT_FLOOR = 0.25  # added to each word's IDF, so a word every prompt of the set holds still counts a little
_DIGIT = re.compile(r"\d")


def row_parts(row: dict[str, Any]) -> list[str]:
    """The texts of an eval or training row that overlap is measured on, one per turn or field: message contents
    except system prompts (shared boilerplate that would flag every item), plus prompt/question/answer-like
    fields and a multiple-choice item's correct choice."""
    parts: list[str] = []
    for message in row.get("messages") or []:
        if isinstance(message, dict) and message.get("role") != "system" and isinstance(message.get("content"), str):
            parts.append(message["content"])
    for key in TEXT_KEYS:
        value = row.get(key)
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            parts.extend(v for v in value if isinstance(v, str))
    choices, label = row.get("choices"), row.get("label")
    if isinstance(choices, list) and isinstance(label, int) and 0 <= label < len(choices):
        parts.append(str(choices[label]))
    return parts


def row_text(row: dict[str, Any]) -> str:
    """A row's whole text (``row_parts`` joined by newlines)."""
    return "\n".join(row_parts(row))


def prompt_text(row: dict[str, Any]) -> str:
    """The prompt side of an eval or training row: its user turns (no system or assistant turn), else its
    prompt, question or text field; empty when it has none."""
    messages = row.get("messages")
    if isinstance(messages, list) and messages:
        return "\n".join(m["content"] for m in messages if isinstance(m, dict) and isinstance(m.get("content"), str)
                         and m.get("role") not in ("assistant", "system"))
    for key in PROMPT_KEYS:
        if isinstance(row.get(key), str):
            return str(row[key])
    return ""


class EvalText(NamedTuple):
    """One eval item as the contamination check reads it."""

    id: str
    prompt: str  # what the model is asked (``prompt_text``), or the whole item when it has no prompt side
    text: str  # the whole item (``row_text``): the prompt and its reference answer(s)


def eval_items(rows: Iterable[tuple[int, dict[str, Any]]]) -> list[EvalText]:
    """Eval rows, each with its number (the id when it has none), as the contamination check reads them; rows
    without text are left out."""
    out = []
    for number, row in rows:
        text = row_text(row)
        if text.strip():
            out.append(EvalText(str(row.get("id", f"line-{number}")), prompt_text(row) or text, text))
    return out


def file_items(path: str | Path) -> list[EvalText]:
    """Each row of an eval JSONL file as the contamination check reads it (ids default to the line number)."""
    return eval_items(iter_jsonl(path))


def file_texts(path: str | Path) -> list[tuple[str, str]]:
    """(id, text) for each row of a JSONL file; ids default to the line number."""
    return [(item.id, item.text) for item in file_items(path)]


@dataclass(frozen=True)
class _Prompt:
    """An item's prompt as the near method weighs it."""

    weights: dict[str, float]
    total: float
    numbers: tuple[str, ...]  # the numbers a copy must keep, in the prompt's order
    core: frozenset[str]  # its rarest words in its set: what makes it this item
    core_total: float
    least_words: int  # of its distinct words, how many a stretch must hold


@dataclass
class ContaminationHits:
    """What a scan found: for each eval item hit (by index into ``items``), the training rows each method matched."""

    items: list[tuple[str, EvalText]]
    by_item: dict[int, dict[str, list[int]]] = field(default_factory=dict)

    def add(self, row: int, hits: dict[str, set[int]]) -> None:
        """Record one training row's hits (method -> item indexes)."""
        for method, items in hits.items():
            for item in items:
                self.by_item.setdefault(item, {}).setdefault(method, []).append(row)

    def by_row(self) -> dict[int, dict[int, list[str]]]:
        """Training row -> eval item -> the methods that matched it, in ``METHODS`` order."""
        out: dict[int, dict[int, list[str]]] = {}
        for item, methods in sorted(self.by_item.items()):
            for method in METHODS:
                for row in methods.get(method, ()):
                    out.setdefault(row, {}).setdefault(item, []).append(method)
        return dict(sorted(out.items()))

    def counts(self) -> dict[str, dict[str, int]]:
        """Per method, how many eval items it flagged and how many training rows it matched."""
        return {
            "items": {m: sum(m in methods for methods in self.by_item.values()) for m in METHODS},
            "rows": {m: len({r for methods in self.by_item.values() for r in methods.get(m, ())}) for m in METHODS},
        }


class ContaminationIndex:
    """The definition of contamination that ``tunegate data prepare`` and the contamination suite share.

    Built once over the eval sets; training rows are streamed past it, so memory grows with the eval side only and
    the cost with the training rows' words (an index, never all pairs). A training row holds an eval item when
    one of three methods finds it. ``exact`` compares the row's prompt side and its whole text (every turn and
    answer); ``ngram`` and ``near`` search the whole text, which holds the prompt side. System prompts, shared
    boilerplate, are left out on both sides.

    - ``exact``: the row's prompt side or whole text, normalised (``normalise_text``), equals the item's prompt or
      whole item (prompt and reference answers);
    - ``ngram``: the row's whole text contains a word ``n``-gram of the item's prompt or whole item that no other
      item of its set holds (a shared one is the set's template: IFEval's "Answer with one of the following
      options: ..."), or, for a prompt or item shorter than ``n`` words (but at least ``min_words``), all of it as
      a contiguous word sequence, so a short eval prompt copied with an answer appended is found;
    - ``near``, for reworded copies: some stretch of one turn of the row, with at most ``slack`` other words among
      the prompt's (word order free), holds words carrying at least ``near`` of the prompt's weight, all but two
      (or a quarter) of its distinct words, half the weight of its rarest words, and its slot numbers in order.
      A word weighs its inverse document frequency in the item's own set, ``ln((N + 1) / df) + 0.25``: template
      words ("What is ... plus") weigh little, what tells the set's items apart much, and indexing sets together
      or one by one gives the same verdicts. The rarest words are those held by at most twice as many prompts as
      the prompt's rarest word ("France" in "What is the capital of France?"), so a template with another slot
      filled is no copy. Slot numbers are those held by fewer than half of the set's prompts ("32" in "What is
      32 plus 13?", not the "10" of "ICD-10"): without them a text asks another question. One turn at a time,
      so an answer cannot complete a question ("What is 15 plus 10?" answered "25" holds no "What is 25 plus
      10?").

    ``near``'s candidates come from an inverted index on each prompt's heaviest words (prefix filtering: a row
    with none of them cannot reach ``near``, so the filter loses nothing) or its heaviest slot number. Measured
    recall and false positives, and why these settings: docs/data.md#what-counts-as-contamination.
    """

    def __init__(self, sets: Mapping[str, Sequence[EvalText]], *, n: int = 13, near: float = NEAR,
                 slack: int = SLACK, min_words: int = MIN_WORDS) -> None:
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        if not 0.0 < near <= 1.0:
            raise ValueError(f"near must be in (0, 1], got {near}")
        self.n, self.near, self.slack, self.min_words = n, near, slack, min_words
        self.items: list[tuple[str, EvalText]] = [(name, item) for name, items in sets.items() for item in items]
        self._exact: dict[str, set[int]] = defaultdict(set)
        self._grams: dict[tuple[str, ...], set[int]] = defaultdict(set)
        self._prompts: dict[int, _Prompt] = {}
        self._postings: dict[str, list[int]] = defaultdict(list)
        start = 0
        for items in sets.values():
            prompts = [words(item.prompt) for item in items]
            texts = [words(item.text) for item in items]
            df = Counter(t for tokens in prompts for t in set(tokens))
            grams = [self._item_grams(p, t) for p, t in zip(prompts, texts, strict=True)]
            shared = Counter(g for item_grams in grams for g in item_grams if len(g) == n)
            for k, (prompt, text) in enumerate(zip(prompts, texts, strict=True)):
                for tokens in (prompt, text):
                    if tokens:
                        self._exact[" ".join(tokens)].add(start + k)
                for gram in grams[k]:  # an n-gram other items of the set hold too is its template, no item's
                    if len(gram) < n or shared[gram] == 1:
                        self._grams[gram].add(start + k)
                self._add_prompt(start + k, prompt, df, len(items))
            start += len(items)
        starts: dict[str, set[int]] = defaultdict(set)
        for gram in self._grams:
            starts[gram[0]].add(len(gram))
        self._starts = {token: tuple(sorted(lengths)) for token, lengths in starts.items()}

    def _item_grams(self, prompt: list[str], text: list[str]) -> set[tuple[str, ...]]:
        """The word sequences a row must contain to hold the item: its n-grams, or the whole of a shorter one."""
        grams: set[tuple[str, ...]] = set()
        for tokens in (prompt, text):
            if len(tokens) >= self.n:
                grams.update(tuple(tokens[g : g + self.n]) for g in range(len(tokens) - self.n + 1))
            elif len(tokens) >= self.min_words:
                grams.add(tuple(tokens))
        return grams

    def _add_prompt(self, i: int, prompt: list[str], df: Counter[str], size: int) -> None:
        if len(prompt) < self.min_words:
            return
        weights = {t: _weight(df[t], size) for t in prompt}
        numbers = tuple(t for t in prompt if _DIGIT.search(t) and 2 * df[t] < size)
        total = sum(weights.values())
        rarest = min(df[t] for t in prompt)
        core = frozenset(t for t in prompt if df[t] <= CORE_TIER * rarest)
        least = len(weights) - max(MISSING[0], int(MISSING[1] * len(weights)))
        self._prompts[i] = _Prompt(weights, total, numbers, core,
                                   sum(weights[t] for t in core), least)
        if numbers:  # a row must hold every slot number: the heaviest one is key enough
            keys = [min(numbers, key=lambda t: (-weights[t], t))]
        else:  # the heaviest words, until together they weigh more than near lets a row miss
            keys, held = [], 0.0
            for token in sorted(weights, key=lambda t: (-weights[t], t)):
                keys.append(token)
                held += weights[token]
                if held > (1.0 - self.near) * total + 1e-9:
                    break
        for token in keys:
            self._postings[token].append(i)

    def match(self, row: dict[str, Any]) -> dict[str, set[int]]:
        """The eval items (by index into ``items``) each method finds in one training row."""
        hits: dict[str, set[int]] = {m: set() for m in METHODS}
        parts = [words(part) for part in row_parts(row)]
        tokens = [t for part in parts for t in part]
        for key in {normalise_text(prompt_text(row)), " ".join(tokens)}:
            hits["exact"] |= self._exact.get(key, set())
        for g, token in enumerate(tokens):
            for k in self._starts.get(token, ()):  # the lengths of the sequences that begin with this word
                if g + k > len(tokens):
                    break
                found = self._grams.get(tuple(tokens[g : g + k]))
                if found:
                    hits["ngram"] |= found
        for part in parts:
            positions: dict[str, list[int]] = defaultdict(list)
            for p, token in enumerate(part):
                positions[token].append(p)
            for i in {i for token in positions for i in self._postings.get(token, ())} - hits["near"]:
                unit = self._prompts[i]
                bag = sum(w for t, w in unit.weights.items() if t in positions)  # no stretch holds more
                if bag >= self.near * unit.total and self.near_score(i, positions) >= self.near:
                    hits["near"].add(i)
        return hits

    def near_score(self, item: int, positions: Mapping[str, list[int]]) -> float:
        """The largest share of item ``item``'s prompt weight held by one stretch of a text (given the text's word
        positions) with at most ``slack`` other words that also holds enough of its distinct and rarest words and
        its slot numbers in order; 0 when none does."""
        unit = self._prompts[item]
        if not all(t in positions for t in unit.numbers):
            return 0.0
        occurrences = sorted((p, t) for t in unit.weights if t in positions for p in positions[t])
        inside: Counter[str] = Counter()
        held, core, best, lo = 0.0, 0.0, 0.0, 0
        for hi, (p, token) in enumerate(occurrences):
            if not inside[token]:
                held += unit.weights[token]
                core += unit.weights[token] if token in unit.core else 0.0
            inside[token] += 1
            while (p - occurrences[lo][0] + 1) - (hi - lo + 1) > self.slack:  # other words between the ends
                gone = occurrences[lo][1]
                inside[gone] -= 1
                if not inside[gone]:
                    held -= unit.weights[gone]
                    core -= unit.weights[gone] if gone in unit.core else 0.0
                    del inside[gone]
                lo += 1
            if (held > best and len(inside) >= unit.least_words
                    and core >= CORE_SHARE * unit.core_total - 1e-9
                    and _in_order(unit.numbers, occurrences[lo : hi + 1])):
                best = held
        return best / unit.total

    def scan(self, rows: Iterable[dict[str, Any]]) -> ContaminationHits:
        """Match every training row; rows are numbered from 0 in the order given."""
        found = ContaminationHits(self.items)
        for row, data in enumerate(rows):
            found.add(row, self.match(data))
        return found


def _weight(df: int, size: int) -> float:
    """A word's weight in its set: its smoothed inverse document frequency, plus a floor."""
    return math.log((size + 1) / df) + WEIGHT_FLOOR


def _in_order(numbers: tuple[str, ...], window: list[tuple[int, str]]) -> bool:
    """Whether ``window`` holds ``numbers`` in that order (others may come between)."""
    wanted = iter(numbers)
    need = next(wanted, None)
    for _, token in window:
        if token == need:
            need = next(wanted, None)
    return need is None


def min_k_prob(
    model: Any, tokenizer: Any, texts: Iterable[str], k: float = 0.2, max_tokens: int = 128, batch_size: int = 16,
) -> list[float]:
    """Min-K% Prob of each text under ``model`` (higher = more familiar), batched with right padding."""
    import torch

    device = next(model.parameters()).device
    texts = list(texts)
    scores: list[float] = []
    side = tokenizer.padding_side
    tokenizer.padding_side = "right"
    try:
        for start in range(0, len(texts), batch_size):
            chunk = texts[start : start + batch_size]
            batch = tokenizer(chunk, add_special_tokens=False, return_tensors="pt", padding=True,
                              truncation=True, max_length=max_tokens)
            ids, mask = batch["input_ids"].to(device), batch["attention_mask"].to(device)
            with torch.inference_mode():
                logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
            logp = torch.log_softmax(logits, dim=-1).gather(2, ids[:, 1:, None])[..., 0]
            valid = mask[:, 1:].bool()
            for row in range(len(chunk)):
                values = logp[row][valid[row]]
                if values.numel() == 0:
                    scores.append(0.0)
                    continue
                lowest = torch.topk(values, max(1, math.ceil(k * values.numel())), largest=False).values
                scores.append(float(lowest.mean()))
    finally:
        tokenizer.padding_side = side
    return scores


__all__ = ["METHODS", "ContaminationHits", "ContaminationIndex", "EvalText", "file_items", "file_texts",
           "min_k_prob", "prompt_text", "row_parts", "row_text"]
