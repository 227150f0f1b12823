"""`mostrador bot classify | eval | try` through typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mostrador.cli.bot_cmd import app

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bot"
runner = CliRunner()


def test_classify_reads_and_writes_json_lines() -> None:
    stdin = '{"text": "¿Hacen factura A?"}\n\n{"text": "Qual o frete pra SP?", "lang": "pt"}\n'
    result = runner.invoke(app, ["classify"], input=stdin)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["intents"] for r in rows] == [["invoice"], ["shipping"]]
    assert set(rows[0]["scores"]) >= {"invoice", "other"}


def test_eval_prints_table_and_json(tmp_path: Path) -> None:
    labelled = tmp_path / "mini.jsonl"
    labelled.write_text(
        '{"text": "¿Tiene garantía de fábrica?", "intents": ["warranty"]}\n'
        '{"text": "¿Hacen envíos a Salta?", "intents": ["shipping"]}\n'
        '{"text": "¿Hacen envíos a Salta?", "intents": ["pickup"]}\n',
        "utf-8",
    )
    table = runner.invoke(app, ["eval", str(labelled)])
    assert table.exit_code == 0 and "micro-F1" in table.output and "confusion" in table.output
    machine = json.loads(runner.invoke(app, ["eval", str(labelled), "--json"]).output)
    assert machine["total"] == 3
    assert machine["per_intent"]["warranty"]["f1"] == 1.0
    assert {"gold": "pickup", "predicted": "shipping", "count": 1} in machine["confusion"]
    assert round(machine["micro_f1"], 3) == round(2 * 2 / (2 * 2 + 1 + 1), 3)


def test_try_shows_decision_facts_and_answer(tmp_path: Path) -> None:
    config = tmp_path / "bot.yaml"
    config.write_text("mode: auto\nuse_greeting: false\n", "utf-8")
    result = runner.invoke(
        app,
        [
            "try",
            "¿Tenés el rojo en talle 40?",
            "--item-file",
            str(FIXTURES / "items" / "sneakers_variations.json"),
            "--config",
            str(config),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "action: answer  (mode auto, language es)" in result.output
    assert "stock of Rojo/40 = 3" in result.output
    assert "answer: Sí, lo tenemos en rojo talle 40. ¡Saludos!" in result.output


def test_try_reports_a_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "bot.yaml"
    config.write_text("templates: {es: {price.price: 'Sale {precio}'}}\n", "utf-8")
    item = str(FIXTURES / "items" / "sneakers_variations.json")
    result = runner.invoke(app, ["try", "¿Precio?", "--item-file", item, "--config", str(config)])
    assert result.exit_code == 2 and "precio" in result.output
