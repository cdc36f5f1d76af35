"""The Zalo ZNS channel (optional): an alert as a template message to the person's phone number in Zalo, through the
cooperative's Official Account. There is no maintained Python package for it; this is a small httpx client of ours.

What it relies on, as Zalo documents it (developers.zalo.me, "Zalo Notification Service" and "Official Account —
xác thực và ủy quyền", v4; the same calls as integrators quote them):

- Send: ``POST {api_url}/message/template`` with the header ``access_token`` and the JSON body ``{"phone":
  "84912345678", "template_id": "…", "template_data": {"<param>": "<value>", …}, "tracking_id": "…"}``; the phone
  in international form without "+". The answer is HTTP 200 with ``{"error": 0, "message": "Success", "data":
  {"msg_id": …, "sent_time": …, "quota": …}}``, or a nonzero ``error`` and its ``message``.
- A template is approved by Zalo with its parameters, each with a type and a maximum length; a value that breaks
  them is refused (-112). So each value is checked here first, and no request is made with a bad one.
- Token: ``POST {oauth_url}/v4/oa/access_token`` with the header ``secret_key`` (the app's) and the form
  ``refresh_token``, ``app_id``, ``grant_type=refresh_token``; the answer is ``{"access_token", "refresh_token",
  "expires_in"}`` (seconds, as a string; 25 hours today) or ``{"error", "error_name", "error_description"}``. A
  refresh token serves once: the one that comes back replaces it, and is written to the token file (whole, mode
  0600) before the access token is used, so that a crash after a refresh does not lose the only valid one.
- Error codes: ZNS's table (zalo.cloud/zns/guidelines/handle-error-code: -100 to -112 read there; -115, -118,
  -119 and -124 from the same table as integrators quote it) and, for tokens, the Official Account API's -216
  and -220, which ZNS sends answer too. A token refused with one of ``TOKEN_REFUSED`` is refreshed once and the
  message sent again once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import httpx
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from contract.wording import pick
from gateway.notify.email_channel import SEVERITY_WORD
from gateway.notify.notifier import Delivery, Outgoing
from gateway.notify.planner import SendKind
from gateway.notify.roster import Person

log = logging.getLogger(__name__)

# The access token is invalid or has expired: refresh it once, then send once more.
TOKEN_REFUSED = frozenset({-124, -216, -220})
# What the service's codes mean, for the technician reading the incident's timeline.
ERROR_WORDS: dict[int, str] = {
    -100: "unknown error at Zalo, try again later",
    -101: "Zalo app id invalid",
    -102: "Zalo app does not exist",
    -103: "Zalo app not activated",
    -104: "Zalo app secret key invalid",
    -105: "Zalo app not linked to an Official Account",
    -106: "method not supported by Zalo",
    -108: "phone number refused by Zalo",
    -109: "template id unknown to Zalo",
    -110: "the person's Zalo app is too old for ZNS",
    -111: "template data empty",
    -112: "template data refused by Zalo",
    -115: "ZNS quota used up: top up the ZNS account",
    -118: "no Zalo account on this number",
    -119: "this Zalo account cannot receive ZNS",
    -124: "access token invalid",
    -216: "access token invalid",
    -220: "access token expired or removed",
}
# Zalo's limit on tracking_id, which it hands back in delivery reports.
TRACKING_ID_MAX = 48


class ParamValue(StrEnum):
    """What a template parameter is filled with."""

    GREENHOUSE = "greenhouse"  # the greenhouse's name in the reader's language
    MESSAGE = "message"  # what happened as the notifier says it ("Chị Lan đã nhận — Sương muối: …")
    ALERT_TEXT = "alert_text"  # the alert alone, in the reader's language
    TIME = "time"  # when it was raised, taken or cleared: "03:12 15/01/2026"
    SEVERITY = "severity"  # "Nguy cấp" / "Critical"
    TAKEN_BY = "taken_by"  # the name of who took it


_SAID: dict[ParamValue, str] = {
    ParamValue.GREENHOUSE: "the greenhouse's name",
    ParamValue.MESSAGE: "the message",
    ParamValue.ALERT_TEXT: "the alert's text",
    ParamValue.TIME: "the time",
    ParamValue.SEVERITY: "the severity word",
    ParamValue.TAKEN_BY: "the name of who took it",
}


class TemplateParam(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_]{1,50}$")  # as written in the approved template: <house>
    value: ParamValue
    max_length: int = Field(ge=1, le=400)  # as approved by Zalo for the parameter's type
    # Free text that may be shortened, ending in "…", to fit; a name or a time is refused rather than cut.
    may_cut: bool = False


class ZnsTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    template_id: str = Field(min_length=1, max_length=32)
    params: list[TemplateParam] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ZnsTemplate:
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"template {self.template_id}: a parameter is named twice")
        return self


class ZnsTemplates(BaseModel):
    """One approved template per kind of message; without one for "taken" or "cleared", those are not sent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alert: ZnsTemplate
    taken: ZnsTemplate | None = None
    cleared: ZnsTemplate | None = None

    def of(self, kind: SendKind) -> ZnsTemplate | None:
        return {SendKind.ALERT: self.alert, SendKind.TAKEN: self.taken, SendKind.CLEARED: self.cleared}[kind]


class ZnsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    app_id: str = Field(min_length=1, max_length=64)
    secret_key: SecretStr
    token_file: Path  # the OA's tokens; first written by hand with the refresh token of the OA's authorisation
    templates: ZnsTemplates
    api_url: str = Field(default="https://business.openapi.zalo.me", pattern=r"^https?://")
    oauth_url: str = Field(default="https://oauth.zaloapp.com", pattern=r"^https?://")
    timeout_s: float = Field(default=15.0, gt=0, le=120)
    # Refreshed this long before it expires, so that a send at 3 a.m. never meets an expired token.
    refresh_before_s: int = Field(default=3600, ge=0)


class ZaloTokens(BaseModel):
    """The token file's content."""

    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1)
    access_token: str | None = None
    expires_at: AwareDatetime | None = None


class _Refreshed(BaseModel):
    access_token: str = Field(min_length=1)
    refresh_token: str = Field(min_length=1)
    expires_in: int = Field(gt=0)  # Zalo sends it as a string of digits; pydantic reads it as a number


class _Sent(BaseModel):
    msg_id: str = ""


class _Answer(BaseModel):
    error: int
    message: str = ""
    data: _Sent | None = None


_M = TypeVar("_M", bound=BaseModel)


class NotSent(Exception):
    """Why a message was not sent, said for a technician: it becomes the delivery's detail."""


def save_tokens(path: Path, tokens: ZaloTokens) -> None:
    """Write the token file whole: beside it, readable by its owner only, fsynced, renamed over it, the folder
    fsynced. A power cut leaves the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), 0o600)  # a temporary left by a crash may have been made with other bits
        f.write(tokens.model_dump_json(indent=2).encode())
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def tracking_id(send_key: str) -> str:
    """The send's key as Zalo takes a tracking id: a hash, since the key may be longer and hold any character."""
    return hashlib.sha256(send_key.encode()).hexdigest()[:TRACKING_ID_MAX]


def fit(param: TemplateParam, value: str) -> str:
    """``value`` as the parameter takes it — one line, NFC (Zalo counts a Vietnamese letter as one), within its
    length, cut at a word with "…" where the parameter may be cut — or ``NotSent`` saying why it cannot."""
    said = _SAID[param.value]
    text = unicodedata.normalize("NFC", re.sub(r"\s+", " ", value)).strip()
    if not text:
        raise NotSent(f"parameter {param.name}: {said} is empty")
    if len(text) <= param.max_length:
        return text
    if not param.may_cut:
        raise NotSent(f"parameter {param.name} takes {param.max_length} characters, {said} has {len(text)}")
    head = text[: param.max_length - 1]
    word = head.rsplit(" ", 1)[0]
    return (word if len(word) >= param.max_length * 2 // 3 else head).rstrip(" ,.;:—-") + "…"


class ZaloZns:
    """A ``Sender``: ``__call__`` sends one template message and says whether Zalo took it, never raising.

    ``people`` finds a person by id (who took an incident); ``clock`` is the wall clock the token's expiry is
    counted on."""

    def __init__(
        self,
        settings: ZnsSettings,
        tz: ZoneInfo,
        people: Callable[[str], Person | None],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.tz = tz
        self.people = people
        self.clock = clock
        self._http = httpx.Client(timeout=settings.timeout_s)
        self._lock = threading.Lock()  # one refresh at a time: a refresh token serves once
        self._tokens: ZaloTokens | None = None

    def __call__(self, outgoing: Outgoing) -> Delivery:
        try:
            msg_id = self._send(self.request(outgoing))
        except NotSent as failed:
            log.info("zalo message not sent", extra={"incident": outgoing.incident.id, "detail": str(failed)})
            return Delivery(ok=False, detail=str(failed))
        log.debug("zalo message sent", extra={"incident": outgoing.incident.id, "msg_id": msg_id})
        return Delivery(ok=True)

    # --- what is sent -------------------------------------------------------------------------
    def request(self, outgoing: Outgoing) -> dict[str, object]:
        """The body of the send, every parameter checked; ``NotSent`` when one does not fit its template."""
        kind = outgoing.send.kind
        template = self.settings.templates.of(kind)
        if template is None:
            raise NotSent(f"no ZNS template for {kind.value} messages")
        if outgoing.person.phone is None:
            raise NotSent("no phone number")
        data: dict[str, str] = {}
        for param in template.params:
            try:
                data[param.name] = fit(param, self._value(param.value, outgoing))
            except NotSent as failed:
                raise NotSent(f"ZNS template {template.template_id} ({kind.value}): {failed} — not sent") from None
        return {
            "phone": outgoing.person.phone.removeprefix("+"),
            "template_id": template.template_id,
            "template_data": data,
            "tracking_id": tracking_id(outgoing.send.key),
        }

    def _value(self, value: ParamValue, outgoing: Outgoing) -> str:
        lang = outgoing.person.lang
        incident = outgoing.incident
        if value is ParamValue.GREENHOUSE:
            return outgoing.title
        if value is ParamValue.MESSAGE:
            return outgoing.body
        if value is ParamValue.ALERT_TEXT:
            return incident.text_vi if lang == "vi" else incident.text_en
        if value is ParamValue.SEVERITY:
            return pick(SEVERITY_WORD[incident.severity], lang)
        if value is ParamValue.TIME:
            moment = {SendKind.ALERT: incident.opened_at, SendKind.TAKEN: incident.acked_at,
                      SendKind.CLEARED: incident.resolved_at}[outgoing.send.kind]  # fmt: skip
            return (moment or outgoing.at).astimezone(self.tz).strftime("%H:%M %d/%m/%Y")
        taker = self.people(incident.acked_by) if incident.acked_by else None
        return taker.name if taker is not None else ""  # never the id: a farmer reads it

    # --- how it is sent -----------------------------------------------------------------------
    def _send(self, body: dict[str, object]) -> str:
        token = self._access_token(stale=None)
        answer = self._post(body, token)
        if answer.error in TOKEN_REFUSED:
            log.info("zalo refused the access token: refreshing", extra={"error": answer.error})
            answer = self._post(body, self._access_token(stale=token))
        if answer.error != 0:
            words = ERROR_WORDS.get(answer.error, answer.message[:120] or "no reason given")
            raise NotSent(f"Zalo: {words} ({answer.error})")
        return answer.data.msg_id if answer.data is not None else ""

    def _post(self, body: dict[str, object], token: str) -> _Answer:
        url = f"{self.settings.api_url}/message/template"
        try:
            response = self._http.post(url, json=body, headers={"access_token": token})
        except httpx.HTTPError as exc:
            raise NotSent(f"Zalo not reached: {type(exc).__name__}: {exc}") from None
        return _answer(response, _Answer, "Zalo")

    def _access_token(self, stale: str | None) -> str:
        """A usable access token: the one held, unless it is ``stale`` (Zalo refused it), missing or about to
        expire — then a fresh one, its refresh token saved first."""
        with self._lock:
            tokens = self._tokens or self._load()
            expiring = tokens.expires_at is None or tokens.expires_at - timedelta(
                seconds=self.settings.refresh_before_s
            ) <= self.clock()
            if tokens.access_token is not None and tokens.access_token != stale and not expiring:
                self._tokens = tokens
                return tokens.access_token
            self._tokens, access_token = self._refresh(tokens)
            return access_token

    def _load(self) -> ZaloTokens:
        path = self.settings.token_file
        try:
            return ZaloTokens.model_validate_json(path.read_bytes())
        except (OSError, ValidationError) as exc:
            raise NotSent(
                f"Zalo token file {path} not readable ({type(exc).__name__}): authorise the Official Account and "
                "write its refresh token there"
            ) from None

    def _refresh(self, tokens: ZaloTokens) -> tuple[ZaloTokens, str]:
        s = self.settings
        asked_at = self.clock()
        try:
            response = self._http.post(
                f"{s.oauth_url}/v4/oa/access_token",
                headers={"secret_key": s.secret_key.get_secret_value()},
                data={"refresh_token": tokens.refresh_token, "app_id": s.app_id, "grant_type": "refresh_token"},
            )
        except httpx.HTTPError as exc:
            raise NotSent(f"Zalo sign-in not reached: {type(exc).__name__}: {exc}") from None
        refused = _refusal(response)
        if refused is not None:
            raise NotSent(
                f"Zalo refused the refresh token: {refused} — authorise the Official Account again and write its "
                f"refresh token to {s.token_file}"
            )
        got = _answer(response, _Refreshed, "Zalo sign-in")
        expires_at = asked_at + timedelta(seconds=got.expires_in)
        fresh = ZaloTokens(refresh_token=got.refresh_token, access_token=got.access_token, expires_at=expires_at)
        try:
            save_tokens(s.token_file, fresh)
        except OSError as exc:  # the old refresh token is spent: this one, held in memory only, is all there is
            log.error("zalo refresh token not saved", extra={"token_file": str(s.token_file), "error": str(exc)})
        log.info("zalo access token refreshed", extra={"expires_at": expires_at.isoformat()})
        return fresh, got.access_token


def _refusal(response: httpx.Response) -> str | None:
    """The OAuth server's refusal in words, or None when it answered with tokens."""
    try:
        said = response.json()
    except json.JSONDecodeError:
        return None
    if not isinstance(said, dict) or not said.get("error"):
        return None
    name = said.get("error_name") or said.get("error_description") or said.get("message") or "no reason given"
    return f"{str(name)[:120]} ({said['error']})"


def _answer(response: httpx.Response, model: type[_M], who: str) -> _M:
    if response.status_code != 200:
        raise NotSent(f"{who} answered HTTP {response.status_code}")
    try:
        return model.model_validate_json(response.content)
    except ValidationError:
        raise NotSent(f"{who} answered something unreadable: {response.text[:120]!r}") from None
