"""The metrics dashboards: claims, questions, post-sale messages and the reputation forecast, each a
server-rendered page whose tables download as CSV at the same address with `.csv` (`?table=` picks
one when a page has several). Viewers and up; every figure is of the user's workspace.

The pages are in the reader's language (the boards translate their words as they are built); a CSV's
headers are the columns' keys and its numbers plain values, the same in every language
(docs/dashboards.md)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from mostrador import i18n
from mostrador.context import AppContext
from mostrador.dashboards import claims_board, messages_board, questions_board, reputation_board
from mostrador.dashboards.board import Board
from mostrador.dashboards.filters import PRESETS, UnknownAccount
from mostrador.i18n import N_
from mostrador.users.roles import Role
from mostrador.web.deps import CurrentUser, NotInWorkspace, get_ctx, page, requires

router = APIRouter()
Viewer = Annotated[CurrentUser, Depends(requires(Role.VIEWER))]
TABS = {  # translated in the template
    claims_board.PATH: N_("Reclamos"),
    questions_board.PATH: N_("Preguntas"),
    messages_board.PATH: N_("Mensajes"),
    reputation_board.PATH: N_("Reputación"),
}
Builder = Callable[[AppContext, int, dict[str, str], bool], Awaitable[Board]]


def _in_thread(build: Callable[..., Board], takes_every_row: bool = False) -> Builder:
    async def run(ctx: AppContext, workspace_id: int, params: dict[str, str], csv: bool) -> Board:
        options = {"every_row": csv} if takes_every_row else {}
        return await run_in_threadpool(build, ctx, workspace_id, params, **options)

    return run


async def _reputation(ctx: AppContext, workspace_id: int, _params: dict[str, str], _csv: bool) -> Board:
    return await reputation_board.build(ctx, workspace_id)


BUILDERS: dict[str, Builder] = {
    claims_board.PATH: _in_thread(claims_board.build, takes_every_row=True),
    questions_board.PATH: _in_thread(questions_board.build),
    messages_board.PATH: _in_thread(messages_board.build),
    reputation_board.PATH: _reputation,
}


async def _board(request: Request, user: CurrentUser, path: str, csv: bool) -> Board:
    try:
        return await BUILDERS[path](get_ctx(request), user.workspace_id, dict(request.query_params), csv)
    except UnknownAccount as exc:  # another workspace's account, or none: as any id of theirs, not found
        raise NotInWorkspace("account") from exc


async def _page(request: Request, user: CurrentUser, path: str) -> Response:
    started = time.perf_counter()
    board = await _board(request, user, path, csv=False)
    response: Response = page(request, "dashboards.html", board=board, tabs=TABS, presets=PRESETS)
    response.headers["Server-Timing"] = f"dash;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


async def _csv(request: Request, user: CurrentUser, path: str) -> Response:
    board = await _board(request, user, path, csv=True)
    try:
        table = board.table(request.query_params.get("table"))
    except LookupError as exc:
        raise HTTPException(404, i18n.gettext("Esa tabla no existe en este tablero")) from exc
    name = f"{path.rsplit('/', 1)[-1]}-{table.name}.csv"
    return Response(
        table.csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/dashboards", dependencies=[Depends(requires(Role.VIEWER))])
async def dashboards_home() -> RedirectResponse:
    return RedirectResponse(claims_board.PATH, status_code=303)


@router.get(claims_board.PATH)
async def claims_page(request: Request, user: Viewer) -> Response:
    return await _page(request, user, claims_board.PATH)


@router.get(f"{claims_board.PATH}.csv")
async def claims_csv(request: Request, user: Viewer) -> Response:
    return await _csv(request, user, claims_board.PATH)


@router.get(questions_board.PATH)
async def questions_page(request: Request, user: Viewer) -> Response:
    return await _page(request, user, questions_board.PATH)


@router.get(f"{questions_board.PATH}.csv")
async def questions_csv(request: Request, user: Viewer) -> Response:
    return await _csv(request, user, questions_board.PATH)


@router.get(messages_board.PATH)
async def messages_page(request: Request, user: Viewer) -> Response:
    return await _page(request, user, messages_board.PATH)


@router.get(f"{messages_board.PATH}.csv")
async def messages_csv(request: Request, user: Viewer) -> Response:
    return await _csv(request, user, messages_board.PATH)


@router.get(reputation_board.PATH)
async def reputation_page(request: Request, user: Viewer) -> Response:
    return await _page(request, user, reputation_board.PATH)


@router.get(f"{reputation_board.PATH}.csv")
async def reputation_csv(request: Request, user: Viewer) -> Response:
    return await _csv(request, user, reputation_board.PATH)
