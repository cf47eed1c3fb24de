"""Regenerates ifeval.jsonl, the instruction-following task tg_ifeval, from the hand-written prompts below.

Each prompt is an everyday request plus one to three verifiable instructions in the IFEval style (Zhou et al. 2023),
written for tunegate (no text taken from google/IFEval). The rows use IFEval's document schema (``key``,
``prompt``, ``instruction_id_list``, ``kwargs``), so lm-eval's own verifiers score them (``tg_ifeval.py``).

Only verifiers that need no nltk data are used (``ALLOWED``): sentence counting needs punkt and capital-word
counting punkt_tab, which would have to be downloaded. Every prompt carries at least one instruction that an
empty, junk or off-topic answer fails (``tests/suites/test_ifeval_task.py`` checks), so a collapsed model cannot
pass a prompt on "no commas" or "under 40 words" alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent

# The lm-eval instruction ids this task uses, none of which loads nltk data.
ALLOWED = (
    "keywords:existence", "keywords:forbidden_words", "keywords:frequency",
    "length_constraints:number_words",
    "detectable_format:number_bullet_lists", "detectable_format:json_format", "detectable_format:title",
    "detectable_format:number_highlighted_sections", "detectable_format:constrained_response",
    "detectable_format:multiple_sections",
    "detectable_content:postscript", "detectable_content:number_placeholders",
    "startend:end_checker", "startend:quotation",
    "change_case:english_lowercase", "change_case:english_capital",
    "punctuation:no_comma",
    "combination:repeat_prompt", "combination:two_responses",
)

Check = tuple[str, dict[str, Any]]


def bullets(n: int) -> Check:
    return "detectable_format:number_bullet_lists", {"num_bullets": n}


def keywords(*words: str) -> Check:
    return "keywords:existence", {"keywords": list(words)}


def forbidden(*words: str) -> Check:
    return "keywords:forbidden_words", {"forbidden_words": list(words)}


def frequency(word: str, n: int, relation: str = "at least") -> Check:
    return "keywords:frequency", {"keyword": word, "frequency": n, "relation": relation}


def words(n: int, relation: str) -> Check:
    return "length_constraints:number_words", {"num_words": n, "relation": relation}


def highlights(n: int) -> Check:
    return "detectable_format:number_highlighted_sections", {"num_highlights": n}


def sections(n: int) -> Check:
    return "detectable_format:multiple_sections", {"section_spliter": "Section", "num_sections": n}


def postscript(marker: str) -> Check:
    return "detectable_content:postscript", {"postscript_marker": marker}


def placeholders(n: int) -> Check:
    return "detectable_content:number_placeholders", {"num_placeholders": n}


def ending(phrase: str) -> Check:
    return "startend:end_checker", {"end_phrase": phrase}


def repeat(request: str) -> Check:
    return "combination:repeat_prompt", {"prompt_to_repeat": request}


JSON: Check = ("detectable_format:json_format", {})
TITLE: Check = ("detectable_format:title", {})
YES_NO: Check = ("detectable_format:constrained_response", {})
QUOTES: Check = ("startend:quotation", {})
LOWER: Check = ("change_case:english_lowercase", {})
UPPER: Check = ("change_case:english_capital", {})
NO_COMMA: Check = ("punctuation:no_comma", {})
TWO: Check = ("combination:two_responses", {})

BULLET_HINT = "Use markdown bullets such as:\n* first point\n* second point"
YES_NO_HINT = "Answer with one of the following options: My answer is yes. My answer is no. My answer is maybe."

# (prompt, checks). Short answers on purpose: the task generates at most 128 tokens per prompt.
PROMPTS: list[tuple[str, list[Check]]] = [
    # -- exactly N bullet points
    (f"Name three fruits that are rich in vitamin C. Answer with exactly 3 bullet points. {BULLET_HINT}", [bullets(3)]),
    (f"List two reasons why people keep dogs as pets. Answer with exactly 2 bullet points. {BULLET_HINT}",
     [bullets(2)]),
    (f"Give four tips for sleeping better. Your answer must contain exactly 4 bullet points. {BULLET_HINT}",
     [bullets(4)]),
    (f"What should I pack for a day at the beach? Reply with exactly 3 bullet points and mention the word sunscreen. "
     f"{BULLET_HINT}", [bullets(3), keywords("sunscreen")]),
    (f"Name three planets of the solar system. Use exactly 3 bullet points and no commas. {BULLET_HINT}",
     [bullets(3), NO_COMMA]),
    (f"Suggest two ways to save water at home. Answer in exactly 2 bullet points. {BULLET_HINT}", [bullets(2)]),
    (f"List three musical instruments that have strings. Give exactly 3 bullet points in all lowercase letters. "
     f"{BULLET_HINT}", [bullets(3), LOWER]),
    (f"Give three ideas for a rainy afternoon with children. Exactly 3 bullet points, please. {BULLET_HINT}",
     [bullets(3)]),
    (f"What are two benefits of walking every day? Use exactly 2 bullet points and include the word health. "
     f"{BULLET_HINT}", [bullets(2), keywords("health")]),
    (f"Name three colours of the rainbow. Answer with exactly 3 bullet points. {BULLET_HINT}", [bullets(3)]),
    # -- include a word
    ("Explain in two sentences why the sky is blue. Include the word sunlight in your answer.", [keywords("sunlight")]),
    ("Describe a cup of coffee in one sentence. Make sure to use the word aroma.", [keywords("aroma")]),
    ("Write one sentence about autumn that contains the words leaves and wind.", [keywords("leaves", "wind")]),
    ("What do bees make? Answer in one sentence that includes the word honey.", [keywords("honey")]),
    ("Write a short sentence about the ocean that uses the word waves.", [keywords("waves")]),
    ("Tell me what a library is for. Your answer must include the word books.", [keywords("books")]),
    ("Describe a bicycle in one sentence and use the words wheels and pedals.", [keywords("wheels", "pedals")]),
    ("Why do people brush their teeth? Answer briefly and include the word cavities.", [keywords("cavities")]),
    ("Write one sentence about winter using the word snow at least twice.", [frequency("snow", 2)]),
    ("Describe a forest in two sentences. Use the word trees at least two times.", [frequency("trees", 2)]),
    ("Say something kind about teachers and use the word thank in your answer.", [keywords("thank")]),
    ("Describe a train station in one sentence that includes the word platform.", [keywords("platform")]),
    # -- JSON
    ('Reply in JSON with the key "painter" naming who painted the Mona Lisa.', [JSON, keywords("painter")]),
    ('Describe a sunflower in JSON, using the keys "colour" and "season".', [JSON, keywords("colour", "season")]),
    ('Return a JSON object with the keys "name" and "colour" describing a banana.', [JSON, keywords("name", "colour")]),
    ("Answer only with valid JSON: how many wheels does a tricycle have? Use the key wheels.",
     [JSON, keywords("wheels")]),
    ('Describe a cat as JSON with the key "sound".', [JSON, keywords("sound")]),
    ('Give me a JSON list of three vegetables.', [JSON, keywords("\\[")]),
    ('Reply with a JSON object whose key "answer" holds the number of days in a week.', [JSON, keywords("answer")]),
    ('Return JSON with the key "instrument" for an instrument played in an orchestra.', [JSON, keywords("instrument")]),
    # -- under / at least N words
    ("In fewer than 30 words, explain what a rainbow is. Include the word light.", [words(30, "less than"),
                                                                                    keywords("light")]),
    ("Describe the moon in under 25 words and use the word night.", [words(25, "less than"), keywords("night")]),
    ("Explain what a volcano is in at least 20 words.", [words(20, "at least"), keywords("volcano")]),
    ("Write at least 25 words about why reading is useful.", [words(25, "at least"), keywords("read")]),
    ("In under 20 words, say what a thermometer measures. Use the word temperature.",
     [words(20, "less than"), keywords("temperature")]),
    ("Write at least 20 words describing a sunny morning in a park.", [words(20, "at least"), keywords("park")]),
    ("Explain what rain is in fewer than 40 words and mention clouds.", [words(40, "less than"), keywords("cloud")]),
    ("Give a description of an elephant of at least 20 words.", [words(20, "at least"), keywords("elephant")]),
    # -- all lowercase / all capitals
    ("Describe your favourite season in one sentence. Write everything in lowercase letters, no capitals at all.",
     [LOWER, keywords("summer|winter|spring|autumn|fall")]),
    ("Write a short greeting for a new neighbour, entirely in lowercase letters.", [LOWER, keywords("neighbo")]),
    ("What is the colour of grass? Answer in all lowercase letters and include the word green.",
     [LOWER, keywords("green")]),
    ("Tell me about the sun in one sentence using only lowercase letters.", [LOWER, keywords("sun")]),
    ("Write a one-line motto for a football team in all capital letters, using the word WIN.",
     [UPPER, keywords("WIN")]),
    ("Say good morning to a classmate, in English and in ALL CAPITAL LETTERS.", [UPPER, keywords("MORNING")]),
    ("Name the largest ocean on Earth. Your entire answer must be in capital letters.", [UPPER, keywords("PACIFIC")]),
    ("Give a short warning sign for a wet floor, written entirely in capital letters.", [UPPER, keywords("FLOOR")]),
    # -- end with a phrase
    ("Explain how to boil an egg. End your answer with the exact phrase: Any other questions?",
     [ending("Any other questions?")]),
    ("Recommend a book for a long train journey. Finish your response with the exact phrase: Happy reading!",
     [ending("Happy reading!")]),
    ("Give one tip for learning a new language. End with the phrase: Good luck!", [ending("Good luck!")]),
    ("What is the tallest animal? Finish your answer with this exact phrase: Is there anything else I can help with?",
     [ending("Is there anything else I can help with?")]),
    ("Describe how to plant a seed. End your reply with the words: That is all.", [ending("That is all.")]),
    ("Suggest a name for a pet goldfish and end your answer with the phrase: Have fun!", [ending("Have fun!")]),
    ("Tell me one fact about penguins. End your answer with: Thank you for asking.",
     [ending("Thank you for asking."), keywords("penguin")]),
    # -- wrap in double quotes
    ("Wrap your entire answer in double quotation marks: what is the capital of Italy?", [QUOTES, keywords("Rome")]),
    ("Give a one-sentence definition of friendship, wrapped in double quotes.", [QUOTES, keywords("friend")]),
    ('Write a short slogan for a bakery. Put the whole answer inside double quotes, like "this".', [QUOTES]),
    ("Answer inside double quotation marks: what do plants need to grow?", [QUOTES]),
    ("Wrap your whole reply in double quotes and tell me what a clock does.", [QUOTES, keywords("time")]),
    ("What is the opposite of hot? Your whole answer must be wrapped in double quotation marks.",
     [QUOTES, keywords("cold")]),
    # -- no commas
    ("Describe a kitchen in two sentences without using any commas. Mention the word stove.",
     [NO_COMMA, keywords("stove")]),
    ("Explain what a bridge is for. Do not use any commas and include the word river.", [NO_COMMA, keywords("river")]),
    ("List three farm animals in one sentence without commas.",
     [NO_COMMA, keywords("cow|pig|sheep|horse|goat|chicken|duck|hen")]),
    ("Describe the weather today in a sentence with no commas at all, using the word sky.",
     [NO_COMMA, keywords("sky")]),
    # -- postscript
    ("Write a two-sentence note inviting a friend to lunch. At the end add a postscript starting with P.S.",
     [postscript("P.S."), keywords("lunch")]),
    ("Write a short thank-you message to a bus driver. Add a postscript at the end that starts with P.S.",
     [postscript("P.S.")]),
    ("Write a two-line birthday wish for a grandmother, then a postscript starting with P.P.S",
     [postscript("P.P.S"), keywords("birthday")]),
    ("Remind a colleague about tomorrow's meeting in one sentence. End with a postscript starting with P.S.",
     [postscript("P.S."), keywords("meeting")]),
    # -- title in double angular brackets
    ("Write a two-line poem about the sea. Give it a title wrapped in double angular brackets, such as <<my title>>.",
     [TITLE]),
    ("Write a short recipe for a cheese sandwich with a title in double angular brackets, like <<title>>.",
     [TITLE, keywords("cheese")]),
    ("Write three sentences about a lost kitten. Start with a title inside double angular brackets, e.g. <<Lost>>.",
     [TITLE, keywords("kitten")]),
    ("Give a title in double angular brackets, such as <<title>>, then one sentence about mountains.",
     [TITLE, keywords("mountain")]),
    # -- highlighted sections
    ("Explain what a noun is and highlight at least one phrase with markdown, i.e. *highlighted phrase*.",
     [highlights(1), keywords("noun")]),
    ("Describe a good breakfast. Highlight at least 2 parts of your answer with markdown, i.e. *highlighted*.",
     [highlights(2)]),
    ("Name a healthy drink and highlight its name with markdown like *this*.", [highlights(1)]),
    # -- constrained yes / no / maybe
    (f"Is the Earth round? {YES_NO_HINT}", [YES_NO]),
    (f"Can fish breathe under water? {YES_NO_HINT}", [YES_NO]),
    (f"Is ice colder than boiling water? {YES_NO_HINT}", [YES_NO]),
    (f"Will it rain somewhere in the world tomorrow? {YES_NO_HINT}", [YES_NO]),
    (f"Do cats like to sleep a lot? {YES_NO_HINT}", [YES_NO]),
    # -- placeholders
    ("Write a short template for a party invitation with at least 2 placeholders in square brackets, such as "
     "[date].", [placeholders(2)]),
    ("Write a one-line address label with at least 3 placeholders in square brackets, like [street].",
     [placeholders(3)]),
    ("Draft a two-sentence job advert with at least one placeholder in square brackets, such as [company].",
     [placeholders(1)]),
    # -- repeat the request first
    ("First repeat the request word for word without change, then give your answer (do not say anything before "
     "repeating the request; the request you need to repeat does not include this sentence). "
     "What is the capital of Spain?", [repeat("What is the capital of Spain?")]),
    ("First repeat the request word for word without change, then give your answer (do not say anything before "
     "repeating the request; the request you need to repeat does not include this sentence). "
     "Name a bird that cannot fly.", [repeat("Name a bird that cannot fly.")]),
    ("First repeat the request word for word without change, then give your answer (do not say anything before "
     "repeating the request; the request you need to repeat does not include this sentence). "
     "How many hours are in a day?", [repeat("How many hours are in a day?")]),
    # -- two responses, sections
    ("Give two different one-sentence descriptions of a dog. Separate them with six asterisks: ******", [TWO]),
    ("Suggest two different names for a coffee shop. The two answers must be separated by 6 asterisk symbols: ******",
     [TWO]),
    ("Write a tiny story in 2 sections. Mark the beginning of each section with Section X, such as:\nSection 1\n"
     "[content of section 1]\nSection 2\n[content of section 2]", [sections(2)]),
    ("Explain how to make tea in 2 sections. Begin each section with Section X, for example:\nSection 1\n"
     "[content]\nSection 2\n[content]", [sections(2), keywords("tea")]),
    # -- combinations
    ("Name two famous rivers in exactly 2 bullet points, all in lowercase letters. " + BULLET_HINT,
     [bullets(2), LOWER]),
    ("Describe a rose in under 30 words without using the word red. Include the word petals.",
     [words(30, "less than"), forbidden("red"), keywords("petals")]),
    ("Explain what a computer is without using the word machine. Include the word program.",
     [forbidden("machine"), keywords("program")]),
    ("Tell me about chocolate in all lowercase letters and end with the phrase: any other questions?",
     [LOWER, ending("any other questions?")]),
    ('Reply in JSON with the key "animal" for an animal that lives in the desert, and do not use any commas.',
     [JSON, keywords("animal"), NO_COMMA]),
    ("Wrap your answer in double quotes and use fewer than 15 words: what is a pencil used for?",
     [QUOTES, words(15, "less than"), keywords("writ|draw")]),
]


def rows() -> list[dict[str, Any]]:
    out = []
    for key, (prompt, checks) in enumerate(PROMPTS):
        ids = [c[0] for c in checks]
        unknown = sorted(set(ids) - set(ALLOWED))
        if unknown:
            raise ValueError(f"prompt {key}: instruction ids {unknown} are not in ALLOWED")
        out.append({"id": f"ifeval-{key:03d}", "key": key, "prompt": prompt, "instruction_id_list": ids,
                    "kwargs": [c[1] for c in checks]})
    return out


def main() -> None:
    (HERE / "ifeval.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows()), encoding="utf-8")


if __name__ == "__main__":
    main()
