"""From buyer text to intents: normalise, drop courtesy, score with the model, apply the labelling rules."""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from dataclasses import dataclass

from mostrador.bot.courtesy import strip_courtesy
from mostrador.bot.intents import EXCLUSIVE_INTENTS, INTENTS
from mostrador.bot.model import IntentModel, ModelCache
from mostrador.bot.normalize import Lang, NormalizedText, normalize

# A second or third intent must be clearly present: its calibrated score must reach the threshold AND one
# of its lexicon cues must occur in the text. Without the cue rule, words shared by several intents ("tem",
# "hay", "envio") made a one-topic question look like two and the weaker score sent it to an agent.
SECONDARY_THRESHOLD = 0.65
# When the strongest intent is `other` or `greeting` (a remark, a review, an insult), a specific intent
# replaces it only if clearly present: "essa merda nao funciona" must not become product_details because
# "funciona" is one of its cues.
EXCLUSIVE_TOP_THRESHOLD = 0.8
# Intents a remark about the listed product can be mistaken for when it asks nothing ("esse carro é
# fedido", "a porra da bateria nao presta"): with a complaint cue and no question mark such a statement is
# a complaint, i.e. `other` (intents.md: statements with no question are social, complaints are `other`).
# Purchase matters (order_status, warranty, shipping…) keep their intents: a complaint about an order is
# still about that order.
REMARK_INTENTS = frozenset({"greeting", "product_details", "authenticity", "price", "variants"})
# The cost of shipping is `shipping`, not `price` (intents.md): "quanto fica o frete pra Manaus?", "qual o
# valor do envio pro CEP…". Price is kept only when a price cue remains outside such a phrase ("quanto
# fica o kit com frete?", "faz por 100 com frete grátis?").
_SHIPPING_COST = re.compile(
    r"\b(quanto (fica|custa|sai|e|seria|ficaria|cobra)|qual (e )?(o )?valor|valor|preco"
    r"|cuanto (sale|cuesta|es|cobran))( d[oe]| del| para o| pra o| pro| para el)? (o |el )?"
    r"(frete|envio|entrega|flete)\b"
    r"|\b(quanto|cuanto) (fica|sai|seria|ficaria|sale) (para|pra|pro|p|ate|a|al) (o |el )?"
    r"(cep|codigo postal)\b"
)


@dataclass(frozen=True, slots=True)
class Classification:
    """Intents of one question in the order the buyer raised them, with their calibrated scores."""

    intents: list[str]
    scores: dict[str, float]
    text: NormalizedText
    core: str  # folded text without greetings and sign-offs
    complaint: bool

    @property
    def confidence(self) -> float:
        """The weakest score among the chosen intents: the decision is only as sure as its least sure part."""
        return min(self.scores[i] for i in self.intents)


def _first_position(model: IntentModel, intent: str, core: str) -> int:
    pattern = model.lexicon.patterns.get(intent)
    match = pattern.search(core) if pattern else None
    return match.start() if match else len(core)


def choose_intents(
    scores: dict[str, float],
    cues: Collection[str] | None = None,
    threshold: float = SECONDARY_THRESHOLD,
) -> list[str]:
    """The strongest intent plus any other above `threshold` that also has a lexicon cue in `cues` (None:
    no cue needed); `greeting`/`other` only when nothing else is asked (labelling rules of intents.md)."""
    top = max(INTENTS, key=scores.__getitem__)
    if top in EXCLUSIVE_INTENTS:
        threshold = max(threshold, EXCLUSIVE_TOP_THRESHOLD)
    chosen = [i for i in INTENTS if i == top or (scores[i] >= threshold and (cues is None or i in cues))]
    specific = [i for i in chosen if i not in EXCLUSIVE_INTENTS]
    return specific or [top]


def complaint_remark(intents: list[str], text: str, complaint: bool) -> list[str]:
    """A statement (no question mark) with a complaint cue that the model read as a remark on the product
    or as social talk is a complaint: `other`."""
    if complaint and "?" not in text and set(intents) <= REMARK_INTENTS:
        return ["other"]
    return intents


def shipping_cost_is_shipping(intents: list[str], core: str, model: IntentModel) -> list[str]:
    """Drop `price` beside `shipping` when its only cue is the shipping's own cost."""
    if "price" not in intents or "shipping" not in intents:
        return intents
    pattern = model.lexicon.patterns.get("price")
    if pattern is None or pattern.search(_SHIPPING_COST.sub(" ", core)):
        return intents
    return [i for i in intents if i != "price"]


def classify_with(
    model: IntentModel, text: str, lang: Lang | None = None, default_lang: Lang = "es"
) -> Classification:
    """Classify one buyer text with a given model."""
    normalized = normalize(text, lang=lang, default_lang=default_lang)
    core, _ = strip_courtesy(normalized.folded)
    complaint = model.lexicon.is_complaint(normalized.folded)
    if not core:
        scores = dict.fromkeys(INTENTS, 0.0)
        scores["greeting"] = 1.0
        return Classification(["greeting"], scores, normalized, core, complaint)
    scores, cues = model.scores_and_cues(core, normalized.lang)
    intents = choose_intents(scores, cues)
    intents = complaint_remark(intents, text, complaint)
    intents = shipping_cost_is_shipping(intents, core, model)
    intents.sort(key=lambda intent: _first_position(model, intent, core))
    return Classification(intents, scores, normalized, core, complaint)


@functools.cache
def shared_models() -> ModelCache:
    """Process-wide model cache, created on first use (never at import time)."""
    return ModelCache()


def classify(text: str, lang: Lang | None = None) -> tuple[list[str], dict[str, float]]:
    """Intents and calibrated scores from the built-in model (for the CLI and quick checks)."""
    result = classify_with(shared_models().get([]), text, lang)
    return result.intents, result.scores
