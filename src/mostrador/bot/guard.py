"""The Mercado Libre text-rule guard: every text that leaves Mostrador passes here first.

Mercado Libre forbids sharing or asking for contact data that moves the conversation off-platform
(phone numbers, e-mails, links, social networks; mercadolibre-api.md §5.4 "Content rules") and moderates
answers to BANNED with no appeal, and a public answer cannot be edited. Sellers (and buyers) hide contact
data with tricks, so the checks run on a de-obfuscated view: Unicode lookalikes and invisible characters
removed, digits written as words turned into digits, "arroba"/"punto com" read as "@"/".com", spaced
letters joined. Length limits: 2,000 characters for answers (§5.4), 350 for post-sale messages (§8.3).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

QUESTION_ANSWER_LIMIT = 2000
POST_SALE_MESSAGE_LIMIT = 350
REDACTION = "[…]"

_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u034f\u180e]")
# Cyrillic/Greek letters that render like Latin ones ("wһatsaрр").
_LOOKALIKES = str.maketrans(
    "аеорсухіјѕԁһпмтвкАЕОРСУХІЈЅНМТВКαεορτυνικχΑΕΟΡΤΥΝΙΚΧ",
    "aeopcyxijsdhnmtbkAEOPCYXIJSHMTBKaeoptuvikxAEOPTYNIKX",
)
_DIGIT_WORDS = {
    "cero": "0",
    "zero": "0",
    "uno": "1",
    "um": "1",
    "una": "1",
    "uma": "1",
    "dos": "2",
    "dois": "2",
    "duas": "2",
    "tres": "3",
    "cuatro": "4",
    "quatro": "4",
    "cinco": "5",
    "seis": "6",
    "meia": "6",
    "siete": "7",
    "sete": "7",
    "ocho": "8",
    "oito": "8",
    "nueve": "9",
    "nove": "9",
}
_AT = r"(?:@|\(\s*at\s*\)|\[\s*at\s*\]|\barroba\b|\bat\b)"
_DOT = r"(?:\.|\(\s*dot\s*\)|\[\s*dot\s*\]|\bpunto\b|\bponto\b|\bdot\b)"
_TLD = r"(?:com|net|org|br|ar|mx|co|cl|uy|pe|io|me|ly|gl|app|shop|store|site|online|info|biz|link)"
_EMAIL = re.compile(rf"[a-z0-9._%+-]+\s*{_AT}\s*[a-z0-9-]+(?:\s*{_DOT}\s*[a-z0-9-]+)*\s*{_DOT}\s*{_TLD}\b")
_URL = re.compile(
    rf"(?:https?\s*:\s*/\s*/\S+|\bwww\s*{_DOT}\s*\S+|\b[a-z0-9-]{{2,}}\s*{_DOT}\s*{_TLD}"
    rf"(?:\s*{_DOT}\s*[a-z]{{2}})?\b(?:/\S*)?|\b(?:wa\.me|t\.me|bit\.ly|linktr\.ee)\S*)"
)
_HANDLE = re.compile(r"(?<![a-z0-9.])@[a-z0-9_.]{3,}")
_SOCIAL_WORDS = re.compile(
    r"\b(?:whats\s*app|whatsapp|whats|wpp|wsp|wapp|zap|zapzap|zap\s*zap|instagram|insta|ig|facebook|fb|"
    r"telegram|tiktok|tik\s*tok|twitter|skype|messenger|gmail|hotmail|outlook|yahoo|e-?mail|mail|"
    r"correo electronico|llamame|llamanos|llamar al|me liga|liga pra|ligue para|ligar para)\b"
    r"|\b(?:mi|mis|nuestro|nuestros|meu|nosso|el|o|al|ao|su|seu|tu|teu)\s+"
    r"(?:celular|celu|cel|telefono|telefone|fone|numero|contacto|contato)\b"
)
# Long words caught even when letters are spaced or dotted ("w h a t s a p p", "i.n.s.t.a.g.r.a.m").
_SQUEEZED_WORDS = ("whatsapp", "instagram", "facebook", "telegram", "hotmail", "gmail", "outlook")
_PHONE_CHARS = re.compile(r"\+?\(?\d[\d\s().\-/]*\d")
_POSTCODE = re.compile(r"^\d{5}-\d{3}$")
_MIN_PHONE_DIGITS = 8


@dataclass(frozen=True, slots=True)
class Violation:
    """One thing the guard blocked: its kind, the offending text and a human explanation."""

    kind: str  # "phone" | "email" | "url" | "social" | "length"
    match: str
    detail: str


@dataclass(frozen=True, slots=True)
class GuardResult:
    """`ok` False means the text must not be sent; `text` is a redacted, length-capped copy for display."""

    ok: bool
    text: str
    violations: list[Violation] = field(default_factory=list)


def deobfuscate(text: str) -> str:
    """Lower-case, NFKC, lookalikes mapped to Latin, accents and invisible characters removed."""
    text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFKC", text).translate(_LOOKALIKES)
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def _digits_from_words(text: str) -> str:
    """Spell digits written as words ("once cuatro cinco" stays; "cuatro cinco seis" -> "4 5 6")."""
    return re.sub(r"[a-z]+", lambda m: _DIGIT_WORDS.get(m.group(0), m.group(0)), text)


def _phones(view: str) -> list[str]:
    found = []
    for match in _PHONE_CHARS.finditer(_digits_from_words(view)):
        candidate = match.group(0).strip()
        digits = re.sub(r"\D", "", candidate)
        before = view[max(0, match.start() - 3) : match.start()]
        if len(digits) < _MIN_PHONE_DIGITS or _POSTCODE.match(candidate):
            continue
        if re.search(r"(\$|r\$|ml[a-z])\s*$", before):  # a price or an item id (MLA123…), not a phone
            continue
        found.append(candidate)
    return found


def find_violations(text: str) -> list[Violation]:
    """Every piece of off-platform contact data in the text, however it is spelled."""
    view = deobfuscate(text)
    violations: list[Violation] = []
    for match in _EMAIL.finditer(view):
        violations.append(
            Violation("email", match.group(0), "e-mail address (Mercado Libre forbids contact data)")
        )
    for match in _URL.finditer(view):
        if not any(match.group(0) in v.match or v.match in match.group(0) for v in violations):
            violations.append(Violation("url", match.group(0), "link outside Mercado Libre"))
    for match in _HANDLE.finditer(view):
        if not any(match.group(0)[1:] in v.match for v in violations):
            violations.append(Violation("social", match.group(0), "social network handle"))
    for match in _SOCIAL_WORDS.finditer(view):
        violations.append(Violation("social", match.group(0), "mention of an off-platform contact channel"))
    squeezed = re.sub(r"[^a-z]", "", view)
    for word in _SQUEEZED_WORDS:
        if word in squeezed and not any(word in re.sub(r"[^a-z]", "", v.match) for v in violations):
            violations.append(Violation("social", word, "contact channel spelled with separators"))
    for phone in _phones(view):
        violations.append(Violation("phone", phone, "phone number (digits, spaced or written as words)"))
    return violations


def _redact(text: str, violations: list[Violation]) -> str:
    redacted = text
    for violation in violations:
        replaced = re.sub(re.escape(violation.match), REDACTION, redacted, flags=re.IGNORECASE)
        if replaced == redacted:
            return REDACTION  # only visible in the de-obfuscated view: show nothing of the original
        redacted = replaced
    return redacted


def guard(text: str, limit: int = QUESTION_ANSWER_LIMIT, allow: tuple[str, ...] = ()) -> GuardResult:
    """Check a text against the Mercado Libre rules; `limit` is 2,000 for answers, 350 for messages.

    `allow` lists exact strings known not to be contact data although they look like it — a shipment's
    tracking number, an order id, read from Mercado Libre itself — so a claim message may quote them.
    """
    checked = text
    for term in allow:
        if term and len(term) >= 4:
            checked = checked.replace(term, " ")
    violations = find_violations(checked)
    shown = _redact(text, violations) if violations else text
    if len(text) > limit:
        violations.append(
            Violation("length", f"{len(text)} characters", f"longer than the {limit}-character limit")
        )
        shown = shown[: limit - 1].rsplit(" ", 1)[0] + "…"
    return GuardResult(ok=not violations, text=shown, violations=violations)


_KIND_WORDS = {
    "es": {
        "phone": "un teléfono",
        "email": "un e-mail",
        "url": "un enlace fuera de Mercado Libre",
        "social": "una red social o un canal de contacto externo",
    },
    "pt": {
        "phone": "um telefone",
        "email": "um e-mail",
        "url": "um link fora do Mercado Livre",
        "social": "uma rede social ou um canal de contato externo",
    },
    "en": {
        "phone": "a phone number",
        "email": "an e-mail address",
        "url": "a link outside Mercado Libre",
        "social": "a social network or an outside contact channel",
    },
}
_EXPLAINED = {
    "es": ("El texto no cumple las reglas de Mercado Libre: ", "tiene", "supera los {limit} caracteres"),
    "pt": ("O texto não cumpre as regras do Mercado Livre: ", "tem", "passa de {limit} caracteres"),
    "en": ("The text breaks Mercado Libre's rules: ", "it has", "it is longer than {limit} characters"),
}


def explain(result: GuardResult, limit: int, lang: str = "es") -> str:
    """What the guard refused, in words for the person who wrote the text (the one formatter for it)."""
    words = _KIND_WORDS.get(lang, _KIND_WORDS["es"])
    lead, has, too_long = _EXPLAINED.get(lang, _EXPLAINED["es"])
    parts: list[str] = []
    for violation in result.violations:
        if violation.kind == "length":
            part = too_long.format(limit=limit)
        else:
            part = f"{has} {words.get(violation.kind, violation.kind)} ({violation.match})"
        if part not in parts:
            parts.append(part)
    return lead + "; ".join(parts) + "." if parts else ""
