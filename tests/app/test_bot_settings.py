"""Bot configuration per account, edited in the inbox as YAML: validated, stored, exported, scoped."""

from __future__ import annotations

import httpx
import yaml

from mostrador.context import AppContext
from mostrador.store import people as people_store
from mostrador.store.db import transaction
from mostrador.store.models import Account


async def test_defaults_are_shown_and_the_mode_can_change(
    web: httpx.AsyncClient, account_id: int, ctx: AppContext
) -> None:
    page = await web.get(f"/accounts/{account_id}/bot")
    assert page.status_code == 200
    # A newly connected real account only drafts: answering buyers unreviewed is the seller's choice.
    assert "mode: draft" in page.text
    r = await web.post(f"/accounts/{account_id}/bot/mode", data={"mode": "auto"})
    assert r.status_code == 303
    with transaction(ctx.sessions) as s:
        assert s.get(Account, account_id).bot_config["mode"] == "auto"  # type: ignore[index,union-attr]


async def test_yaml_is_validated_stored_and_exported(web: httpx.AsyncClient, account_id: int) -> None:
    current = yaml.safe_load((await web.get(f"/accounts/{account_id}/bot.yaml")).text)
    current["facts"]["invoice"] = {"issues": True, "kind": "Factura A y B"}
    current["extra_phrases"] = {"invoice": ["me hacés factura a nombre de la empresa?"]}
    r = await web.post(
        f"/accounts/{account_id}/bot", data={"yaml": yaml.safe_dump(current, allow_unicode=True)}
    )
    assert r.status_code == 303
    exported = await web.get(f"/accounts/{account_id}/bot.yaml")
    assert "attachment" in exported.headers["content-disposition"]
    again = yaml.safe_load(exported.text)
    assert again["facts"]["invoice"]["kind"] == "Factura A y B"
    assert again["extra_phrases"]["invoice"] == ["me hacés factura a nombre de la empresa?"]


async def test_bad_configurations_get_a_clear_error_and_change_nothing(
    web: httpx.AsyncClient, account_id: int, ctx: AppContext
) -> None:
    for text, message in [
        ("mode: [unclosed", "not valid YAML"),
        ("mode: sometimes", "mode"),
        ("templates:\n  es:\n    availability: 'Llamanos al 11 4567 8901'\n", "Mercado Libre"),
        ("surprise_field: 1", "surprise_field"),
    ]:
        r = await web.post(f"/accounts/{account_id}/bot", data={"yaml": text})
        assert r.status_code == 422, text
        assert message in r.text
    with transaction(ctx.sessions) as s:
        assert s.get(Account, account_id).bot_config is None  # type: ignore[union-attr]


async def test_yaml_file_import(web: httpx.AsyncClient, account_id: int) -> None:
    body = "mode: draft\nconfidence_threshold: 0.9\n"
    r = await web.post(
        f"/accounts/{account_id}/bot",
        data={"yaml": ""},
        files={"upload": ("bot.yaml", body, "application/yaml")},
    )
    assert r.status_code == 303
    exported = yaml.safe_load((await web.get(f"/accounts/{account_id}/bot.yaml")).text)
    assert exported["mode"] == "draft" and exported["confidence_threshold"] == 0.9


async def test_another_workspace_cannot_see_or_change_the_account(
    web: httpx.AsyncClient, ctx: AppContext
) -> None:
    with transaction(ctx.sessions) as s:
        other = people_store.get_or_create_workspace(s, "someone else")
        acc = Account(workspace_id=other.id, meli_user_id=99, nickname="OTHER", site_id="MLB")
        s.add(acc)
        s.flush()
        other_id = acc.id
    assert (await web.get(f"/accounts/{other_id}/bot")).status_code == 404
    assert (await web.get(f"/accounts/{other_id}/bot.yaml")).status_code == 404
    assert (await web.post(f"/accounts/{other_id}/bot", data={"yaml": "mode: draft"})).status_code == 404
    assert (await web.post(f"/accounts/{other_id}/bot/mode", data={"mode": "draft"})).status_code == 404
