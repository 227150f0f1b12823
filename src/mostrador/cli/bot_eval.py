"""`mostrador bot eval --sources | --account`: the reports behind the command."""

from __future__ import annotations

import asyncio
import json

from mostrador.accounts import bot_history
from mostrador.accounts.bot_history import History
from mostrador.accounts.tokens import AccountUnavailable, TokenRefreshFailed
from mostrador.bot.intents import INTENTS, builtin_lexicon
from mostrador.bot.loso import coverage_curve, format_coverage, leave_one_source_out, risk_coverage
from mostrador.bot.sources import builtin_training, by_source, labelled_questions
from mostrador.cli.live_item import LiveItemError, pick_account
from mostrador.context import build_context
from mostrador.meli import errors as meli_errors
from mostrador.settings import Settings
from mostrador.store import accounts as accounts_store
from mostrador.store.db import transaction


def sources_report(threshold: float, as_json: bool) -> str:
    """Leave-one-source-out over the shipped labelled sources: per source, per language, per intent,
    and the risk–coverage table at `threshold` (trains one model per source: about a minute)."""
    groups = by_source(labelled_questions())
    result = leave_one_source_out(groups, list(builtin_training()), builtin_lexicon())
    data: dict[str, object] = {
        "threshold": threshold,
        "sources": {
            name: {
                "question_count": len(questions),
                "micro_f1": round(result.report([name]).micro_f1, 4),
                "trained_on": result.trained_on[name],
                "near_copies_dropped": result.dropped[name],
            }
            for name, questions in groups.items()
        },
        "languages": {},
    }
    for lang in ("es", "pt"):
        report = result.report(lang=lang)
        predictions = result.select(lang=lang)
        data["languages"][lang] = {  # type: ignore[index]
            **report.as_dict(),
            "risk_coverage": [
                {
                    "intent": row.intent,
                    "support": row.support,
                    "coverage": round(row.coverage, 4),
                    "accuracy": round(row.accuracy, 4),
                    "precision": round(row.precision, 4),
                }
                for row in risk_coverage(predictions, threshold)
            ],
            "curve": [
                {"coverage": round(row.coverage, 4), "accuracy": round(row.accuracy, 4)}
                for row in coverage_curve(predictions)
            ],
        }
    if as_json:
        return json.dumps(data, ensure_ascii=False)
    lines = ["leave-one-source-out (each source evaluated by a model trained without it)"]
    for name, row in data["sources"].items():  # type: ignore[attr-defined]
        lines.append(
            f"  {name:<28} n={row['question_count']:<4} micro-F1 {row['micro_f1']:.4f}"
            f"  (trained on {row['trained_on']}, near-copies dropped {row['near_copies_dropped']})"
        )
    for lang in ("es", "pt"):
        report = result.report(lang=lang)
        lines.append(f"{lang}: micro-F1 {report.micro_f1:.4f} over {report.total} questions")
        lines.append(f"  {'intent':<16} {'prec':>6} {'rec':>6} {'f1':>6} {'n':>5}")
        for intent in INTENTS:
            support = report.true_positive[intent] + report.false_negative[intent]
            lines.append(
                f"  {intent:<16} {report.precision(intent):6.3f} {report.recall(intent):6.3f} "
                f"{report.f1(intent):6.3f} {support:5d}"
            )
        lines.append(format_coverage(risk_coverage(result.select(lang=lang), threshold), threshold))
    return "\n".join(lines)


def account_report(account_ref: str, limit: int, as_json: bool, settings: Settings | None = None) -> str:
    """Replay a connected account's answered questions (`accounts.bot_history`) and show the result."""
    settings = (settings or Settings()).ensure_secrets()

    async def run() -> History:
        ctx = build_context(settings)
        try:
            with transaction(ctx.sessions) as s:
                accounts = [a for a in accounts_store.active_accounts(s) if a.status == "active"]
                s.expunge_all()
            account = pick_account(accounts, account_ref)
            return await bot_history.replay(ctx, account.id, limit)
        except (meli_errors.MeliError, AccountUnavailable, TokenRefreshFailed) as exc:
            raise LiveItemError(f"could not read the account's questions: {exc}") from exc
        finally:
            await ctx.aclose()

    history = asyncio.run(run())
    return json.dumps(history.as_dict(), ensure_ascii=False) if as_json else format_history(history)


def format_history(history: History) -> str:
    """The replay as text: each question with the seller's answer and the bot's, then the summary."""
    lines = [
        f"account {history.nickname} (id {history.account_id}), mode {history.mode}, "
        f"threshold {history.threshold:.2f}: {len(history.questions)} answered questions replayed"
    ]
    for q in history.questions:
        lines.append(f"- [{q.question_id} on {q.item_id}] {q.text}")
        lines.append(f"    seller: {q.seller_answer}")
        intents = ", ".join(q.intents)
        if q.action == "answer":
            lines.append(f"    bot ({intents}, {q.confidence:.2f}): {q.bot_text}")
        else:
            lines.append(f"    bot hands off: {q.reason} - {q.reason_detail} ({intents}, {q.confidence:.2f})")
    lines.append(
        f"the bot would have answered {history.answered_by_bot} of {len(history.questions)} "
        f"({history.automatic_share:.0%}) by itself"
    )
    if history.handoffs():
        lines.append("handoffs by reason:")
        lines.extend(f"  {reason:<32} {count}" for reason, count in history.handoffs())
    return "\n".join(lines)
