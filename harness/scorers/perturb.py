"""Perturbed copies of eval items, to measure what a contamination check catches (seeded, deterministic).

Each kind is one way an eval item reaches training data: copied verbatim; recased and repunctuated; one or two
adjacent word pairs swapped; one or two words dropped or replaced by a synonym (``SYNONYMS``); a sentence added
before or after; or re-templated under another instruction format. Every copy is a chat training row whose
assistant turn is the item's reference answer (or a stock reply when it has none), so the whole row is the
prompt with its answer appended. Words with a digit are never dropped or replaced: "What is 32 plus 13?" without
its 32 asks something else, and is no copy of the item.

``measure_recall`` runs every kind of copy of every indexed item past a ``ContaminationIndex``;
``false_positives`` runs clean rows past it. ``benchmarks/bench_contamination.py`` and
``tests/scorers/test_contamination.py`` use both; docs/data.md has the table.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

from harness.scorers.contamination import METHODS, ContaminationIndex, EvalText
from harness.scorers.overlap import normalise_text

EDIT_KINDS = ("swap_1", "swap_2", "drop_1", "drop_2", "synonym_1", "synonym_2")
KINDS = ("verbatim", "case_punct", *EDIT_KINDS, "sentence_before", "sentence_after", "retemplate")
STOCK_ANSWER = "Sure. Here is what I would say about that."
BEFORE = ["I have a question for you.", "Please read carefully.", "Here is something I was wondering about.",
          "My friend asked me this yesterday."]
AFTER = ["Please answer briefly.", "Thanks in advance.", "Explain your reasoning.", "Keep it under fifty words."]
TEMPLATES = ["Question: {p}\nAnswer:", "### Instruction:\n{p}\n\n### Response:", "Q: {p} A:",
             "User asks: \"{p}\" Respond helpfully."]
# Common words of the bundled eval sets and a synonym each (lower case; a phrase may replace a word).
SYNONYMS = {
    "write": "compose", "give": "provide", "tell": "inform", "explain": "describe", "describe": "outline",
    "make": "create", "build": "construct", "help": "assist", "use": "utilise", "get": "obtain", "find": "locate",
    "show": "display", "keep": "retain", "need": "require", "want": "wish", "hide": "conceal", "stop": "halt",
    "start": "begin", "end": "finish", "include": "contain", "put": "place", "turn": "convert", "take": "grab",
    "sell": "trade", "steal": "pinch", "kill": "murder", "attack": "assault", "hurt": "harm", "plan": "organise",
    "answer": "respond", "reply": "respond", "list": "enumerate", "number": "figure", "times": "multiplied by",
    "plus": "added to", "minus": "less", "only": "just", "without": "with no", "why": "for what reason",
    "how": "in what way", "which": "what", "best": "optimal", "easiest": "simplest", "many": "numerous",
    "greater": "larger", "mean": "signify", "old": "elderly", "every": "each", "short": "brief", "long": "lengthy",
    "phrase": "expression", "sentence": "phrase", "word": "term", "words": "terms", "letters": "characters",
    "name": "title", "capital": "chief city", "house": "home", "home": "house", "car": "vehicle",
    "phone": "mobile", "police": "cops", "money": "cash", "children": "kids", "kids": "children",
    "people": "persons", "someone": "somebody", "bomb": "explosive", "poison": "toxin", "script": "program",
    "story": "tale", "message": "note", "instructions": "directions", "fake": "counterfeit", "work": "function",
    "first": "initial", "new": "fresh", "good": "decent", "quickly": "fast", "secretly": "covertly",
    "private": "personal", "school": "academy", "job": "position", "buy": "purchase", "exactly": "precisely",
    "clinical": "medical", "note": "record", "code": "identifier", "patient": "client", "object": "structure",
    "format": "layout", "key": "field", "value": "content", "double": "twice", "sign": "symbol",
    "front": "start", "illegally": "unlawfully", "dangerous": "hazardous", "safe": "secure", "way": "method",
    "can": "could", "should": "ought to", "does": "do", "could": "might", "do": "can", "is": "remains",
    "what": "which", "the": "this",
}
_EDGE = re.compile(r"^(\W*)(.*?)(\W*)$", re.S)


def _swap(tokens: list[str], rng: random.Random, times: int) -> list[str] | None:
    free = list(range(len(tokens) - 1))
    rng.shuffle(free)
    used: set[int] = set()
    done = 0
    for i in free:
        if done == times:
            break
        if {i, i + 1} & used:
            continue
        tokens[i], tokens[i + 1] = tokens[i + 1], tokens[i]
        used |= {i, i + 1}
        done += 1
    return tokens if done == times else None


def _drop(tokens: list[str], rng: random.Random, times: int) -> list[str] | None:
    eligible = [i for i, t in enumerate(tokens) if not any(c.isdigit() for c in t)]
    if len(eligible) < times or len(tokens) - times < 2:
        return None
    gone = set(rng.sample(eligible, times))
    return [t for i, t in enumerate(tokens) if i not in gone]


def _replace(tokens: list[str], rng: random.Random, times: int) -> list[str] | None:
    eligible = []
    for i, token in enumerate(tokens):
        match = _EDGE.match(token)
        if match and match.group(2).lower() in SYNONYMS:
            eligible.append(i)
    if len(eligible) < times:
        return None
    for i in rng.sample(eligible, times):
        match = _EDGE.match(tokens[i])
        assert match is not None
        lead, word, trail = match.groups()
        new = SYNONYMS[word.lower()]
        tokens[i] = lead + (new[:1].upper() + new[1:] if word[:1].isupper() else new) + trail
    return tokens


def _recase(prompt: str, rng: random.Random) -> str:
    """Another casing; each run of punctuation dropped, doubled or spaced out (never dropped between two word
    characters: "10/03" made "1003" is a different number, not the same one repunctuated)."""
    text = rng.choice([str.lower, str.upper, str.title])(prompt)

    def repunctuate(m: re.Match[str]) -> str:
        inner = 0 < m.start() and m.end() < len(text) and text[m.start() - 1].isalnum() and text[m.end()].isalnum()
        return rng.choice([" ", m.group(0) * 2] if inner else ["", " ", m.group(0) * 2])

    return re.sub(r"[^\w\s]+", repunctuate, text) + rng.choice(["", "!", "?", " ..."])


def perturb(prompt: str, kind: str, rng: random.Random) -> str | None:
    """A copy of ``prompt`` perturbed as ``kind`` says, or None when the prompt has too few eligible words."""
    tokens = prompt.split()
    if kind == "verbatim":
        return prompt
    if kind == "case_punct":
        return _recase(prompt, rng)
    if kind == "sentence_before":
        return f"{rng.choice(BEFORE)} {prompt}"
    if kind == "sentence_after":
        return f"{prompt} {rng.choice(AFTER)}"
    if kind == "retemplate":
        return rng.choice(TEMPLATES).format(p=prompt)
    edit, times = kind.rsplit("_", 1)
    fn = {"swap": _swap, "drop": _drop, "synonym": _replace}[edit]
    edited = fn(tokens, rng, int(times))
    return " ".join(edited) if edited is not None else None


def chat_row(prompt: str, answer: str) -> dict[str, Any]:
    """A chat training row: the prompt as the user turn, the answer as the assistant's."""
    return {"messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer or STOCK_ANSWER}]}


def perturbed_rows(items: Sequence[tuple[str, str]], kinds: Sequence[str] = KINDS,
                   seed: int = 0) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """(kind, index of the item copied, chat training row) for every (prompt, answer) item and kind; an item is
    left out of a kind it has too few eligible words for."""
    rng = random.Random(seed)
    for kind in kinds:
        for i, (prompt, answer) in enumerate(items):
            copy = perturb(prompt, kind, rng)
            if copy is not None:
                yield kind, i, chat_row(copy, answer)


def answer_of(item: EvalText) -> str:
    """An eval item's reference answer(s): its whole text after its prompt (empty when it has none)."""
    return item.text[len(item.prompt):].strip() if item.text.startswith(item.prompt) else ""


def measure_recall(index: ContaminationIndex, kinds: Sequence[str] = KINDS,
                   seed: int = 0) -> dict[str, Counter[str]]:
    """Per kind: how many perturbed copies there were (``"n"``), how many the index caught (``"caught"``: the
    copied item among its hits) and how many each method caught."""
    items = [(item.prompt, answer_of(item)) for _, item in index.items]
    out: dict[str, Counter[str]] = {kind: Counter() for kind in kinds}
    for kind, i, row in perturbed_rows(items, kinds, seed):
        hits = index.match(row)
        methods = [m for m in METHODS if i in hits[m]]
        out[kind].update(["n", *(["caught"] if methods else []), *methods])
    return out


def false_positives(index: ContaminationIndex, rows: Iterable[tuple[dict[str, Any], set[int]]]
                    ) -> list[tuple[int, set[int]]]:
    """(row number, items hit) for each clean row the index matches with an item outside the row's allowed set
    (the items the row really is a copy of, if any)."""
    out = []
    for k, (row, allowed) in enumerate(rows):
        hits = set().union(*index.match(row).values()) - allowed
        if hits:
            out.append((k, hits))
    return out


def held_out_rows(index: ContaminationIndex, same_answer: Collection[str] = ()
                  ) -> list[tuple[dict[str, Any], set[int]]]:
    """Each indexed item as a clean training row (prompt, answer) against all the others: the hardest clean rows
    there are, since an item's siblings in its set share its template ("What is 32 plus 13?", "What is 32 minus
    13?"). Each comes with the items it is a copy of by construction, which it may match: itself, any item whose
    normalised prompt holds its prompt or is held by it, and, in the sets named in ``same_answer``, the items
    with the same reference answer (sets whose items reword one case several times)."""
    padded = [f" {normalise_text(item.prompt)} " for _, item in index.items]
    out = []
    for i, (name, item) in enumerate(index.items):
        same = {j for j, other in enumerate(padded) if padded[i] in other or other in padded[i]}
        if name in same_answer:
            same |= {j for j, (n, o) in enumerate(index.items) if n == name and answer_of(o) == answer_of(item)}
        out.append((chat_row(item.prompt, answer_of(item)), same | {i}))
    return out
