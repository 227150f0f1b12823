"""Buyer questions, post-sale messages and claim texts: labelled, varied, local and reproducible."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from mostrador.sandbox.catalog import demo_listings
from mostrador.sandbox.phrases import (
    CLAIM_REASONS,
    INTENTS,
    GeneratedQuestion,
    ItemFacts,
    QuestionGenerator,
    claim_message,
    post_sale_message,
)
from mostrador.sandbox.sim_noise import add_typo, apply_slang, strip_accents
from mostrador.sandbox.sim_templates_es import FOLLOW_UPS, spanish_clauses
from mostrador.sandbox.sim_templates_pt import FOLLOW_UPS_PT, portuguese_clauses

QUESTIONS_DIR = Path(__file__).parents[1] / "fixtures" / "conformance" / "questions"
SITES = ("MLA", "MLM", "MCO", "MLC", "MLB")


def _corpus(site_id: str, count: int, seed: int = 7) -> list[GeneratedQuestion]:
    generator = QuestionGenerator(seed)
    listings = demo_listings(site_id)
    rng = random.Random(seed)
    return [generator.next_question(rng.choice(listings), asked_before=True) for _ in range(count)]


def _plain(text: str) -> str:
    folded = unicodedata.normalize("NFD", text.lower())
    return re.sub(r"[^a-z0-9 ]", "", "".join(c for c in folded if unicodedata.category(c) != "Mn")).strip()


def test_same_seed_same_questions_other_seed_other_questions() -> None:
    assert _corpus("MLA", 60, seed=3) == _corpus("MLA", 60, seed=3)
    assert [q.text for q in _corpus("MLA", 60, seed=3)] != [q.text for q in _corpus("MLA", 60, seed=4)]


@pytest.mark.parametrize("site_id", SITES)
def test_every_intent_can_be_asked_about_every_listing(site_id: str) -> None:
    generator = QuestionGenerator(11)
    lang = "pt" if site_id == "MLB" else "es"
    for listing in demo_listings(site_id):
        for intent in INTENTS:
            question = generator.question(listing, intents=[intent], noise_level=0)
            assert question.intents == (intent,)
            assert question.lang == lang
            assert question.site_id == site_id
            assert question.text.strip()


@pytest.mark.parametrize("site_id", ["MLA", "MLB"])
def test_a_corpus_covers_every_intent_with_multi_intent_noise_and_follow_ups(site_id: str) -> None:
    corpus = _corpus(site_id, 800)
    intents = Counter(i for q in corpus for i in q.intents)
    assert set(intents) == set(INTENTS)
    features = Counter(f for q in corpus for f in q.features)
    for feature in ("multi_intent", "typo", "slang", "no_accents", "lowercase", "repeated", "follow_up"):
        assert features[feature] >= 10, (feature, features)
    assert 0.15 < features["multi_intent"] / len(corpus) < 0.45
    assert len({q.text for q in corpus}) > 0.8 * len(corpus)


def test_greeting_and_other_only_stand_alone_and_labels_are_in_canonical_order() -> None:
    for question in _corpus("MLM", 600):
        if "greeting" in question.intents or "other" in question.intents:
            assert len(question.intents) == 1
        assert list(question.intents) == [i for i in INTENTS if i in question.intents]
        assert ("multi_intent" in question.features) == (len(question.intents) > 1)


def test_questions_use_the_item_facts() -> None:
    sneakers = demo_listings("MLA")[0]
    facts = ItemFacts.from_item(sneakers)
    assert facts.colours == ("Negro", "Blanco", "Gris", "Rojo")
    assert facts.sizes == ("39", "40", "41", "42", "43")
    generator = QuestionGenerator(5)
    asked = [
        generator.question(sneakers, intents=["variants"], noise_level=0).text.lower() for _ in range(200)
    ]
    assert any(re.search(r"talle (39|40|41|42|43)\b", text) for text in asked)
    assert any(colour in text for text in asked for colour in ("negro", "blanco", "gris", "rojo"))
    phone = next(x for x in demo_listings("MLB") if x["title"].startswith("Smartphone"))
    assert ItemFacts.from_item(phone).capacities == ("128 GB", "256 GB")
    phone_questions = [
        generator.question(phone, intents=["variants"], noise_level=0).text for _ in range(200)
    ]
    assert any("256 GB" in text or "128 GB" in text for text in phone_questions)
    assert not any("tamanho" in text for text in phone_questions)


def test_dialects_sound_local() -> None:
    argentina = " ".join(q.text.lower() for q in _corpus("MLA", 500))
    mexico = " ".join(q.text.lower() for q in _corpus("MLM", 500))
    brazil = " ".join(q.text.lower() for q in _corpus("MLB", 500))
    assert re.search(r"\bten[eé]s\b", argentina) and re.search(r"\btalle\b", argentina)
    assert re.search(r"\btalla\b", mexico) and not re.search(r"\btalle\b", mexico)
    assert re.search(r"\btienes\b", mexico)
    assert "¿" not in brazil and re.search(r"\b(vc|voc[eê]|tem)\b", brazil)
    assert re.search(r"\b(frete|parcela|nota fiscal)\b", brazil)


def test_no_template_copies_an_evaluation_question() -> None:
    held_out = set()
    for path in QUESTIONS_DIR.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                held_out.add(_plain(json.loads(line)["text"]))
    assert len(held_out) > 100
    clauses = [
        c
        for table in (spanish_clauses(d) for d in ("ar", "mx", "co", "cl"))
        for group in table.values()
        for c in group
    ] + [c for group in portuguese_clauses().values() for c in group]
    copied = [c for c in clauses if "{" not in c and _plain(c) in held_out and len(_plain(c).split()) > 3]
    assert not copied


def _rendered_clauses() -> list[str]:
    """Every question clause of the simulator (all dialects and follow-ups), its slots filled."""
    fill = {
        "colour": "rojo",
        "size": "talle 40",
        "capacity": "128 GB",
        "city": "Córdoba",
        "qty": "3",
        "offer": "$18.000",
        "brand": "Acme",
        "model": "X100",
        "cuotas": "6",
        "device": "iPhone 13",
        "weekday": "lunes",
        "if_colours": "",
        "if_sizes": "",
        "if_capacities": "",
    }
    tables = [spanish_clauses(d) for d in ("ar", "mx", "co", "cl")]
    tables += [portuguese_clauses(), FOLLOW_UPS, FOLLOW_UPS_PT]
    return sorted({c.format(**fill) for table in tables for group in table.values() for c in group})


def test_no_question_nearly_copies_what_the_bot_trains_on() -> None:
    """The simulator's questions are written independently of the bot's training data (its seed phrases
    and the labelled real questions it also trains on): no clause, and no generated question, may be a
    word-for-word or near copy (character-4-gram Jaccard ≥ 0.55), or the demo would flatter the bot."""
    from mostrador.bot.intents import seed_phrases
    from mostrador.bot.similarity import near_copies
    from mostrador.bot.sources import labelled_questions

    training = [p.text for p in seed_phrases()] + [q.text for q in labelled_questions()]
    clauses = _rendered_clauses()
    assert len(clauses) > 300
    assert near_copies(clauses, training) == []
    generated = [q.text for site in SITES for q in _plain_corpus(site, 300)]
    assert near_copies(generated, training) == []


def _plain_corpus(site_id: str, count: int) -> list[GeneratedQuestion]:
    generator = QuestionGenerator(3)
    listings = demo_listings(site_id)
    rng = random.Random(3)
    return [generator.question(rng.choice(listings), noise_level=0) for _ in range(count)]


def test_noise_transforms() -> None:
    rng = random.Random(1)
    assert strip_accents("¿Cuánto sale el envío? Señor") == "Cuanto sale el envio? Señor"
    sentence = "você também quer porque está muito bom"
    slangy = [apply_slang(sentence, "pt", random.Random(seed)) for seed in range(10)]
    assert all(len(text) < len(sentence) for text in slangy)
    assert any(re.search(r"\bvc\b", text) for text in slangy)
    assert any(re.search(r"\b(tb|tbm)\b", text) for text in slangy)
    original = "Hola quisiera saber cuanto tarda el envio"
    typed = add_typo(original, rng)
    changed = [(a, b) for a, b in zip(original.split(), typed.split(), strict=False) if a != b]
    assert typed != original and len(typed.split()) == len(original.split()) and len(changed) == 1


def test_post_sale_messages_and_claims_speak_the_buyers_language() -> None:
    rng = random.Random(9)
    spanish = [post_sale_message(rng, "es") for _ in range(100)]
    portuguese = [post_sale_message(rng, "pt", "invoice") for _ in range(20)]
    assert {m.topic for m in spanish} >= {"delivery_date", "invoice", "wrong_size", "thanks"}
    assert all(m.topic == "invoice" and re.search(r"\b(nota|NF)\b", m.text) for m in portuguese)
    assert all(re.fullmatch(r"(PNR|PDD)\d{4}", r.reason_id) for r in CLAIM_REASONS)
    assert {"PDD9939", "PDD9943", "PDD9944", "PDD9946"} <= {r.reason_id for r in CLAIM_REASONS}
    assert any(r.reason_id.startswith("PNR") for r in CLAIM_REASONS)
    defective = next(r for r in CLAIM_REASONS if r.kind == "defective")
    assert "defeito" in claim_message(random.Random(0), "pt", defective, opening=True) or "quebrado" in (
        claim_message(random.Random(0), "pt", defective, opening=True)
    )
    assert claim_message(rng, "es", defective, opening=False) != ""


def test_unknown_intent_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown"):
        QuestionGenerator(0).question(demo_listings("MLA")[0], intents=["haggle"])


def test_questions_do_not_depend_on_string_hashing() -> None:
    """Set iteration order changes with PYTHONHASHSEED; the same seed must still give the same texts."""
    script = (
        "import random\n"
        "from mostrador.sandbox.catalog import demo_listings\n"
        "from mostrador.sandbox.phrases import QuestionGenerator\n"
        "g, rng, items = QuestionGenerator(5), random.Random(1), demo_listings('MLB')\n"
        "print('|'.join(g.next_question(rng.choice(items), asked_before=True).text for _ in range(200)))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        for hash_seed in ("1", "2")
    }
    assert len(outputs) == 1 and len(outputs.pop()) > 1000
