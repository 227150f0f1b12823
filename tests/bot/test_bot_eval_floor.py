"""Evaluation that cannot flatter: similarity leakage, leave-one-source-out figures and their floor."""

from __future__ import annotations

import pytest

from mostrador.bot.courtesy import strip_courtesy
from mostrador.bot.intents import builtin_lexicon, seed_phrases
from mostrador.bot.loso import LosoResult, fold_training, leave_one_source_out, risk_coverage
from mostrador.bot.normalize import model_tokens, normalize
from mostrador.bot.similarity import NEAR_COPY, grams, jaccard, near_copies
from mostrador.bot.sources import builtin_training, by_source, labelled_questions, parse_labelled

# Leave-one-source-out micro-F1 as measured (docs/bot.md) minus about 0.01: raise them when the model
# improves, never lower them to make a change pass. Re-based twice, each time because what is measured
# changed, never the model: pt from 0.83 when the labels were corrected to the clarified rules of
# intents.md (0.838 on the old labels, 0.820 on the corrected ones, same recipe); and in round 4 when a
# new Portuguese source was added (`db.csv rows 501+`, 443 questions labelled before any change): round 3
# measured pt 0.852 over the three sources it had been tuned on, and 0.733 on the new one; docs/bot.md,
# "Round 4".
FLOORS = {"pt": 0.81, "es": 0.96}
# The source measured before any change was made for it (round 4): its own floor, so a change that
# helps the read sources at its expense fails.
SOURCE_FLOORS = {"pt:db.csv rows 501+": 0.76}

# The module's fixture trains one model per source (seven): about a minute on a quiet machine, several on
# a loaded one (pyproject's default limit is 120 s).
pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def loso() -> LosoResult:
    return leave_one_source_out(by_source(labelled_questions()), list(builtin_training()), builtin_lexicon())


@pytest.mark.parametrize("lang", sorted(FLOORS))
def test_leave_one_source_out_micro_f1_stays_above_the_floor(loso: LosoResult, lang: str) -> None:
    report = loso.report(lang=lang)
    assert report.total >= (150 if lang == "es" else 500)
    assert report.micro_f1 >= FLOORS[lang], report.as_dict()


@pytest.mark.parametrize("source", sorted(SOURCE_FLOORS))
def test_the_source_measured_before_any_change_stays_above_its_floor(loso: LosoResult, source: str) -> None:
    report = loso.report([source])
    assert report.total >= 400
    assert report.micro_f1 >= SOURCE_FLOORS[source], report.as_dict()


def test_a_row_s_origin_makes_it_a_source_of_its_own() -> None:
    rows = [
        '{"text": "tem garantia?", "intents": ["warranty"], "lang": "pt", "source": "x:repo/db.csv#id=1"}',
        '{"text": "tem na cor azul?", "intents": ["variants"], "lang": "pt",'
        ' "source": "x:repo/db.csv#id=900", "origin": "db.csv rows 501+"}',
    ]
    assert [q.source for q in parse_labelled(rows)] == ["pt:db.csv", "pt:db.csv rows 501+"]


def test_every_source_was_evaluated_by_a_model_that_never_saw_it(loso: LosoResult) -> None:
    groups = by_source(labelled_questions())
    assert set(loso.predictions) == set(groups)
    training = list(builtin_training())
    for name, questions in groups.items():
        kept, dropped = fold_training(questions, training)
        assert loso.trained_on[name] == len(kept) and loso.dropped[name] == dropped
        assert not any(p.source == name for p in kept)
        assert near_copies([p.text for p in kept], [q.text for q in questions]) == []


def test_a_fold_drops_near_copies_from_other_sources() -> None:
    from mostrador.bot.intents import TrainingPhrase
    from mostrador.bot.sources import LabelledQuestion

    evaluated = [
        LabelledQuestion("Qual é o contato particular?", frozenset({"contact_request"}), "pt", "pt:a")
    ]
    candidates = [
        TrainingPhrase("qual o contato particular?", frozenset({"contact_request"}), "pt", 1.0, "pt:b"),
        TrainingPhrase("emite nota fiscal?", frozenset({"invoice"}), "pt", 1.0, "pt:b"),
        TrainingPhrase("outra do mesmo arquivo", frozenset({"other"}), "pt", 1.0, "pt:a"),
    ]
    kept, dropped = fold_training(evaluated, candidates)
    assert [p.text for p in kept] == ["emite nota fiscal?"] and dropped == 1


def test_similarity_sees_through_case_accents_and_small_rewordings() -> None:
    assert jaccard(grams("Qual é o contato particular?"), grams("qual o contato particular?")) >= NEAR_COPY
    assert jaccard(grams("¿Tenés stock?"), grams("tenes stock")) == 1.0
    assert jaccard(grams("¿Hacen factura A?"), grams("Qual o frete pra SP?")) < 0.2


def test_no_seed_phrase_nearly_copies_a_labelled_question() -> None:
    """The seed pool is written by us: none of it may be a (near-)copy of a real or evaluation question
    (character-4-gram Jaccard ≥ 0.55), or every figure measured on that question would flatter."""
    copies = near_copies([p.text for p in seed_phrases()], [q.text for q in labelled_questions()])
    assert copies == [], copies[:20]


def _model_view(text: str, lang: str | None) -> str:
    """What the model sees: normalised words, greetings and sign-offs removed, numbers as placeholders."""
    normalized = normalize(text, lang=lang)  # type: ignore[arg-type]
    core, _ = strip_courtesy(normalized.folded)
    return " ".join(token for token in model_tokens(core) if token != "?")


def test_no_labelled_question_reads_like_a_seed_phrase_to_the_model() -> None:
    """Also the same words once abbreviations, courtesy and numbers are normalised ("Hablame al wsp
    porfa" = "hablame al whatsapp"). Texts that are only courtesy never reach the model."""
    seed = {_model_view(p.text, p.lang) for p in seed_phrases()} - {""}
    overlap = [q.text for q in labelled_questions() if _model_view(q.text, q.lang) in seed]
    assert overlap == []


def test_risk_coverage_counts_what_would_be_answered_and_how_often_it_is_right(loso: LosoResult) -> None:
    predictions = loso.select(lang="pt")
    strict, lenient = risk_coverage(predictions, 0.95)[-1], risk_coverage(predictions, 0.5)[-1]
    assert strict.support == lenient.support == len(predictions)
    assert 0 < strict.automatic <= lenient.automatic < len(predictions)
    by_intent = {row.intent: row for row in risk_coverage(predictions, 0.85)}
    assert by_intent["other"].coverage < 0.2, "other is handed to an agent whatever its score"
    answered = [p for p in predictions if p.automatic(0.85)]
    assert by_intent["all"].right == sum(set(p.intents) == set(p.question.intents) for p in answered)
