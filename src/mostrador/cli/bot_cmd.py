"""`mostrador bot …`: classify JSON lines, evaluate a labelled file, try one question on an item."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from mostrador.bot import Bot, BotConfig, BotConfigError, Decision, classify
from mostrador.bot.classify import classify_with, shared_models
from mostrador.bot.evaluation import evaluate, format_report, read_labelled

app = typer.Typer(help="The question-answering bot: classify, evaluate, try.", no_args_is_help=True)


@app.command("classify")
def classify_command() -> None:
    """Read `{"text", "lang"?}` JSON lines on stdin; write `{"text", "intents", "scores"}` lines."""
    for line in sys.stdin:
        if not line.strip():
            continue
        row = json.loads(line)
        intents, scores = classify(row["text"], row.get("lang"))
        rounded = {k: round(v, 4) for k, v in scores.items()}
        typer.echo(
            json.dumps({"text": row["text"], "intents": intents, "scores": rounded}, ensure_ascii=False)
        )


@app.command("eval")
def eval_command(
    file: Annotated[
        Path | None, typer.Argument(help="JSON lines with `text` and `intents` (and optional `lang`)")
    ] = None,
    sources: Annotated[
        bool, typer.Option("--sources", help="leave-one-source-out over the shipped labelled sources")
    ] = False,
    account: Annotated[
        str | None,
        typer.Option("--account", help="replay a connected account's answered questions (nickname or id)"),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="with --account: at most this many questions")] = 200,
    threshold: Annotated[
        float, typer.Option("--threshold", help="with --sources: confidence threshold for risk-coverage")
    ] = 0.85,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Evaluate: a labelled FILE, the shipped sources (--sources), or an account's history (--account)."""
    if sum(x is not None and x is not False for x in (file, account, sources or None)) != 1:
        typer.echo("give exactly one of FILE, --sources or --account", err=True)
        raise typer.Exit(2)
    if sources:
        from mostrador.cli.bot_eval import sources_report

        typer.echo(sources_report(threshold, as_json))
        return
    if account is not None:
        from mostrador.cli.bot_eval import account_report
        from mostrador.cli.live_item import LiveItemError

        try:
            typer.echo(account_report(account, limit, as_json))
        except LiveItemError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(2) from error
        return
    assert file is not None
    model = shared_models().get([])
    report = evaluate(read_labelled(file), lambda q: classify_with(model, q.text, q.lang).intents)
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False) if as_json else format_report(report))


def render_try(decision: Decision) -> str:
    """Human-readable view of a decision: action, intents with scores, facts used, composed answer."""
    lines = [f"action: {decision.action}  (mode {decision.mode}, language {decision.lang})"]
    scored = ", ".join(f"{i} {decision.scores[i]:.2f}" for i in decision.intents)
    lines.append(f"intents: {scored}  (confidence {decision.confidence:.2f})")
    if decision.reason:
        lines.append(f"handoff: {decision.reason} - {decision.reason_detail}")
    if decision.out_of_hours:
        lines.append("outside business hours")
    if decision.facts:
        lines.append("facts used:")
        lines.extend(f"  {name} = {value}" for name, value in decision.facts.items())
    for intent, text in decision.parts:
        lines.append(f"part [{intent}]: {text}")
    for violation in decision.violations:
        lines.append(f"guard: {violation.kind} {violation.match!r} ({violation.detail})")
    if decision.action == "answer":
        lines.append(f"answer: {decision.text}")
    return "\n".join(lines)


@app.command("try")
def try_command(
    text: Annotated[str, typer.Argument(help="the buyer's question")],
    item_file: Annotated[Path | None, typer.Option("--item-file", help="item JSON (GET /items/{id})")] = None,
    item: Annotated[
        str | None, typer.Option("--item", help="live item id, read through the API with a connected account")
    ] = None,
    account: Annotated[
        str | None,
        typer.Option("--account", help="with --item: account nickname or user id (default: the only one)"),
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", help="BotConfig YAML")] = None,
    description_file: Annotated[
        Path | None, typer.Option("--description-file", help="plain-text description")
    ] = None,
) -> None:
    """Show the decision, the facts used and the composed answer for one question."""
    if (item_file is None) == (item is None):
        typer.echo("give exactly one of --item-file or --item", err=True)
        raise typer.Exit(2)
    try:
        bot_config = BotConfig.from_yaml(config.read_text("utf-8")) if config else None
    except BotConfigError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    description = description_file.read_text("utf-8") if description_file else None
    if item is not None:
        from mostrador.cli.live_item import LiveItemError, fetch_live_item

        try:
            item_json, account_config = fetch_live_item(item, account)
        except LiveItemError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(2) from error
        bot_config = bot_config or account_config
    else:
        assert item_file is not None
        item_json = json.loads(item_file.read_text("utf-8"))
    decision = Bot(bot_config or BotConfig()).decide(
        text, item=item_json, description=description, now=datetime.now(UTC)
    )
    typer.echo(render_try(decision))
