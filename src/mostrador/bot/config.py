"""Per-account bot configuration (`BotConfig`): JSON-serialisable so the product stores it in one column.

Everything that could make the bot say something forbidden is checked on load: template keys and
variables, and every seller-written text (templates, business facts, greeting) against the guard.
"""

from __future__ import annotations

from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mostrador.bot.claims import DEFAULT_CLAIM_RULES, ClaimRule
from mostrador.bot.errors import BotConfigError
from mostrador.bot.guard import guard
from mostrador.bot.hours import BusinessHours
from mostrador.bot.intents import INTENTS, TrainingPhrase
from mostrador.bot.order_messages import OrderMessageRule, check_rules
from mostrador.bot.templates import DEFAULT_TEMPLATES, check_template

Mode = Literal["auto", "draft"]
OutOfHours = Literal["answer", "answer_with_note", "handoff"]
LANGS = ("es", "pt")


class InvoiceFacts(BaseModel):
    """Whether the seller issues invoices and which ("factura A y B", "nota fiscal eletrônica")."""

    model_config = ConfigDict(extra="forbid")
    issues: bool | None = None
    kind: str = ""


class PickupFacts(BaseModel):
    """In-person pickup; `area` is a place ("Palermo, CABA"), never contact data (the guard enforces it)."""

    model_config = ConfigDict(extra="forbid")
    allowed: bool | None = None
    area: str = ""


class BusinessFacts(BaseModel):
    """Facts the listing does not carry; an empty fact means "unknown" and leads to a handoff."""

    model_config = ConfigDict(extra="forbid")
    invoice: InvoiceFacts = Field(default_factory=InvoiceFacts)
    pickup: PickupFacts = Field(default_factory=PickupFacts)
    payment_methods: dict[str, str] = Field(default_factory=dict)  # lang -> text
    shipping_notes: dict[str, str] = Field(default_factory=dict)  # lang -> text
    authenticity: dict[str, str] = Field(default_factory=dict)  # lang -> "Todos son originales, con factura."
    return_policy: dict[str, str] = Field(default_factory=dict)  # lang -> the seller's returns, for claims


class BotConfig(BaseModel):
    """How the bot behaves for one seller account."""

    model_config = ConfigDict(extra="forbid")

    enabled_intents: list[str] = Field(default_factory=lambda: list(INTENTS))
    extra_phrases: dict[str, list[str]] = Field(default_factory=dict)  # intent -> phrases (any language)
    templates: dict[str, dict[str, str]] = Field(default_factory=dict)  # lang -> key -> template
    greeting: dict[str, str] = Field(default_factory=lambda: {"es": "¡Hola!", "pt": "Olá!"})
    sign_off: dict[str, str] = Field(default_factory=lambda: {"es": "¡Saludos!", "pt": "Abraços!"})
    use_greeting: bool = True
    # A buyer asking several questions on one item within this many seconds of each other is answered
    # once they stop (each question still its own answer, greeted once); 0 answers each at once.
    burst_window_s: int = Field(0, ge=0, le=300)
    use_sign_off: bool = True
    facts: BusinessFacts = Field(default_factory=BusinessFacts)
    mode: Mode = "draft"
    # Chosen from the reliability check in docs/bot.md: below ~0.85 the real-question precision drops.
    confidence_threshold: float = Field(default=0.85, ge=0.0, le=1.0)
    business_hours: BusinessHours | None = None
    out_of_hours: OutOfHours = "answer"
    default_language: Literal["es", "pt"] = "es"
    # The first response to a claim, by category (bot/claims.py); sent in `auto` mode, suggested in `draft`.
    claim_rules: list[ClaimRule] = Field(
        default_factory=lambda: [ClaimRule.model_validate(r) for r in DEFAULT_CLAIM_RULES]
    )
    # The post-sale bot (bot/postsale.py): off unless the seller turns it on; then it follows `mode`.
    post_sale: bool = False
    # Messages on a sale's events (bot/order_messages.py), sent under Mercado Libre's seller-initiated
    # rules (§8.7) when `post_sale` is on; none unless the seller writes them.
    order_messages: list[OrderMessageRule] = Field(default_factory=list)

    @field_validator("enabled_intents")
    @classmethod
    def _known_intents(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(INTENTS))
        if unknown:
            raise ValueError(f"unknown intent id(s) {', '.join(unknown)}")
        return value

    @field_validator("extra_phrases")
    @classmethod
    def _known_phrase_intents(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(value) - set(INTENTS))
        if unknown:
            raise ValueError(f"training phrases for unknown intent id(s) {', '.join(unknown)}")
        return value

    @field_validator("claim_rules")
    @classmethod
    def _unique_rule_ids(cls, value: list[ClaimRule]) -> list[ClaimRule]:
        ids = [r.id for r in value]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"claim rule ids must be unique: {', '.join(repeated)}")
        return value

    @field_validator("order_messages")
    @classmethod
    def _order_messages(cls, value: list[OrderMessageRule]) -> list[OrderMessageRule]:
        return check_rules(value)

    @field_validator("templates")
    @classmethod
    def _valid_templates(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for lang, templates in value.items():
            if lang not in LANGS:
                raise ValueError(f"templates for unknown language {lang!r}; use es or pt")
            for key, template in templates.items():
                check_template(key, template)
        return value

    @model_validator(mode="after")
    def _texts_pass_guard(self) -> BotConfig:
        for where, text in self._seller_texts():
            result = guard(text.replace("{", "").replace("}", ""))
            if not result.ok:
                reasons = "; ".join(f"{v.kind} {v.match!r}" for v in result.violations)
                raise ValueError(f"{where} would break Mercado Libre rules ({reasons})")
        return self

    def _seller_texts(self) -> list[tuple[str, str]]:
        texts = [
            (f"templates.{lang}.{key}", t)
            for lang, group in self.templates.items()
            for key, t in group.items()
        ]
        texts += [(f"greeting.{lang}", t) for lang, t in self.greeting.items()]
        texts += [(f"sign_off.{lang}", t) for lang, t in self.sign_off.items()]
        facts = self.facts
        texts += [("facts.invoice.kind", facts.invoice.kind), ("facts.pickup.area", facts.pickup.area)]
        texts += [
            (f"claim_rules.{r.id}.{lang}", text) for r in self.claim_rules for lang, text in r.text.items()
        ]
        texts += [
            (f"order_messages.{r.id}.{lang}", text)
            for r in self.order_messages
            for lang, text in r.text.items()
        ]
        for name in ("payment_methods", "shipping_notes", "authenticity", "return_policy"):
            texts += [(f"facts.{name}.{lang}", t) for lang, t in getattr(facts, name).items()]
        return texts

    # --- loading and saving -------------------------------------------------------------------------
    @classmethod
    def from_yaml(cls, text: str) -> BotConfig:
        """Parse YAML; every problem is raised as BotConfigError with the field and the reason."""
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as error:
            raise BotConfigError(f"bot configuration is not valid YAML: {error}") from error
        return cls.from_data(data)

    @classmethod
    def from_data(cls, data: Any) -> BotConfig:
        """Validate a dict (e.g. the JSON column); raises BotConfigError."""
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}" for e in error.errors()
            )
            raise BotConfigError(f"invalid bot configuration: {problems}") from error

    def to_yaml(self) -> str:
        """YAML that `from_yaml` reads back to an equal config."""
        return yaml.safe_dump(self.model_dump(mode="json"), allow_unicode=True, sort_keys=False)

    # --- helpers for the engine ---------------------------------------------------------------------
    def template(self, lang: str, key: str) -> str:
        """The seller's template for `key` in `lang`, else the built-in one."""
        return self.templates.get(lang, {}).get(key) or DEFAULT_TEMPLATES[lang][key]

    def training_phrases(self) -> list[TrainingPhrase]:
        """The seller's own phrases, language detected per phrase."""
        return [
            TrainingPhrase(text, frozenset({intent}), None)
            for intent, texts in sorted(self.extra_phrases.items())
            for text in texts
            if text.strip()
        ]
