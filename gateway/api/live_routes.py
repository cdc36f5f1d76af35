"""The phone's live endpoints: every greenhouse now, a stream of changes, manual commands, the alerts list."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import StreamingResponse

from contract.reasons import pick
from contract.site import SiteConfig
from gateway.accounts.roles import Action
from gateway.api.access import Principal, may_see, require_greenhouse
from gateway.api.auth import Auth, request_lang
from gateway.api.sse_gzip import accepted, compressed
from gateway.live.models import AlertNow, CommandAnswer, CommandRequest, GreenhouseNow
from gateway.live.service import Live, UnknownActuator
from gateway.live.stream import events
from gateway.live.words import NO_ACTUATOR, NO_ALERT

# A comment line this often keeps proxies and phones from dropping a quiet stream.
PING_S = 15.0
UNPROCESSABLE = 422


def live_router(
    site: SiteConfig, live: Live, auth: Auth, on_ack: Callable[[AlertNow], None] | None = None
) -> APIRouter:
    """``on_ack``: told of each acknowledgement from the list (the notifier, which stops the chain at once)."""
    router = APIRouter(prefix="/api/v1")
    Reader = Annotated[Principal, Depends(auth.allowed(Action.READ))]
    Commander = Annotated[Principal, Depends(auth.allowed(Action.COMMAND))]
    Acknowledger = Annotated[Principal, Depends(auth.allowed(Action.ACK_ALERTS))]

    def visible(who: Principal) -> list[str]:
        return [g.id for g in site.greenhouses if may_see(site, who, g.id)]

    @router.get("/live/greenhouses", response_model=list[GreenhouseNow], summary="Every greenhouse one may see, now")
    def greenhouses_now(who: Reader) -> list[GreenhouseNow]:
        return live.pictures(visible(who))

    @router.get(
        "/live/stream",
        response_class=StreamingResponse,
        summary="Server-sent events: `greenhouse` with each GreenhouseNow at the start, then `patch` with what "
        "changed in one (gateway/live/patch.py), numbered by `id`; gzip when the client accepts it",
    )
    def stream(who: Reader, request: Request) -> StreamingResponse:
        text = events(live, visible(who), PING_S)
        # No buffering or recompressing by a proxy in front: each event must reach the phone when it happens.
        headers = {"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no", "Vary": "Accept-Encoding"}
        encoding = accepted(request.headers.get("accept-encoding", ""))
        if encoding is None:
            return StreamingResponse(text, media_type="text/event-stream", headers=headers)
        headers["Content-Encoding"] = encoding.value
        return StreamingResponse(compressed(text, encoding), media_type="text/event-stream", headers=headers)

    @router.post(
        "/greenhouses/{greenhouse}/commands",
        response_model=CommandAnswer,
        summary="A manual run (on/off for N seconds, or back to auto), answered by the greenhouse itself",
    )
    def command(greenhouse: str, body: CommandRequest, who: Commander, request: Request) -> CommandAnswer:
        require_greenhouse(site, who, greenhouse)
        try:
            return live.command(greenhouse, body, who.name)
        except UnknownActuator:
            detail = pick(NO_ACTUATOR, request_lang(request)).format(actuator=body.actuator)
            raise HTTPException(UNPROCESSABLE, detail) from None

    @router.get("/greenhouses/{greenhouse}/alerts", response_model=list[AlertNow], summary="Alerts, newest first")
    def alerts(greenhouse: str, who: Reader, include_cleared: bool = False) -> list[AlertNow]:
        require_greenhouse(site, who, greenhouse)
        return live.alerts(greenhouse, include_cleared)

    @router.post(
        "/greenhouses/{greenhouse}/alerts/{alert}/ack", response_model=AlertNow, summary="Acknowledge an alert"
    )
    def acknowledge(greenhouse: str, alert: str, who: Acknowledger, request: Request) -> AlertNow:
        require_greenhouse(site, who, greenhouse)
        acked = live.acknowledge(greenhouse, alert, who.name)
        if acked is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, pick(NO_ALERT, request_lang(request)).format(alert=alert))
        if on_ack is not None:
            on_ack(acked)
        return acked

    return router
