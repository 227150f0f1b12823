"""How buyers really type: no accents, lower case, slang and abbreviations, typos, repeated letters.

Each transform takes a seeded `random.Random` so a question's noise is reproducible, and names the
feature it adds so tests and benchmarks can select noisy questions.
"""

from __future__ import annotations

import random
import re
import unicodedata

# Longest phrases first so "por que" wins over "que".
_SLANG_ES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("por favor", ("porfa", "xfa", "x favor")),
    ("por qué", ("xq", "pq")),
    ("porque", ("xq", "pq")),
    ("también", ("tb", "tmb")),
    ("tenés", ("tenes", "tnes")),
    ("saludos", ("slds", "saludos")),
    ("mensaje", ("msj",)),
    ("cuánto", ("cuanto", "cnto")),
    ("que", ("q", "k")),
    ("qué", ("q",)),
    ("para", ("pa", "p/")),
    ("con", ("c/",)),
    ("sin", ("s/",)),
    ("hola", ("ola", "holis")),
    ("gracias", ("grax", "gracias")),
    ("día", ("dia",)),
    ("todavía", ("todavia", "tdv")),
)
_SLANG_PT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("por favor", ("pfv", "pf")),
    ("você", ("vc", "voce")),
    ("vocês", ("vcs",)),
    ("também", ("tb", "tbm")),
    ("porque", ("pq",)),
    ("beleza", ("blz",)),
    ("muito", ("mto", "mt")),
    ("quanto", ("qto", "qnto")),
    ("não", ("n", "nao")),
    ("obrigado", ("obg", "brigado")),
    ("obrigada", ("obg",)),
    ("para", ("pra", "p/")),
    ("tudo", ("td",)),
    ("que", ("q",)),
    ("está", ("tá", "ta")),
    ("com", ("c/",)),
    ("hoje", ("hj",)),
    ("quando", ("qdo", "qnd")),
)

_KEYBOARD_NEIGHBOURS = {
    "a": "sq",
    "e": "wr",
    "i": "uo",
    "o": "ip",
    "u": "yi",
    "s": "ad",
    "n": "bm",
    "r": "et",
    "t": "ry",
    "l": "k",
    "m": "n",
    "c": "xv",
    "d": "sf",
    "p": "o",
}


def strip_accents(text: str) -> str:
    """Drop diacritics but keep ñ, as most buyers' keyboards do."""
    out = []
    for char in text:
        if char in "ñÑ":
            out.append(char)
            continue
        decomposed = unicodedata.normalize("NFD", char)
        out.append("".join(c for c in decomposed if unicodedata.category(c) != "Mn"))
    return "".join(out).replace("¿", "").replace("¡", "")


def apply_slang(text: str, lang: str, rng: random.Random) -> str:
    """Swap words for the abbreviations buyers type ("q", "xq", "vc", "tb", "blz", "mto")."""
    table = _SLANG_PT if lang == "pt" else _SLANG_ES
    for word, shorts in table:
        pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
        if pattern.search(text) and rng.random() < 0.8:
            replacement = rng.choice(shorts)
            text = pattern.sub(replacement, text)
    return text


def add_typo(text: str, rng: random.Random) -> str:
    """One slip of the finger in a word of four letters or more: swap, drop, double or neighbour key."""
    words = [m for m in re.finditer(r"[^\W\d_]{4,}", text)]
    if not words:
        return text
    match = rng.choice(words)
    word = match.group()
    pos = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        typo = word[: pos - 1] + word[pos] + word[pos - 1] + word[pos + 1 :]
    elif kind == 1:
        typo = word[:pos] + word[pos + 1 :]
    elif kind == 2:
        typo = word[:pos] + word[pos] + word[pos:]
    else:
        neighbours = _KEYBOARD_NEIGHBOURS.get(word[pos].lower(), "")
        typo = (
            word[:pos] + rng.choice(neighbours) + word[pos + 1 :]
            if neighbours
            else word[:pos] + word[pos + 1 :]
        )
    if typo == word:
        typo = word[:pos] + word[pos + 1 :]
    return text[: match.start()] + typo + text[match.end() :]


def repeat_letters(text: str, rng: random.Random) -> str:
    """Stretch a vowel ("holaaa", "graciaaas") or the final punctuation ("???", "!!!")."""
    if rng.random() < 0.5 and text.rstrip().endswith(("?", "!")):
        stripped = text.rstrip()
        return stripped + stripped[-1] * rng.randint(2, 4)
    vowels = [m.start() for m in re.finditer(r"[aeiouAEIOU](?=\W|$)", text)]
    if not vowels:
        return text + "??"
    pos = rng.choice(vowels)
    return text[: pos + 1] + text[pos] * rng.randint(2, 4) + text[pos + 1 :]


def drop_punctuation(text: str) -> str:
    """Questions typed without any question marks."""
    return re.sub(r"\s+", " ", text.replace("¿", "").replace("?", " ")).strip()


def roughen(text: str, lang: str, rng: random.Random, level: float) -> tuple[str, tuple[str, ...]]:
    """Apply each kind of noise with probability `level`; return the text and the feature names applied."""
    features: list[str] = []
    if rng.random() < level:
        text = text.lower()
        features.append("lowercase")
    if rng.random() < level:
        text = strip_accents(text)
        features.append("no_accents")
    if rng.random() < level:
        slangy = apply_slang(text, lang, rng)
        if slangy != text:
            text = slangy
            features.append("slang")
    if rng.random() < level * 0.7:
        typed = add_typo(text, rng)
        if typed != text:
            text = typed
            features.append("typo")
    if rng.random() < level * 0.5:
        text = repeat_letters(text, rng)
        features.append("repeated")
    elif rng.random() < level * 0.3:
        text = drop_punctuation(text)
        features.append("no_punctuation")
    return text, tuple(features)
