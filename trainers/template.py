"""Assistant-only loss on real chat templates, which do not carry ``{% generation %}`` markers.

The loss covers each assistant turn's content and the end-of-turn token that closes it (``<|im_end|>``,
``<|eot_id|>``, ``<end_of_turn>``, ``<|end|>``, ``</s>``): the model must learn to stop. The header that opens the
turn and the separator after the end-of-turn token (ChatML's newline) are not trained: the prompt supplies the one
and generation stops before the other.

Where the assistant turns are comes from the first of these that proves itself on a set of probe conversations
(system prompt or not, one and two turns, ``add_generation_prompt`` both ways):

1. the template's own markers;
2. markers inserted into the template: every ``{{ header + content + end_of_turn + separator }}`` expression is split
   so that an assistant message emits ``content + end_of_turn`` inside ``{% generation %}``; structural, so it
   covers ChatML (SmolLM2, Qwen), Llama 3.1/3.2, Gemma, Mistral, Zephyr and Phi-3 and their variants;
3. trl's hand-marked training template, for the templates trl knows byte for byte (Llama 3.0 among them);
4. prefix diff, for any other template: the rendering of a conversation up to an assistant turn with the generation
   prompt is a prefix of the full rendering, and the turn is what follows it up to the end-of-turn token.

A marked template is used only if it renders every probe byte-identically to the original and its marked spans are
exactly the assistant contents plus one end-of-turn token; every training row is then checked the same way. The
marked template is a training-time tool only: the candidate ships the base model's original template, whose sha256
the manifest records.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.errors import HarnessError

# Private-use characters standing in for {% generation %} / {% endgeneration %} in a "visible" copy of a marked
# template: rendering it shows where the marked spans are, and removing them must give the original rendering.
OPEN, CLOSE = "\ue000", "\ue001"
_GENERATION_TAG = re.compile(r"\{%(-?)\s*(end)?generation\s*(-?)%\}")
_EXPRESSION = re.compile(r"\{\{(-?)(.*?)(-?)\}\}", re.S)
_CONTENT_TERM = re.compile(
    r"^(?P<var>[A-Za-z_]\w*)(?:\[\s*(?P<q>['\"])content(?P=q)\s*\]|\.content)"
    r"(?:\s*\|\s*\w+|\s*\.\s*\w+\(\s*\))*$"
)

# Families by the strings their templates carry; the order matters (Phi-3 before Zephyr). Names only: marker
# insertion is structural and every template, known or not, must pass the same proof.
FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("chatml", ("<|im_start|>",)),
    ("llama3", ("<|start_header_id|>",)),
    ("gemma", ("<start_of_turn>",)),
    ("phi3", ("<|assistant|>", "<|end|>")),
    ("zephyr", ("<|assistant|>",)),
    ("mistral", ("[INST]",)),
)

_SYSTEM = {"role": "system", "content": "You answer in one short line."}
_USER_1 = {"role": "user", "content": "What is 2 + 2?"}
_ANSWER_1 = {"role": "assistant", "content": "4, of course."}
_USER_2 = {"role": "user", "content": "And doubled?\nShow the sum."}
_ANSWER_2 = {"role": "assistant", "content": "8: 4 + 4 = 8."}
PROBE_CONVERSATIONS: tuple[list[dict[str, str]], ...] = (
    [_USER_1, _ANSWER_1],
    [_SYSTEM, _USER_1, _ANSWER_1],
    [_USER_1, _ANSWER_1, _USER_2, _ANSWER_2],
    [_SYSTEM, _USER_1, _ANSWER_1, _USER_2, _ANSWER_2],
    [_USER_1],
    [_SYSTEM, _USER_1],
    [_USER_1, _ANSWER_1, _USER_2],
)


class MaskError(ValueError):
    """A conversation whose assistant turns cannot be located (with the reason)."""


def family(template: str) -> str:
    """The template family's name (``chatml``, ``llama3``, ...), or ``other``."""
    for name, signature in FAMILIES:
        if all(s in template for s in signature):
            return name
    return "other"


def has_markers(template: str) -> bool:
    """True when the template carries ``{% generation %}`` markers (any whitespace-control variant)."""
    return _GENERATION_TAG.search(template) is not None


def end_tokens(tokenizer: Any) -> frozenset[str]:
    """Strings that may close an assistant turn: the tokenizer's added (special) tokens and its eos token."""
    found = {t for t in tokenizer.get_added_vocab() if t}
    if tokenizer.eos_token:
        found.add(tokenizer.eos_token)
    return frozenset(found)


def insert_markers(template: str, ends: frozenset[str]) -> str | None:
    """The template with ``{% generation %}`` around each assistant message's content and end-of-turn token.

    Each ``{{ ... }}`` expression that concatenates ``<var>['content']`` (or ``<var>.content``, filters allowed) with
    a following end-of-turn token (``eos_token``, or a string literal starting with one of ``ends``) becomes an
    ``{% if <var>['role'] == 'assistant' %}`` choice between the split, marked form and the original expression.
    Returns None when no expression has that shape. The result must still be proved (``prove_markers``).
    """
    rewritten = 0

    def rewrite(match: re.Match[str]) -> str:
        nonlocal rewritten
        lead, inner, trail = match.group(1), match.group(2), match.group(3)
        terms = _split_plus(inner) or []
        at = next((i for i, t in enumerate(terms) if _CONTENT_TERM.match(t)), None)
        if at is None or at + 1 >= len(terms):
            return match.group(0)
        end = _split_end(terms[at + 1], ends)
        if end is None:
            return match.group(0)
        var = _CONTENT_TERM.match(terms[at]).group("var")  # type: ignore[union-attr]
        head, body, tail = terms[:at], f"{terms[at]} + {end[0]}", [t for t in (end[1], *terms[at + 2:]) if t]
        marked = f"{{{{ {' + '.join(head)} }}}}" if head else ""
        marked += f"{{% generation %}}{{{{ {body} }}}}{{% endgeneration %}}"
        marked += f"{{{{ {' + '.join(tail)} }}}}" if tail else ""
        rewritten += 1
        # The empty expressions keep the original's whitespace control and shield the block tags from the
        # environment's trim_blocks / lstrip_blocks, so the rendering around the expression does not change.
        return (f"{{{{{lead} '' }}}}{{% if {var}['role'] == 'assistant' %}}{marked}"
                f"{{% else %}}{{{{ {inner.strip()} }}}}{{% endif %}}{{{{ '' {trail}}}}}")

    result = _EXPRESSION.sub(rewrite, template)
    return result if rewritten else None


def _split_plus(expression: str) -> list[str] | None:
    """Top-level ``+`` operands of a Jinja expression (outside strings and brackets); None if unbalanced."""
    terms, depth, quote, start, i = [], 0, "", 0, 0
    while i < len(expression):
        ch = expression[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "+" and depth == 0:
            terms.append(expression[start:i].strip())
            start = i + 1
        i += 1
    if quote or depth:
        return None
    terms.append(expression[start:].strip())
    return terms


def _split_end(term: str, ends: frozenset[str]) -> tuple[str, str] | None:
    """(end-of-turn operand, rest of the operand) when ``term`` starts with an end-of-turn token, else None."""
    if term == "eos_token":
        return term, ""
    literal = re.fullmatch(r"(['\"])(.*)\1", term, re.S)
    if not literal:
        return None
    quote, text = literal.group(1), literal.group(2)
    token = max((t for t in ends if text.startswith(t) and quote not in t and "\\" not in t), key=len, default=None)
    if token is None:
        return None
    rest = text[len(token):]
    return f"{quote}{token}{quote}", (f"{quote}{rest}{quote}" if rest else "")


def visible(marked: str) -> str:
    """A marked template whose generation blocks print OPEN and CLOSE (block tags kept, so whitespace is kept)."""

    def swap(match: re.Match[str]) -> str:
        lead, end, trail = match.groups()
        return f"{{%{lead} if true %}}{{{{ '{CLOSE if end else OPEN}' }}}}{{% endif {trail}%}}"

    return _GENERATION_TAG.sub(swap, marked)


def render(tokenizer: Any, messages: list[dict[str, str]], template: str, generation_prompt: bool = False) -> str:
    """The template's rendering of a conversation, through the tokenizer's own Jinja environment."""
    return str(tokenizer.apply_chat_template(messages, chat_template=template, tokenize=False,
                                             add_generation_prompt=generation_prompt))


def _render_or_error(tokenizer: Any, messages: list[dict[str, str]], template: str, prompt: bool) -> str | Exception:
    try:
        return render(tokenizer, messages, template, prompt)
    except Exception as exc:  # a template's raise_exception (e.g. no system role) is a TemplateError
        return exc


def unmark(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Text without the OPEN/CLOSE sentinels, and the character spans they enclosed."""
    plain: list[str] = []
    spans: list[tuple[int, int]] = []
    length, start = 0, None
    for piece in re.split(f"([{OPEN}{CLOSE}])", text):
        if piece == OPEN:
            if start is not None:
                raise MaskError("nested {% generation %} blocks")
            start = length
        elif piece == CLOSE:
            if start is None:
                raise MaskError("{% endgeneration %} without {% generation %}")
            spans.append((start, length))
            start = None
        else:
            plain.append(piece)
            length += len(piece)
    if start is not None:
        raise MaskError("{% generation %} block never closed")
    return "".join(plain), spans


def check_spans(text: str, spans: list[tuple[int, int]], messages: list[dict[str, str]], ends: frozenset[str]) -> None:
    """Raise MaskError unless the spans are exactly the assistant turns' contents, each plus one end-of-turn token."""
    answers = [m["content"] for m in messages if m["role"] == "assistant"]
    if len(spans) != len(answers):
        raise MaskError(f"{len(spans)} marked span(s) for {len(answers)} assistant turn(s)")
    for (start, stop), content in zip(spans, answers, strict=True):
        piece = text[start:stop]
        if not any(piece.startswith(body) and piece[len(body):] in ends for body in (content, content.strip())):
            raise MaskError(f"marked span {piece!r} is not the assistant content {content!r} plus one end-of-turn "
                            "token")


def prefix_spans(tokenizer: Any, messages: list[dict[str, str]], template: str,
                 ends: frozenset[str]) -> tuple[str, list[tuple[int, int]]]:
    """The rendering and its assistant spans found by prefix diff (see the module docstring)."""
    text = render(tokenizer, messages, template)
    spans: list[tuple[int, int]] = []
    for k, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        head = render(tokenizer, messages[:k], template, generation_prompt=True)
        if not text.startswith(head):
            raise MaskError(f"the rendering up to assistant turn {k} (with the generation prompt) is not a prefix "
                            "of the whole conversation's rendering")
        rest = text[len(head):]
        for body in dict.fromkeys((message["content"], message["content"].strip())):
            if rest.startswith(body):
                end = max((t for t in ends if rest.startswith(t, len(body))), key=len, default=None)
                if end is not None:
                    spans.append((len(head), len(head) + len(body) + len(end)))
                    break
        else:
            raise MaskError(f"assistant turn {k}: the rendering after the generation prompt is not its content "
                            f"followed by an end-of-turn token: {rest[:80]!r}")
    return text, spans


@dataclass(frozen=True)
class AssistantMasker:
    """Renders and tokenizes conversations with a mask that is 1 on assistant content and end-of-turn tokens.

    ``template`` is the tokenizer's original chat template (what is rendered and shipped); ``marked`` the proven
    marked template whose generation blocks give the spans, or None for the prefix-diff method.
    """

    tokenizer: Any
    template: str
    marked: str | None
    method: str
    family: str

    @property
    def label(self) -> str:
        """How the mask is found, for the manifest: e.g. ``inserted markers (chatml)``."""
        return f"{self.method} ({self.family})"

    def spans(self, messages: list[dict[str, str]]) -> tuple[str, list[tuple[int, int]]]:
        """The original template's rendering and the character spans of the assistant turns; MaskError if unsure."""
        ends = end_tokens(self.tokenizer)
        if self.marked is None:
            return prefix_spans(self.tokenizer, messages, self.template, ends)
        text, spans = unmark(render(self.tokenizer, messages, visible(self.marked)))
        if text != render(self.tokenizer, messages, self.template):
            raise MaskError("the marked template renders this conversation differently from the original")
        check_spans(text, spans, messages, ends)
        return text, spans

    def encode(self, messages: list[dict[str, str]], max_length: int | None = None) -> dict[str, list[int]]:
        """``input_ids`` and ``assistant_masks`` of one conversation, cut to ``max_length`` tokens (keep the start)."""
        text, spans = self.spans(messages)
        encoded = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        ids = list(encoded["input_ids"])
        mask = [int(any(a < stop and b > start for start, stop in spans)) for a, b in encoded["offset_mapping"]]
        if max_length is not None:
            ids, mask = ids[:max_length], mask[:max_length]
        return {"input_ids": ids, "assistant_masks": mask}


def prove_markers(tokenizer: Any, template: str, marked: str) -> str | None:
    """None when ``marked`` renders every probe byte-identically to ``template`` with exactly the assistant spans
    marked; else the first reason it does not."""
    ends = end_tokens(tokenizer)
    shown = visible(marked)
    conversations = 0
    for messages in PROBE_CONVERSATIONS:
        for prompt in (False, True):
            original = _render_or_error(tokenizer, messages, template, prompt)
            outputs = [_render_or_error(tokenizer, messages, t, prompt) for t in (marked, shown)]
            if isinstance(original, Exception):
                if not all(isinstance(o, Exception) for o in outputs):
                    return "the marked template renders a conversation the original refuses"
                continue
            if any(isinstance(o, Exception) for o in outputs):
                return f"the marked template fails where the original renders: {outputs}"
            try:
                text, spans = unmark(str(outputs[1]))
                if outputs[0] != original or text != original:
                    return "the marked template's rendering differs from the original's"
                check_spans(text, spans, messages, ends)
            except MaskError as exc:
                return str(exc)
            conversations += messages[-1]["role"] == "assistant"
    return None if conversations else "no probe conversation renders"


def prove_prefix_diff(tokenizer: Any, template: str) -> str | None:
    """None when prefix diff finds the assistant spans of every probe conversation the template renders."""
    ends = end_tokens(tokenizer)
    found = 0
    for messages in PROBE_CONVERSATIONS:
        if messages[-1]["role"] != "assistant" or isinstance(_render_or_error(tokenizer, messages, template, False),
                                                              Exception):
            continue
        try:
            text, spans = prefix_spans(tokenizer, messages, template, ends)
            check_spans(text, spans, messages, ends)
        except MaskError as exc:
            return str(exc)
        except Exception as exc:  # the template refuses a prefix it should render (e.g. an empty conversation)
            return f"rendering a prefix failed: {exc}"
        found += 1
    return None if found else "no probe conversation renders"


def _trl_template(tokenizer: Any) -> str | None:
    try:
        from trl.chat_template_utils import get_training_chat_template

        return get_training_chat_template(tokenizer)
    except (ImportError, ValueError):
        return None


def assistant_masker(tokenizer: Any, base: str) -> AssistantMasker:
    """The first way of finding assistant turns that proves itself on this tokenizer's template (module docstring).

    Raises:
        HarnessError: naming ``base`` and what to do, when the template has none of the supported shapes.
    """
    template = tokenizer.chat_template
    if isinstance(template, dict):  # named templates: the default one renders conversations
        template = template.get("default")
    if not template:
        raise HarnessError(f"{base}: tokenizer has no chat template; save the production template with the base model")
    name = family(template)
    reasons: list[str] = []
    marks = has_markers(template)
    candidates: list[tuple[str, Callable[[], str | None]]] = [
        ("template markers", lambda: template if marks else None),
        ("inserted markers", lambda: insert_markers(template, end_tokens(tokenizer))),
        ("trl training template", lambda: None if marks else _trl_template(tokenizer)),  # imports trl: last
    ]
    for method, make in candidates:
        marked = make()
        if marked is None:
            continue
        reason = prove_markers(tokenizer, template, marked)
        if reason is None:
            return AssistantMasker(tokenizer, template, marked, method, name)
        reasons.append(f"{method}: {reason}")
    reason = prove_prefix_diff(tokenizer, template)
    if reason is None:
        return AssistantMasker(tokenizer, template, None, "prefix diff", name)
    reasons.append(f"prefix diff: {reason}")
    raise HarnessError(
        f"{base}: cannot find the assistant turns in its chat template ({name} family), so assistant-only loss is "
        f"impossible ({'; '.join(reasons)}). Put {{% generation %}}...{{% endgeneration %}} around each assistant "
        "message's content and its end-of-turn token in the template (chat_template.jinja or tokenizer_config.json "
        "of the base model directory); the rendering must stay byte-identical"
    )


def encode_rows(masker: AssistantMasker, rows: list[dict[str, Any]], max_length: int,
                split: str) -> list[dict[str, Any]]:
    """Every row's ``input_ids`` and ``assistant_masks``; a row whose turns cannot be located is an error naming it."""
    encoded = []
    for i, row in enumerate(rows, start=1):
        which = f"id {row['id']!r}" if "id" in row else f"row {i}"
        try:
            encoded.append(masker.encode(row["messages"], max_length))
        except MaskError as exc:
            raise HarnessError(f"{split} data, {which}: cannot mask its assistant turns ({masker.label}): {exc}; "
                               "the template may treat this conversation differently from the probes") from None
        except Exception as exc:  # the template's own raise_exception, e.g. Gemma's "System role not supported"
            raise HarnessError(f"{split} data, {which}: the base model's chat template cannot render it: "
                               f"{type(exc).__name__}: {exc}") from None
    return encoded
