"""`Bot`: one account's configuration turned into decisions, question by question.

normalise -> intents -> guard-rails (complaint, item status, confidence, hours) -> grounded answer per
intent -> one composed text -> guard. Pure: plain data in, a `Decision` out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from mostrador.bot.answers import ANSWERERS, AnswerContext, Unanswerable
from mostrador.bot.classify import Classification, classify_with, shared_models
from mostrador.bot.compose import compose_answer
from mostrador.bot.config import BotConfig
from mostrador.bot.decision import (
    REASON_COMPLAINT,
    REASON_GUARD_BLOCKED,
    REASON_INTENT_DISABLED,
    REASON_ITEM_NOT_ACTIVE,
    REASON_LOW_CONFIDENCE,
    REASON_NO_ITEM,
    REASON_ORDER_MATTER,
    REASON_OTHER,
    REASON_OUT_OF_HOURS,
    REASON_TOO_LONG,
    Decision,
)
from mostrador.bot.entities import extract_entities
from mostrador.bot.guard import QUESTION_ANSWER_LIMIT, guard
from mostrador.bot.listing import ItemFacts
from mostrador.bot.model import IntentModel, ModelCache
from mostrador.bot.normalize import Lang, normalize

# Intents that go to an agent whatever the facts say, checked before any answer is built.
_AGENT_ONLY = {
    "order_status": (REASON_ORDER_MATTER, "questions about a purchase already made go to an agent"),
    "other": (REASON_OTHER, "not a pre-sale question the bot answers"),
}


def site_language(item: Mapping[str, Any] | None) -> Lang | None:
    """Portuguese for Mercado Livre Brasil listings (site MLB, §1.1), Spanish for the other sites."""
    if not item:
        return None
    site = str(item.get("site_id") or item.get("id") or "")[:3].upper()
    if site == "MLB":
        return "pt"
    return "es" if site.startswith("M") and len(site) == 3 else None


class Bot:
    """Decides answers for one account; the classifier is trained once per set of seller phrases."""

    def __init__(
        self, config: BotConfig, models: ModelCache | None = None, model: IntentModel | None = None
    ) -> None:
        """`model`: an already trained model for this account (its phrases and examples); otherwise the
        model for the config's own phrases is loaded or trained."""
        self.config = config
        if model is None:
            model = (models if models is not None else shared_models()).get(config.training_phrases())
        self._model: IntentModel = model

    def classify(self, text: str, default_lang: Lang | None = None) -> Classification:
        """Intents of a buyer text with this account's model."""
        return classify_with(self._model, text, default_lang=default_lang or self.config.default_language)

    def decide(
        self,
        text: str,
        item: Mapping[str, Any] | None,
        description: str | None = None,
        now: datetime | None = None,
        earlier: Sequence[str] = (),
        greeted: bool | None = None,
    ) -> Decision:
        """Answer or hand off one pre-sale question about `item` (the §6.1 JSON) at time `now`.

        `earlier`: the same buyer's questions on the item just before this one, in a burst (oldest
        first); a colour or size they named is what this one is about when it names none ("¿tenés la
        azul?" … "¿y en 42?"). `greeted`: whether an answer of the burst already greeted the buyer (not
        when a person got those questions); unsaid, any earlier question counts as greeted."""
        config = self.config
        already = bool(earlier) if greeted is None else greeted
        result = self.classify(text, default_lang=site_language(item))
        lang = result.text.lang
        moment = now or datetime.now(UTC)
        closed = config.business_hours is not None and not config.business_hours.is_open(moment)
        base: dict[str, Any] = {
            "intents": result.intents,
            "scores": result.scores,
            "lang": lang,
            "mode": config.mode,
            "confidence": result.confidence,
            "out_of_hours": closed,
        }

        def handoff(reason: str, detail: str, **extra: Any) -> Decision:
            return Decision(
                action="handoff",
                text="",
                parts=extra.pop("parts", []),
                reason=reason,
                reason_detail=detail,
                **base,
                **extra,
            )

        if result.complaint:
            return handoff(REASON_COMPLAINT, "the buyer complains or insults; an agent should reply")
        if item is None:
            return handoff(REASON_NO_ITEM, "the listing could not be read")
        facts = ItemFacts.from_item(item)
        if not facts.is_active:
            # §6.1 statuses: paused/closed/under_review listings cannot be bought; never answer for them.
            return handoff(REASON_ITEM_NOT_ACTIVE, f"item status is {facts.status!r}")
        disabled = [i for i in result.intents if i not in config.enabled_intents]
        if disabled:
            return handoff(
                f"{REASON_INTENT_DISABLED}:{disabled[0]}",
                f"intent {disabled[0]} is disabled for this account",
            )
        for intent, (reason, detail) in _AGENT_ONLY.items():
            if intent in result.intents:
                return handoff(reason, detail)
        if result.confidence < config.confidence_threshold:
            return handoff(
                REASON_LOW_CONFIDENCE,
                f"confidence {result.confidence:.2f} < {config.confidence_threshold:.2f}",
            )
        if closed and config.out_of_hours == "handoff":
            return handoff(REASON_OUT_OF_HOURS, "outside business hours; the account hands off")

        context = self._context(result, facts, lang, description, earlier)
        parts: list[tuple[str, str]] = []
        used: dict[str, str] = {}
        for intent in result.intents:
            outcome = ANSWERERS[intent](context)
            if isinstance(outcome, Unanswerable):
                return handoff(outcome.reason, outcome.detail, parts=parts, facts=used)
            parts.append((intent, outcome.text))
            used.update(outcome.facts)

        note = (
            config.template(lang, "out_of_hours.note")
            if closed and config.out_of_hours == "answer_with_note"
            else ""
        )
        composed = compose_answer(
            [p for _, p in parts],
            greeting=config.greeting.get(lang, "") if config.use_greeting and not already else "",
            sign_off=config.sign_off.get(lang, "") if config.use_sign_off else "",
            note=note,
            limit=QUESTION_ANSWER_LIMIT,
        )
        if composed is None:
            return handoff(
                REASON_TOO_LONG, "the answer would exceed 2,000 characters", parts=parts, facts=used
            )
        checked = guard(composed, QUESTION_ANSWER_LIMIT)
        if not checked.ok:
            kinds = ", ".join(sorted({v.kind for v in checked.violations}))
            return handoff(
                REASON_GUARD_BLOCKED,
                f"the answer contained {kinds}",
                parts=parts,
                facts=used,
                violations=checked.violations,
            )
        return Decision(action="answer", text=composed, parts=parts, facts=used, **base)

    def _context(
        self,
        result: Classification,
        facts: ItemFacts,
        lang: str,
        description: str | None,
        earlier: Sequence[str] = (),
    ) -> AnswerContext:
        entities = extract_entities(result.text.raw, result.text.folded, facts.attribute_values())
        for text in reversed(earlier):
            # What the burst's earlier questions named fills what this one leaves out ("¿tenés el negro?"
            # … "¿y en 42?" is the black pair in 42); the newest mention wins, this question's own first.
            before = normalize(text, lang=lang)  # type: ignore[arg-type]
            named = extract_entities(before.raw, before.folded, facts.attribute_values())
            entities = replace(
                entities,
                colors=entities.colors or named.colors,
                values={**named.values, **entities.values},
            )
        return AnswerContext(
            facts, self.config, lang, result.core, entities, result.text.amounts, description
        )
