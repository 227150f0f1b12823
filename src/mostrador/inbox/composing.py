"""Writing a reply: the team's templates, variables filled when the reply is sent, and the check that
runs while the agent types (the same guard that runs again before anything is posted)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from mostrador import i18n
from mostrador.accounts.seller_api import SellerApi
from mostrador.bot.guard import explain, guard
from mostrador.channels.base import ThreadRef
from mostrador.channels.registry import CHANNELS, UnknownChannel, channel_named
from mostrador.channels.variables import QUOTED_IDS
from mostrador.context import AppContext
from mostrador.conversations import service as conv_service
from mostrador.conversations.outgoing import ReplyRefused
from mostrador.conversations.templating import fill, unknown_variables, variables_in
from mostrador.i18n import gettext, pgettext
from mostrador.store import conversations as conversations_store
from mostrador.store import templates as templates_store
from mostrador.store.db import transaction
from mostrador.store.models import ReplyTemplate

NAME_MAX = 80
FILL_WAIT_S = 5.0  # how long a reply waits for the listing or order its variables come from
PLACEHOLDER = "x"  # what a variable counts as while the guard checks a text before its values exist


class TemplateRefused(ValueError):
    """A template cannot be saved as written (the message says why, in words for the agent)."""


@dataclass(frozen=True)
class TemplateView:
    id: int
    name: str
    channel: str | None
    channel_label: str
    text: str


@dataclass(frozen=True)
class Check:
    """What the guard says about a text being written: shown under the composer as the agent types."""

    length: int
    limit: int
    ok: bool
    problem: str  # the guard's explanation, or an unknown variable; empty when ok
    variables: list[str]  # the variables it names (filled when sent)


def _label(channel: str | None) -> str:
    return gettext(channel_named(channel).presentation.label) if channel else pgettext("canales", "Todas")


def _view(t: ReplyTemplate) -> TemplateView:
    return TemplateView(t.id, t.name, t.channel, _label(t.channel), t.text)


def templates_for(ctx: AppContext, workspace_id: int, channel: str | None = None) -> list[TemplateView]:
    """The workspace's templates (for one channel's composer: its own and those for every channel)."""
    with transaction(ctx.sessions) as s:
        return [_view(t) for t in templates_store.templates_of(s, workspace_id, channel)]


def _known_variables(channel: str | None) -> dict[str, str]:
    if channel:
        return dict(channel_named(channel).presentation.template_variables)
    # A template for every channel may only name what every channel can fill.
    shared = set.intersection(*(set(c.presentation.template_variables) for c in CHANNELS))
    first = CHANNELS[0].presentation.template_variables
    return {name: first[name] for name in first if name in shared}


def _limit(channel: str | None) -> int:
    return channel_named(channel).reply_limit if channel else min(c.reply_limit for c in CHANNELS)


def tidy(text: str, layout: str) -> str:
    """What is sent of a text: answers are one public paragraph; chat messages keep their line breaks."""
    return " ".join(text.split()) if layout == "answers" else text.strip()


def check(text: str, channel: str, limit: int | None = None) -> Check:
    """The guard on a text as it will be sent (tidied), with its variables standing in as placeholders
    (their values are read when it is sent); unknown variables named."""
    known = _known_variables(channel)
    limit = limit or _limit(channel)
    text = tidy(text, channel_named(channel).presentation.layout)
    names = variables_in(text)
    unknown = unknown_variables(text, known)
    if unknown:
        listed = ", ".join(f"{{{n}}}" for n in known) or gettext("ninguna")
        problem = gettext("No existe la variable %(name)s acá. Se pueden usar: %(names)s.") % {
            "name": f"{{{unknown[0]}}}",
            "names": listed,
        }
        return Check(len(text), limit, False, problem, names)
    probe = text
    for name in names:
        probe = probe.replace(f"{{{name}}}", PLACEHOLDER)
    result = guard(probe, limit=limit)
    return Check(
        len(text), limit, result.ok, "" if result.ok else explain(result, limit, i18n.current()), names
    )


def save_template(
    ctx: AppContext,
    workspace_id: int,
    user_id: int,
    template_id: int | None,
    name: str,
    channel: str | None,
    text: str,
) -> TemplateView:
    """Create or change a template; `TemplateRefused` when the name is taken or the text breaks a rule."""
    name, text = " ".join(name.split()), text.strip()
    if not name or len(name) > NAME_MAX:
        raise TemplateRefused(
            gettext("El nombre es obligatorio (hasta %(max)d caracteres).") % {"max": NAME_MAX}
        )
    if channel:
        try:
            channel_named(channel)
        except UnknownChannel as exc:
            raise TemplateRefused(gettext("Ese canal no existe.")) from exc
    if not text:
        raise TemplateRefused(gettext("El texto está vacío."))
    found = check(text, channel) if channel else _check_any(text)
    if not found.ok:
        raise TemplateRefused(found.problem)
    try:
        with transaction(ctx.sessions) as s:
            same_name = templates_store.template_named(s, workspace_id, name)
            if same_name is not None and same_name.id != template_id:
                raise TemplateRefused(_taken(name))
            if template_id is None:
                row = templates_store.add_template(s, workspace_id, user_id, name, channel, text)
            else:
                found_row = templates_store.template_in_workspace(s, workspace_id, template_id)
                if found_row is None:
                    raise LookupError("no such template in this workspace")
                row = found_row
                row.name, row.channel, row.text = name, channel, text
            return _view(row)
    except IntegrityError as exc:  # saved at the same moment by a colleague under the same name
        raise TemplateRefused(_taken(name)) from exc


def _taken(name: str) -> str:
    return gettext("Ya hay una plantilla llamada «%(name)s».") % {"name": name}


def _check_any(text: str) -> Check:
    known = _known_variables(None)
    unknown = unknown_variables(text, known)
    if unknown:
        listed = ", ".join(f"{{{n}}}" for n in known) or gettext("ninguna")
        problem = gettext(
            "Una plantilla para todos los canales no puede usar %(name)s. Se pueden usar: %(names)s."
        ) % {"name": f"{{{unknown[0]}}}", "names": listed}
        return Check(len(text), _limit(None), False, problem, variables_in(text))
    return check(text, CHANNELS[0].name, _limit(None))


def delete_template(ctx: AppContext, workspace_id: int, template_id: int) -> bool:
    with transaction(ctx.sessions) as s:
        return templates_store.delete_template(s, workspace_id, template_id)


@dataclass(frozen=True)
class Filled:
    """A reply with its variables filled, and the values Mercado Libre gave that it quotes (ids the guard
    would otherwise read as phone numbers)."""

    text: str
    quoted: tuple[str, ...] = ()


async def fill_variables(ctx: AppContext, workspace_id: int, conversation_id: int, text: str) -> Filled:
    """`text` with its variables filled from the thread's live listing or order (unchanged without any);
    `ReplyRefused` for an unknown variable or one with no value here; `LookupError` for no such thread."""
    if not variables_in(text):
        return Filled(text)
    with transaction(ctx.sessions) as s:
        thread = conversations_store.conversation_in_workspace(s, workspace_id, conversation_id)
        if thread is None:
            raise LookupError("no such conversation in this workspace")
        channel = channel_named(thread.channel)
        state_key = channel.presentation.state_key
        ref = ThreadRef(
            key=thread.external_key,
            item_id=thread.item_id,
            buyer=thread.contact.display_name if thread.contact else "",
            state=conv_service.state_of(thread, state_key) if state_key else {},
        )
        account_id = thread.account_id
    known = channel.presentation.template_variables
    unknown = unknown_variables(text, known)
    if unknown:
        fill(text, {}, known)  # raises, naming it
    api = await SellerApi.open(ctx, account_id)
    # Bounded: a reply waits a few seconds for Mercado Libre at most (TimeoutError: the caller says so).
    values = await asyncio.wait_for(channel.template_values(api, ref), FILL_WAIT_S)
    quoted = tuple(str(values[n]) for n in variables_in(text) if n in QUOTED_IDS and values.get(n))
    return Filled(fill(text, values, known), quoted)


__all__ = [
    "Check",
    "Filled",
    "ReplyRefused",
    "TemplateRefused",
    "TemplateView",
    "check",
    "delete_template",
    "fill_variables",
    "save_template",
    "templates_for",
]
