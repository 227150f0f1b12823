"""The shape the code must keep, checked on its source: channels are whole plug-ins (no channel's name
outside `channels/`), and SQL lives only in `store/`. Import layers are checked by import-linter
(`make lint`); these are the rules it cannot express."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from mostrador.channels.registry import CHANNELS, TOPICS

SRC = Path(__file__).resolve().parent.parent / "src" / "mostrador"
# Packages that talk Mercado Libre's language by design (the API client, the pure bot, the emulator)
# and the channels themselves; the schema's table names (`messages`) are not channel names either.
STANDALONE = ("meli", "bot", "sandbox", "channels")
SCHEMA = ("store/models", "store/migrations")
CHANNEL_WORDS = {c.name for c in CHANNELS} | set(TOPICS)
# Query-building names of SQLAlchemy; engines, connections and sessions may be passed around anywhere.
SQL_NAMES = {"select", "insert", "update", "delete", "func", "text", "or_", "and_", "bindparam", "exists"}
JINJA = re.compile(r"{[{%](.*?)[%}]}", re.S)
QUOTED = re.compile(r"""(['"])([a-z_]+)\1""")


def _product_modules(exclude: tuple[str, ...]) -> list[Path]:
    files = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if relative.split("/")[0] in STANDALONE or relative.startswith(exclude):
            continue
        files.append(path)
    return files


def _literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_the_registry_knows_the_channels_this_test_looks_for() -> None:
    assert {"questions", "messages", "claims", "post_purchase"} <= CHANNEL_WORDS


@pytest.mark.parametrize("path", _product_modules(SCHEMA), ids=lambda p: p.relative_to(SRC).as_posix())
def test_no_channel_name_outside_channels(path: Path) -> None:
    """A new channel is one module and one registry line: nothing else may know channels by name."""
    named = [(line, value) for line, value in _literals(path) if value in CHANNEL_WORDS]
    assert named == [], f"{path.relative_to(SRC)} names channels; go through channels.registry instead"


def test_no_channel_name_in_the_templates() -> None:
    found = []
    for template in sorted((SRC / "web" / "templates").glob("*.html")):
        for block in JINJA.findall(template.read_text(encoding="utf-8")):
            found += [(template.name, word) for _, word in QUOTED.findall(block) if word in CHANNEL_WORDS]
    assert found == [], "templates must show what the channel's Presentation says, not test channel names"


@pytest.mark.parametrize("path", _product_modules(("store/",)), ids=lambda p: p.relative_to(SRC).as_posix())
def test_sql_only_in_store(path: Path) -> None:
    """Repositories in `store/` are the only place that writes SQL (STYLE: Polar's habit)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    used = [
        (node.lineno, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy")
        for alias in node.names
        if alias.name in SQL_NAMES
    ]
    queries = [
        (node.lineno, node.func.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("query", "execute", "exec_driver_sql")
    ]
    assert used == [] and queries == [], f"SQL in {path.relative_to(SRC)}: move it to a store repository"
