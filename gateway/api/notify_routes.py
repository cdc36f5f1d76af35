"""The phone's side of alerts: turning notifications on and off, "send me a test alert", the notification's "Đã
biết" button, an alert's timeline, and the farm's alert number to save as a contact."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from contract.site import SiteConfig
from contract.wording import pick
from gateway.accounts.roles import Action
from gateway.api.access import Principal, require_greenhouse
from gateway.api.auth import Auth, request_lang
from gateway.live.service import Live
from gateway.notify.push_channel import ACK_PATH
from gateway.notify.service import NotifyService, TestAnswer
from gateway.notify.webpush import PushSubscription

_NO_NOTIFIER = (
    "Máy chủ chưa có danh sách người trực nên chưa báo cho ai. Nhờ kỹ thuật viên thêm danh sách trực.",
    "This server has no duty roster yet, so nobody is told. Ask the technician to add one.",
)
_NO_ALERT = ("Không có cảnh báo {alert}", "No alert {alert}")
_NO_TOKEN = ("Không tìm thấy cảnh báo này", "This alert was not found")
_NO_NUMBER = ("Chưa ghi số điện thoại của máy báo", "The farm's alert number is not set")


class PushKey(BaseModel):
    public_key: str | None  # the VAPID application server key; None: this server sends no phone notifications


class Said(BaseModel):
    said: str


class Unsubscribe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    endpoint: str = Field(min_length=1, max_length=2048)


class TimelineEntry(BaseModel):
    at: datetime
    ok: bool
    said: str


class Timeline(BaseModel):
    entries: list[TimelineEntry]


class Contact(BaseModel):
    farm_number: str | None
    name: str


def notify_router(site: SiteConfig, live: Live, notify: NotifyService | None, auth: Auth) -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    Reader = Annotated[Principal, Depends(auth.allowed(Action.READ))]

    def required(request: Request) -> NotifyService:
        if notify is None:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, pick(_NO_NOTIFIER, request_lang(request)))
        return notify

    @router.get("/notify/push-key", response_model=PushKey, summary="The key phones subscribe to notifications with")
    def push_key(who: Reader) -> PushKey:
        return PushKey(public_key=notify.push_key() if notify is not None else None)

    @router.post(
        "/notify/subscriptions",
        response_model=Said,
        status_code=status.HTTP_201_CREATED,
        summary="This phone takes notifications for the signed-in user (the browser's PushSubscription.toJSON())",
    )
    def subscribe(sub: PushSubscription, who: Reader, request: Request) -> Said:
        return Said(said=required(request).subscribe(who.name, sub, request_lang(request)))

    @router.post("/notify/subscriptions/remove", response_model=Said, summary="This phone takes no notifications")
    def unsubscribe(body: Unsubscribe, who: Reader, request: Request) -> Said:
        return Said(said=required(request).unsubscribe(who.name, body.endpoint, request_lang(request)))

    @router.post("/notify/test", response_model=TestAnswer, summary="A test alert to the signed-in user")
    def test(who: Reader, request: Request) -> TestAnswer:
        return required(request).test(who.name, request_lang(request))

    @router.post(
        ACK_PATH.removeprefix("/api/v1") + "{token}",
        response_model=Said,
        summary="A notification's 'Đã biết' button: the token in the path is the proof, no session needed",
    )
    def ack_by_token(token: Annotated[str, Field(max_length=64)], request: Request, response: Response) -> Said:
        lang = request_lang(request)
        answer = required(request).ack_by_token(token, lang)
        if answer is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, pick(_NO_TOKEN, lang))
        if answer.over:
            response.status_code = status.HTTP_410_GONE
        return Said(said=answer.said)

    @router.get(
        "/greenhouses/{greenhouse}/alerts/{alert}/timeline",
        response_model=Timeline,
        summary="Who was told of an alert, how and when, and who took it",
    )
    def alert_timeline(greenhouse: str, alert: str, who: Reader, request: Request) -> Timeline:
        require_greenhouse(site, who, greenhouse)
        lang = request_lang(request)
        found = next((a for a in live.alerts(greenhouse, include_cleared=True) if a.id == alert), None)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, pick(_NO_ALERT, lang).format(alert=alert))
        lines = notify.timeline(found, lang) if notify is not None else []
        return Timeline(entries=[TimelineEntry(at=line.at, ok=line.ok, said=line.said) for line in lines])

    @router.get("/notify/contact", response_model=Contact, summary="The farm's alert number, to save as a contact")
    def contact(who: Reader, request: Request) -> Contact:
        lang = request_lang(request)
        service = required(request)
        return Contact(farm_number=service.farm_number(), name=service.contact_name(lang))

    @router.get("/notify/contact.vcf", summary="The farm's alert number as a vCard")
    def contact_card(who: Reader, request: Request) -> Response:
        lang = request_lang(request)
        service = required(request)
        number = service.farm_number()
        if number is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, pick(_NO_NUMBER, lang))
        card = vcard(service.contact_name(lang), number)
        headers = {"Content-Disposition": 'attachment; filename="canh-bao-nha-mang.vcf"'}
        return Response(card, media_type="text/vcard; charset=utf-8", headers=headers)

    return router



def vcard(name: str, number: str) -> str:
    """A vCard 3.0 (RFC 2426: the version Android's contacts import reads best) of one name and one phone number,
    text escaped, CRLF lines."""
    escaped = name.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"N:;{escaped};;;", f"FN:{escaped}", f"TEL;TYPE=CELL:{number}", "END:VCARD"]
    return "\r\n".join(lines) + "\r\n"
