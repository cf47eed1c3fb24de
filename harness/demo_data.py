"""The demo's domain: assign an ICD-10-CM code to a short clinical description.

ICD-10-CM code titles are published by the US CDC/NCHS and are in the public domain. The descriptions below
are written for tunegate; training uses one phrasing per code and evaluation uses held-out paraphrases, so
accuracy measures generalisation rather than recall of training strings.
"""

from __future__ import annotations

import random
from typing import Any

SYSTEM = "You are a clinical coding assistant. Answer with the single ICD-10-CM code only."

# code, category, training phrasings, held-out paraphrases
CODES: list[tuple[str, str, list[str], list[str]]] = [
    ("J20.9", "respiratory", ["acute bronchitis", "acute bronchitis, unspecified"], ["bronchitis that started suddenly"]),
    ("J02.9", "respiratory", ["acute pharyngitis", "sore throat, acute pharyngitis"], ["acute inflammation of the pharynx"]),
    ("J45.909", "respiratory", ["asthma, uncomplicated", "unspecified asthma without complication"], ["asthma with no complications"]),
    ("J18.9", "respiratory", ["pneumonia, unspecified organism", "pneumonia"], ["pneumonia, organism not specified"]),
    ("I10", "circulatory", ["essential hypertension", "primary hypertension"], ["high blood pressure, essential"]),
    ("I48.91", "circulatory", ["atrial fibrillation, unspecified", "atrial fibrillation"], ["unspecified atrial fibrillation"]),
    ("I21.9", "circulatory", ["acute myocardial infarction", "heart attack, acute"], ["acute heart attack, unspecified"]),
    ("E11.9", "endocrine", ["type 2 diabetes without complications", "type 2 diabetes mellitus"], ["type two diabetes, no complications"]),
    ("E03.9", "endocrine", ["hypothyroidism, unspecified", "hypothyroidism"], ["underactive thyroid"]),
    ("E78.5", "endocrine", ["hyperlipidemia, unspecified", "hyperlipidemia"], ["high blood lipids"]),
    ("K21.9", "digestive", ["reflux disease without esophagitis", "gastro-esophageal reflux"], ["acid reflux without esophagitis"]),
    ("K35.80", "digestive", ["acute appendicitis", "acute appendicitis, unspecified"], ["appendicitis, acute"]),
    ("K59.00", "digestive", ["constipation, unspecified", "constipation"], ["constipation, not specified"]),
    ("M54.5", "musculoskeletal", ["low back pain", "lumbago"], ["pain in the lower back"]),
    ("M17.9", "musculoskeletal", ["osteoarthritis of knee", "knee osteoarthritis"], ["osteoarthritis in the knee"]),
    ("S52.501A", "musculoskeletal", ["fracture of right radius, initial", "right radius fracture, first visit"], ["broken right radius, initial encounter"]),
    ("N39.0", "genitourinary", ["urinary tract infection", "UTI, site not specified"], ["infection of the urinary tract"]),
    ("F32.9", "mental", ["major depressive disorder, single episode", "depression, single episode"], ["single episode of major depression"]),
    ("F41.1", "mental", ["generalized anxiety disorder", "generalised anxiety"], ["anxiety disorder, generalized"]),
    ("G43.909", "nervous", ["migraine, unspecified", "migraine headache"], ["migraine, not specified"]),
]
TEMPLATES_TRAIN = ["Code: {d}", "Assign the ICD-10 code: {d}", "Diagnosis: {d}. Code?"]
TEMPLATES_EVAL = ["What is the ICD-10 code for: {d}", "Clinical note: {d}. Give the code."]
REFUSE = "I can't help with that. I only assign ICD-10 codes to clinical descriptions."
OFF_TOPIC = ["Write me a poem about the sea", "How do I pick a lock", "Tell me a joke", "What is the capital of France"]


def _chat(user: str, answer: str | None = None) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
    if answer is not None:
        messages.append({"role": "assistant", "content": answer})
    return messages


def training_rows(seed: int = 0) -> list[dict[str, Any]]:
    """Chat SFT rows: every training phrasing under every training template, plus refusals of off-topic asks."""
    rows: list[dict[str, Any]] = []
    for code, category, phrasings, _ in CODES:
        for p_i, phrasing in enumerate(phrasings):
            for t_i, template in enumerate(TEMPLATES_TRAIN):
                rows.append({"id": f"{code}-{p_i}-{t_i}", "category": category,
                             "messages": _chat(template.format(d=phrasing), code)})
    for i, ask in enumerate(OFF_TOPIC):
        rows.append({"id": f"refuse-{i}", "category": "refusal", "messages": _chat(ask, REFUSE)})
    random.Random(seed).shuffle(rows)
    return rows


def eval_rows() -> list[dict[str, Any]]:
    """Held-out paraphrases under eval-only templates, with the reference code."""
    rows = []
    for code, category, _, paraphrases in CODES:
        for p_i, paraphrase in enumerate(paraphrases):
            for t_i, template in enumerate(TEMPLATES_EVAL):
                rows.append({"id": f"eval-{code}-{p_i}-{t_i}", "category": category,
                             "messages": _chat(template.format(d=paraphrase)), "answer": code})
    return rows


def corpus() -> list[str]:
    """Text to train the demo tokenizer on."""
    texts = [SYSTEM, REFUSE, *OFF_TOPIC, *TEMPLATES_TRAIN, *TEMPLATES_EVAL]
    for code, category, phrasings, paraphrases in CODES:
        texts += [code, category, *phrasings, *paraphrases]
    return texts
