"""Text normalisation for buyer questions: accents, casing, repeated letters, chat abbreviations, money.

Buyers write the way they chat ("tenes stock??", "vc tem na cor preta", "te sirven 18k?"); the classifier
and the entity matcher both work on the folded form produced here so they see one spelling per word.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

import yaml

Lang = Literal["es", "pt"]

_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")
_REPEATED_LETTER = re.compile(r"([a-z])\1{2,}")
_REPEATED_PUNCT = re.compile(r"([!?.,;:¿¡])\1+")
_TOKEN = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*|[?]")
_SPACES = re.compile(r"\s+")

# Abbreviations shared by both markets, then per language (applied after language detection).
_ABBREVIATIONS_COMMON = {
    "q": "que",
    "k": "que",
    "xq": "porque",
    "pq": "porque",
    "xk": "porque",
    "pk": "porque",
    "x": "por",
    "pf": "por favor",
    "pls": "por favor",
    "plis": "por favor",
    "porfa": "por favor",
    "porfis": "por favor",
    "xfa": "por favor",
    "xfavor": "por favor",
    "cel": "celular",
    "celu": "celular",
    "wpp": "whatsapp",
    "wsp": "whatsapp",
    "wapp": "whatsapp",
    "whats": "whatsapp",
    "wats": "whatsapp",
    "watsapp": "whatsapp",
    "whatsap": "whatsapp",
    "wts": "whatsapp",
    "zap": "whatsapp",
    "zapzap": "whatsapp",
    "wa": "whatsapp",
    "insta": "instagram",
    "ig": "instagram",
    "face": "facebook",
    "fb": "facebook",
    "msg": "mensaje",
    "info": "informacion",
    "d": "de",
    "tmb": "tambien",
    "dnd": "donde",
    "kiero": "quiero",
    "aki": "aqui",
    "qto": "cuanto",
    "qnto": "cuanto",
    "envio": "envio",
    "stok": "stock",
    "estock": "stock",
    "nf": "nota fiscal",
    "nfe": "nota fiscal",
    "vlr": "valor",
    "dispo": "disponible",
    "orig": "original",
    "gtia": "garantia",
    "enbio": "envio",
    "pzo": "prazo",
    "qnt": "cuanto",
    "qtd": "cantidad",
    "unid": "unidades",
    "und": "unidades",
}
_ABBREVIATIONS = {
    "es": {
        "tb": "tambien",
        "tbn": "tambien",
        "bn": "bien",
        "ud": "usted",
        "uds": "ustedes",
        "sds": "saludos",
        "slds": "saludos",
        "grax": "gracias",
        "grs": "gracias",
        "tenes": "tenes",
        "tenen": "tienen",
        "tiens": "tienes",
        "hay": "hay",
        "cm": "cm",
        "xq": "porque",
        "mje": "mensaje",
        "dsp": "despues",
        "finde": "fin de semana",
        "presio": "precio",
        "enbian": "envian",
        "oriyinal": "original",
        "orijinal": "original",
        "disponivle": "disponible",
        "dispo": "disponible",
        "qnt": "cuanto",
        "cant": "cantidad",
        "msi": "meses sin intereses",
    },
    "pt": {
        "vc": "voce",
        "vcs": "voces",
        "voc": "voce",
        "tb": "tambem",
        "tbm": "tambem",
        "blz": "beleza",
        "mto": "muito",
        "mt": "muito",
        "mta": "muita",
        "obg": "obrigado",
        "obgd": "obrigado",
        "obgda": "obrigada",
        "brigado": "obrigado",
        "hj": "hoje",
        "qnd": "quando",
        "qdo": "quando",
        "td": "tudo",
        "tds": "todos",
        "cmg": "comigo",
        "ngm": "ninguem",
        "n": "nao",
        "nd": "nada",
        "dps": "depois",
        "vlw": "valeu",
        "ctz": "certeza",
        "qual": "qual",
        "qto": "quanto",
        "qnto": "quanto",
        "msg": "mensagem",
        "info": "informacao",
        "pra": "para",
        "pro": "para o",
        "tmj": "obrigado",
        "abs": "abraco",
        "bjs": "beijos",
        "agr": "agora",
        "oq": "o que",
        "mtos": "muitos",
        "vdd": "verdade",
        "pfv": "por favor",
        "tbem": "tambem",
        "msm": "mesmo",
        "kd": "cade",
        "dispo": "disponivel",
        "disponivek": "disponivel",
        "qnt": "quanto",
        "qnts": "quantos",
        "qts": "quantos",
        "qtas": "quantas",
        "cx": "caixa",
        "pgto": "pagamento",
        "pgmto": "pagamento",
        "frt": "frete",
        "ngc": "negocio",
        "fds": "fim de semana",
    },
}

_MONEY = re.compile(
    r"(?:(?:r\$|us\$|u\$s|\$|usd|ars|mxn|clp|cop|brl)\s*(\d[\d.,]*)(?:\s*(k|mil|lucas))?)"
    r"|(?:\b(\d[\d.,]*)\s*(k|mil|lucas|luca|reais|real|pesos|pila|pilas|conto|contos)\b)"
)
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*\b")

_SHARED_WORDS = frozenset(["que", "de", "e", "para", "a", "o"])


@functools.cache
def _language_words() -> tuple[frozenset[str], frozenset[str]]:
    """Portuguese-only and Spanish-only words from data/language_words.yaml (read once)."""
    data = yaml.safe_load(
        resources.files("mostrador.bot").joinpath("data", "language_words.yaml").read_text("utf-8")
    )
    return frozenset(data["pt"].split()), frozenset(data["es"].split())


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """One buyer text in the forms the bot needs."""

    raw: str
    folded: str  # accent-free, lower case, abbreviations expanded, numbers kept
    lang: Lang
    amounts: tuple[float, ...] = field(default=())  # money amounts mentioned ("$18.000" -> 18000.0)


def fold(text: str) -> str:
    """Lower-case, strip accents and invisible characters, squeeze repeated letters and punctuation."""
    text = _INVISIBLE.sub("", text)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower()
    text = _REPEATED_LETTER.sub(r"\1", text)
    text = _REPEATED_PUNCT.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def detect_language(text: str, default: Lang = "es") -> Lang:
    """Guess es/pt from letters only one language uses and from market-specific words."""
    lowered = text.lower()
    score = 0.0
    score += 2.0 * sum(lowered.count(ch) for ch in "ãõçêôâ")
    score += 2.0 * len(re.findall(r"(?<!\w)é(?!\w)", lowered))
    score -= 2.0 * sum(lowered.count(ch) for ch in "ñ¿¡")
    pt_words, es_words = _language_words()
    for token in _TOKEN.findall(fold(text)):
        if token in _SHARED_WORDS:
            continue
        if token in pt_words:
            score += 1.0
        elif token in es_words:
            score -= 1.0
    if score > 0:
        return "pt"
    if score < 0:
        return "es"
    return default


def parse_amount(number: str, suffix: str | None = None) -> float:
    """Read "18.000", "100,00", "1.234,50" or "18" (+ "k"/"mil"/"lucas") as a number."""
    digits = number.strip(".,")
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", digits):
        value = float(re.sub(r"[.,]", "", digits))
    elif re.fullmatch(r"\d+(?:[.,]\d{3})*[.,]\d{1,2}", digits):
        whole, decimals = re.split(r"[.,](?=\d{1,2}$)", digits)
        value = float(re.sub(r"[.,]", "", whole) + "." + decimals)
    else:
        value = float(re.sub(r"[.,]", "", digits) or 0)
    if suffix in {"k", "mil", "lucas", "luca", "pila", "pilas"}:
        value *= 1000
    return value


def find_amounts(folded: str) -> tuple[float, ...]:
    """Money amounts in a folded text."""
    amounts = []
    for match in _MONEY.finditer(folded):
        number = match.group(1) or match.group(3)
        suffix = match.group(2) or match.group(4)
        amounts.append(parse_amount(number, suffix))
    return tuple(amounts)


# Slash abbreviations of both markets: "c/u" (each), "c/" (with), "s/" (without), "p/" (for).
_SLASHED = {
    "es": (("c/u", " cada uno "), ("c/", " con "), ("s/", " sin "), ("p/", " para ")),
    "pt": (("c/u", " cada um "), ("c/", " com "), ("s/", " sem "), ("p/", " para ")),
}
_SLASH_ABBREVIATION = re.compile(r"(?<![a-z0-9])(c/u|[csp]/)(?![0-9])")


def expand_abbreviations(folded: str, lang: Lang) -> str:
    """Replace chat abbreviations token by token ("vc tem q" -> "voce tem que", "c/ caixa" -> "com caixa")."""
    table = _ABBREVIATIONS[lang]
    if "/" in folded:
        slashed = dict(_SLASHED[lang])
        folded = _SLASH_ABBREVIATION.sub(lambda m: slashed[m.group(1)], folded)
    words = []
    for word in re.findall(r"[a-z0-9$]+(?:[.,/][0-9]+)*|[^\sa-z0-9$]", folded):
        words.append(table.get(word) or _ABBREVIATIONS_COMMON.get(word) or word)
    return " ".join(words)


def normalize(text: str, lang: Lang | None = None, default_lang: Lang = "es") -> NormalizedText:
    """Fold a buyer text, detect its language (unless given) and find money amounts."""
    folded = fold(text)
    detected: Lang = lang or detect_language(text, default_lang)
    expanded = expand_abbreviations(folded, detected)
    return NormalizedText(raw=text, folded=expanded, lang=detected, amounts=find_amounts(folded))


def model_tokens(folded: str) -> list[str]:
    """Word tokens for the classifier: money and numbers become placeholders so they generalise."""
    text = _MONEY.sub(" _money_ ", folded)
    text = _NUMBER.sub(" _num_ ", text)
    return [token for token in re.findall(r"_money_|_num_|[a-z]+|\?", text)]
