"""Assistant-only loss on real chat templates: the mask is exactly the assistant content plus its end-of-turn token,
token by token, and a marked template renders byte-identically to the original.

The templates are the exact public ones (tests/trainers/data/chat_templates.json names each upstream model); each is
paired with a small byte-level BPE tokenizer trained here with that family's special tokens.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.errors import HarnessError
from trainers import assistant_masker, insert_markers
from trainers.template import PROBE_CONVERSATIONS, end_tokens, prove_markers

TEMPLATES = json.loads((Path(__file__).parent / "data" / "chat_templates.json").read_text(encoding="utf-8"))
FAMILIES = sorted(k for k in TEMPLATES if not k.startswith("_"))

CONVERSATIONS = [
    [{"role": "user", "content": "Code for acute bronchitis?"}, {"role": "assistant", "content": "J20.9"}],
    [{"role": "system", "content": "Answer with a code."}, {"role": "user", "content": "Fever, unspecified?"},
     {"role": "assistant", "content": "R50.9"}],
    [{"role": "user", "content": "add 2 3"}, {"role": "assistant", "content": "5"},
     {"role": "user", "content": "and 4 4?"}, {"role": "assistant", "content": " 8, twice four \n"}],
    *PROBE_CONVERSATIONS[:4],
]


def family_tokenizer(spec: dict, template: str | None = None):
    """A small fast tokenizer with the family's special tokens and chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    corpus = [m["content"] for c in CONVERSATIONS for m in c] + ["system user assistant model"]
    backend.train_from_iterator(corpus, trainer=trainers.BpeTrainer(
        vocab_size=400, special_tokens=spec["special"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, bos_token=spec["bos"], eos_token=spec["eos"])
    tokenizer.chat_template = template or spec["template"]
    return tokenizer


def renders(tokenizer, messages) -> bool:
    try:
        tokenizer.apply_chat_template(messages, tokenize=False)
        return True
    except Exception:  # Gemma and Mistral refuse a system turn
        return False


def assert_mask_is_assistant_turns(tokenizer, masker, messages, end_of_turn: str) -> None:
    """Token by token: the 1s form one run per assistant turn, each decoding to its content + end-of-turn token."""
    encoded = masker.encode(messages)
    ids, mask = encoded["input_ids"], encoded["assistant_masks"]
    assert len(ids) == len(mask)
    assert tokenizer.decode(ids) == tokenizer.apply_chat_template(messages, tokenize=False), "lossless, as rendered"
    reference = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True)["input_ids"]
    assert ids == list(reference), "the same tokens trl would train on"
    runs, current = [], []
    for token, bit in zip(ids, mask, strict=True):
        if bit:
            current.append(token)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    answers = [m["content"] for m in messages if m["role"] == "assistant"]
    assert len(runs) == len(answers), (runs, answers)
    for run, content in zip(runs, answers, strict=True):
        assert tokenizer.decode(run) in (content + end_of_turn, content.strip() + end_of_turn)


@pytest.mark.parametrize("name", FAMILIES)
def test_assistant_mask_token_by_token(name):
    spec = TEMPLATES[name]
    tokenizer = family_tokenizer(spec)
    masker = assistant_masker(tokenizer, f"<{name} base>")
    checked = 0
    for messages in CONVERSATIONS:
        if renders(tokenizer, messages):
            assert_mask_is_assistant_turns(tokenizer, masker, messages, spec["end_of_turn"])
            checked += 1
    assert checked >= 4


@pytest.mark.parametrize(("name", "method"), [
    ("smollm2", "inserted markers"), ("qwen2_5", "inserted markers"), ("llama3_1", "inserted markers"),
    ("gemma", "inserted markers"), ("phi3", "inserted markers"), ("zephyr", "inserted markers"),
    ("mistral", "inserted markers"), ("llama3", "trl training template"),
])
def test_known_families_get_proven_markers(name, method):
    spec = TEMPLATES[name]
    masker = assistant_masker(family_tokenizer(spec), "base")
    assert (masker.method, masker.family) == (method, spec["family"])
    assert "{% generation %}" in masker.marked and masker.template == spec["template"]


@pytest.mark.parametrize("name", FAMILIES)
def test_marked_template_renders_byte_identically(name):
    tokenizer = family_tokenizer(TEMPLATES[name])
    marked = assistant_masker(tokenizer, "base").marked
    for messages in CONVERSATIONS + [c[:-1] for c in CONVERSATIONS]:
        for prompt in (False, True):
            if renders(tokenizer, messages):
                original = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=prompt)
                same = tokenizer.apply_chat_template(messages, chat_template=marked, tokenize=False,
                                                     add_generation_prompt=prompt)
                assert same == original


def test_insertion_marks_content_and_end_of_turn_only():
    spec = TEMPLATES["gemma"]
    marked = insert_markers(spec["template"], end_tokens(family_tokenizer(spec)))
    assert "{% generation %}{{ message['content'] | trim + '<end_of_turn>' }}{% endgeneration %}{{ '\n' }}" in marked


def test_a_wrongly_placed_marker_is_not_proven():
    spec = TEMPLATES["smollm2"]
    tokenizer = family_tokenizer(spec)
    marked = insert_markers(spec["template"], end_tokens(tokenizer))
    too_much = marked.replace("{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{ '\n' }}",
                              "{% generation %}{{ message['content'] + '<|im_end|>' }}{{ '\n' }}{% endgeneration %}")
    assert too_much != marked
    assert "plus one end-of-turn token" in prove_markers(tokenizer, spec["template"], too_much)


def test_template_markers_of_the_tiny_base_are_used_as_they_are(tiny_base):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_base)
    masker = assistant_masker(tokenizer, str(tiny_base))
    assert masker.label == "template markers (chatml)" and masker.marked == tokenizer.chat_template
    assert_mask_is_assistant_turns(tokenizer, masker, CONVERSATIONS[2], "<|im_end|>")


SET_THEN_EMIT = ("{% for m in messages %}"
                 "{% set turn = '<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>\n' %}"
                 "{{ turn }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")


def test_prefix_diff_covers_a_template_markers_cannot_be_inserted_into():
    spec = TEMPLATES["smollm2"]
    tokenizer = family_tokenizer(spec, SET_THEN_EMIT)
    assert insert_markers(SET_THEN_EMIT, end_tokens(tokenizer)) is None
    masker = assistant_masker(tokenizer, "base")
    assert (masker.method, masker.marked) == ("prefix diff", None)
    for messages in CONVERSATIONS:
        assert_mask_is_assistant_turns(tokenizer, masker, messages, "<|im_end|>")


def test_a_template_without_turn_ends_fails_naming_the_model_dir():
    plain = ("{% for m in messages %}{{ m['role'] + ': ' + m['content'] + '\n' }}{% endfor %}"
             "{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}")
    tokenizer = family_tokenizer(TEMPLATES["smollm2"], plain)
    with pytest.raises(HarnessError, match=r"models/plain: cannot find the assistant turns.*\{% generation %\}"):
        assistant_masker(tokenizer, "models/plain")


@pytest.mark.realmodel
def test_smollm2_real_template_mask(smollm2):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(smollm2)
    assert tokenizer.chat_template == TEMPLATES["smollm2"]["template"], "the fixture data is the model's template"
    masker = assistant_masker(tokenizer, str(smollm2))
    assert masker.label == "inserted markers (chatml)"
    for messages in CONVERSATIONS:
        assert_mask_is_assistant_turns(tokenizer, masker, messages, "<|im_end|>")


QUESTIONS = [("What is the capital of France?", "Paris."), ("Translate 'cat' to Spanish.", "Gato."),
             ("What is 3 + 5?", "8."), ("Name a primary colour.", "Red."), ("What is the opposite of hot?", "Cold."),
             ("Spell 'dog' backwards.", "God."), ("How many legs does a spider have?", "Eight."),
             ("What is H2O?", "Water."), ("Which planet is red?", "Mars."), ("What is 10 minus 4?", "6."),
             ("Say hello in French.", "Bonjour."), ("What colour is the sky?", "Blue.")]


@pytest.mark.realmodel
def test_short_lora_on_smollm2_real_template(smollm2, tmp_path):
    """Five LoRA steps on SmolLM2's own template (no markers): the mask is the answers, the adapter moved, and the
    candidate ships the original template. About 15 s on two cores."""
    from safetensors.torch import load_file
    from transformers import AutoTokenizer

    from harness.engine import template_sha256
    from harness.jsonl import write_jsonl
    from harness.manifest import load_manifest
    from trainers import TrainConfig, train

    rows = [{"id": f"q{i}", "messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}
            for i, (q, a) in enumerate(QUESTIONS)]
    write_jsonl(tmp_path / "train.jsonl", rows[:10])
    write_jsonl(tmp_path / "val.jsonl", rows[10:])
    tokenizer = AutoTokenizer.from_pretrained(smollm2)
    masker = assistant_masker(tokenizer, str(smollm2))
    for row in rows:
        assert_mask_is_assistant_turns(tokenizer, masker, row["messages"], "<|im_end|>")

    out = train(TrainConfig(base=str(smollm2), train=str(tmp_path / "train.jsonl"), val=str(tmp_path / "val.jsonl"),
                            out=str(tmp_path / "cand"), packing=False, batch_size=2, epochs=1, warmup_ratio=0.0,
                            learning_rate=1e-3, r=8, quiet=True, early_stopping_patience=None))

    manifest = load_manifest(out)
    training = manifest.training
    assert (training.optimizer_steps, training.loss_mask) == (5, "inserted markers (chatml)")
    assert training.loss_tokens == sum(sum(masker.encode(r["messages"])["assistant_masks"]) for r in rows[:10])
    lora_b = [w for name, w in load_file(out / "adapter" / "adapter_model.safetensors").items() if "lora_B" in name]
    assert lora_b and all(bool(w.any()) for w in lora_b), "every adapted layer moved"
    shipped = AutoTokenizer.from_pretrained(out / "tokenizer")
    assert shipped.chat_template == tokenizer.chat_template, "the original template, not the marked one"
    assert manifest.chat_template_sha256 == template_sha256(tokenizer)


def test_a_row_the_template_refuses_is_an_error_naming_the_row():
    from trainers.template import encode_rows

    tokenizer = family_tokenizer(TEMPLATES["gemma"])
    masker = assistant_masker(tokenizer, "base")
    rows = [{"id": "ok", "messages": CONVERSATIONS[0]}, {"id": "sys", "messages": CONVERSATIONS[1]}]
    with pytest.raises(HarnessError, match=r"training data, id 'sys': .*cannot render it: .*System role not supported"):
        encode_rows(masker, rows, 512, "training")
