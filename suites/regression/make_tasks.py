"""Regenerates the regression tasks' JSONL from the hand-written tables below (see suites/DATA.md)."""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).parent

# A small bundled fact table (country, capital) — common knowledge, written for tunegate.
CAPITALS = [
    ("France", "Paris"), ("Germany", "Berlin"), ("Italy", "Rome"), ("Spain", "Madrid"), ("Portugal", "Lisbon"),
    ("Japan", "Tokyo"), ("China", "Beijing"), ("India", "New Delhi"), ("Canada", "Ottawa"), ("Australia", "Canberra"),
    ("Brazil", "Brasilia"), ("Argentina", "Buenos Aires"), ("Egypt", "Cairo"), ("Kenya", "Nairobi"),
    ("Norway", "Oslo"), ("Sweden", "Stockholm"), ("Finland", "Helsinki"), ("Poland", "Warsaw"),
    ("Greece", "Athens"), ("Ireland", "Dublin"), ("Mexico", "Mexico City"), ("Peru", "Lima"),
    ("Russia", "Moscow"), ("Turkey", "Ankara"), ("South Korea", "Seoul"),
]
WORDS = ["stone", "river", "apple", "cloud", "tiger", "piano", "lemon", "chair", "bread", "light", "grape", "ocean",
         "music", "table", "plant", "zebra", "candle", "garden", "pencil", "window"]


def arithmetic(rng: random.Random) -> list[dict]:
    rows = []
    for i in range(250):
        a, b = rng.randint(2, 49), rng.randint(2, 49)
        op = ["plus", "minus", "times"][i % 3]
        value = a + b if op == "plus" else a - b if op == "minus" else a * b
        wrong = {value + 1, value - 1, value + 10, value - 10, value + 2}
        wrong.discard(value)
        choices = [str(value), *[str(w) for w in sorted(wrong)[:3]]]
        rng.shuffle(choices)
        rows.append({"id": f"arith-{i:03d}", "question": f"What is {a} {op} {b}?", "choices": choices,
                     "label": choices.index(str(value))})
    return rows


def facts(rng: random.Random) -> list[dict]:
    rows = []
    capitals = [c for _, c in CAPITALS]
    for i, (country, capital) in enumerate(CAPITALS):
        others = rng.sample([c for c in capitals if c != capital], 3)
        choices = [capital, *others]
        rng.shuffle(choices)
        rows.append({"id": f"fact-{i:02d}", "question": f"What is the capital of {country}?", "choices": choices,
                     "label": choices.index(capital)})
    return rows


def strings() -> list[dict]:
    rows = []
    for i, word in enumerate(WORDS):
        kind = i % 3
        if kind == 0:
            rows.append({"id": f"str-{i:02d}", "question": f"Reverse the letters of the word '{word}'.",
                         "answer": word[::-1]})
        elif kind == 1:
            rows.append({"id": f"str-{i:02d}", "question": f"Write the word '{word}' in capital letters.",
                         "answer": word.upper()})
        else:
            rows.append({"id": f"str-{i:02d}", "question": f"How many letters are in the word '{word}'?",
                         "answer": str(len(word))})
    for i, (a, b) in enumerate([("sun", "flower"), ("rain", "bow"), ("foot", "ball"), ("note", "book"),
                                ("tooth", "brush"), ("fire", "fly"), ("star", "fish"), ("snow", "man"),
                                ("pan", "cake"), ("sea", "shell")], start=len(WORDS)):
        rows.append({"id": f"str-{i:02d}", "question": f"Join '{a}' and '{b}' into one word.", "answer": a + b})
    return rows


def formats(rng: random.Random) -> list[dict]:
    rows = []
    for i in range(120):
        n = rng.randint(1, 99)
        kind = i % 4
        if kind == 0:
            q, a = f"Write the number {n} as a JSON list with one element.", f"[{n}]"
        elif kind == 1:
            q, a = f"Write the key 'n' with value {n} as a JSON object.", json.dumps({"n": n})
        elif kind == 2:
            q, a = f"Put the number {n} in parentheses.", f"({n})"
        else:
            q, a = f"Write the number {n} with a dollar sign in front.", f"${n}"
        rows.append({"id": f"fmt-{i:03d}", "question": q, "answer": a})
    return rows


def _write(name: str, rows: list[dict]) -> None:
    (HERE / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def main() -> None:
    rng = random.Random(2024)
    _write("arithmetic", arithmetic(rng))
    _write("facts", facts(rng))
    _write("strings", strings())
    _write("formats", formats(rng))


if __name__ == "__main__":
    main()
