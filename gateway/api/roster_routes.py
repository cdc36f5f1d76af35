"""Who is told of alerts, and how they escalate: the duty roster and the cooperative's escalation settings, edited by
its admins and technicians and taken by the running notifier at once; everybody may read who is on duty this week
(a farmer: for their own greenhouses). A refusal names its field in the reader's words ("Chị Lan › số điện thoại:
…") and carries its place (``loc``) as FastAPI's own refusals do."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contract.config_file import ConfigError
from contract.site import SiteConfig
from contract.validation_words import Words, describe
from contract.wording import Lang, pick
from gateway.accounts.roles import Action, Role, may
from gateway.accounts.service import Accounts
from gateway.api.access import Principal, may_see
from gateway.api.auth import Auth, request_lang
from gateway.notify.policy import Policy
from gateway.notify.roster import Roster, roster_problems
from gateway.notify.service import NotifyService
from gateway.notify.settings_files import CooperativePolicy, FileChanged, NotifyFiles

UNPROCESSABLE = 422

_NO_DATA_DIR = ("Gateway này không có thư mục dữ liệu", "This gateway has no data dir")
_BROKEN = (
    "Tệp {file} trên máy chủ có lỗi, sửa bằng 'greenhouse roster check': {lines}",
    "The file {file} on the server has mistakes; check it with 'greenhouse roster check': {lines}",
)
_CHANGED = (
    "Người khác vừa lưu trong lúc bạn sửa: tải lại trang để xem bản mới",
    "Somebody else saved while you were editing: reload to see theirs",
)
_CANNOT_WRITE = ("Không ghi được tệp: {detail}", "The file cannot be written: {detail}")
_SAVED_RUNNING = ("Đã lưu. Từ giờ cảnh báo được báo theo danh sách này.", "Saved. Alerts are told by it from now on.")
_SAVED_LATER = (
    "Đã lưu. Máy chủ dùng danh sách này từ lần khởi động sau.",
    "Saved. The server uses it from its next start.",
)
_POLICY_SAVED_RUNNING = ("Đã lưu. Từ giờ cảnh báo được báo theo các bước này.", "Saved. Alerts follow these steps now.")
_POLICY_SAVED_LATER = (
    "Đã lưu. Máy chủ dùng các bước này từ lần khởi động sau.",
    "Saved. The server uses these steps from its next start.",
)
_NO_SUCH_GREENHOUSE = ("không có nhà màng {id} trong tệp cấu hình", "the site has no greenhouse {id}")
_TWICE = ("nhà màng này đã có danh sách ở trên", "this greenhouse already has a list above")
_NO_ACCOUNT = (
    "hợp tác xã không có tài khoản {name}",
    "the cooperative has no account {name}",
)

# Each field's name as its reader says it; a person is named by their name, a greenhouse by the site's.
_FIELDS: dict[str, Words] = {
    "name": Words("tên", "name"),
    "phone": Words("số điện thoại", "phone number"),
    "email": Words("email", "email"),
    "lang": Words("ngôn ngữ", "language"),
    "channels": Words("cách báo", "channels"),
    "plain_sms": Words("tin nhắn không dấu", "SMS without diacritics"),
    "account": Words("tài khoản ứng dụng", "web app account"),
    "id": Words("mã", "id"),
    "greenhouse": Words("nhà màng", "greenhouse"),
    "people": Words("người được báo", "people told"),
    "rotation": Words("thay phiên theo tuần", "weekly turns"),
    "duties": Words("danh sách trực", "duty lists"),
    "farm_number": Words("số máy báo của trang trại", "the farm's alert number"),
    "critical": Words("Nguy cấp", "Critical"),
    "warning": Words("Cảnh báo", "Warning"),
    "info": Words("Thông tin", "Information"),
    "steps": Words("các bước", "steps"),
    "after_min": Words("sau (phút)", "after (minutes)"),
    "rank": Words("báo cho ai", "whom"),
    "back_after_ack_min": Words("báo lại sau khi đã nhận (phút)", "told again after it was taken (minutes)"),
    "quiet": Words("giờ yên lặng", "quiet hours"),
    "start": Words("bắt đầu", "start"),
    "end": Words("kết thúc", "end"),
}
_NTH_PERSON = Words("người thứ {n}", "person {n}")
_NTH_STEP = Words("bước {n}", "step {n}")
_NTH_LIST = Words("danh sách thứ {n}", "list {n}")
_HOUSE = Words("nhà {name}", "{name}")
_LISTS = {"people", "duties", "steps", "rotation"}


class OnDuty(BaseModel):
    greenhouse: str
    name: str  # the greenhouse, as the reader names it
    chain: list[str]  # who is told about it this week, first to last


class RosterPage(BaseModel):
    this_week: list[OnDuty]
    roster: Roster | None  # the whole roster, for those who edit it; None for those who only read who is on duty
    sha256: str | None  # of the file the editor starts from ("" when there is none yet)
    problems: list[str]  # what it leaves out ("Nhà cà chua 1: chưa ai được báo khi có cảnh báo")
    running: bool  # a saved roster is taken at once; False: from the server's next start


class RosterSave(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Read here, not by FastAPI: each refusal is named by the person or greenhouse it is about.
    roster: dict[str, Any]
    base_sha256: str = Field(pattern=r"^([0-9a-f]{64})?$")


class Saved(BaseModel):
    sha256: str
    said: str
    problems: list[str] = []
    this_week: list[OnDuty] = []


class Account(BaseModel):
    name: str
    role: Role


class PolicyPage(BaseModel):
    policy: Policy
    sha256: str
    shipped: bool  # no settings file: the shipped defaults


class PolicySave(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy: dict[str, Any]
    base_sha256: str = Field(pattern=r"^([0-9a-f]{64})?$")


def roster_router(
    site: SiteConfig,
    files: NotifyFiles | None,
    notify: NotifyService | None,
    accounts: Accounts,
    now: Callable[[], datetime],
    auth: Auth,
) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["roster"])

    Reader = Annotated[Principal, Depends(auth.allowed_here(site, Action.READ))]
    Editor = Annotated[Principal, Depends(auth.allowed_here(site, Action.EDIT_ROSTER))]

    def the_files(lang: Lang) -> NotifyFiles:
        if files is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, pick(_NO_DATA_DIR, lang))
        return files

    def broken(exc: ConfigError, lang: Lang) -> HTTPException:
        lines = "; ".join(exc.lines(lang))
        return HTTPException(status.HTTP_409_CONFLICT, pick(_BROKEN, lang).format(file=exc.path.name, lines=lines))

    def this_week(roster: Roster, who: Principal, lang: Lang) -> list[OnDuty]:
        at = now()
        return [
            OnDuty(
                greenhouse=gh.id,
                name=gh.label_in(lang),
                chain=[p.name for p in roster.chain(gh.id, at, site.cooperative.tz)],
            )
            for gh in site.greenhouses
            if may_see(site, who, gh.id)
        ]

    def problems(roster: Roster, lang: Lang) -> list[str]:
        return [p.pick(lang) for p in roster_problems(roster, site)]

    @router.get("/roster", response_model=RosterPage, summary="Who is told of alerts this week (editors: the roster)")
    def roster_page(who: Reader, request: Request) -> RosterPage:
        lang = request_lang(request)
        try:
            found = the_files(lang).roster()
        except ConfigError as exc:
            raise broken(exc, lang) from None
        editor = may(who.role, Action.EDIT_ROSTER)
        return RosterPage(
            this_week=this_week(found.model, who, lang),
            roster=found.model if editor else None,
            sha256=found.sha256 if editor else None,
            problems=problems(found.model, lang) if editor else [],
            running=notify is not None,
        )

    @router.put("/roster", response_model=Saved, summary="Check and save the roster; the notifier takes it at once")
    def save_roster(body: RosterSave, who: Editor, request: Request) -> Saved:
        lang = request_lang(request)
        roster = _checked_roster(body.roster, site, accounts, who.cooperative, lang)
        sha256 = _saving(lambda: the_files(lang).save_roster(roster, body.base_sha256, who.name), lang)
        if notify is not None:
            notify.use_roster(roster)
        return Saved(
            sha256=sha256,
            said=pick(_SAVED_RUNNING if notify is not None else _SAVED_LATER, lang),
            problems=problems(roster, lang),
            this_week=this_week(roster, who, lang),
        )

    @router.get("/roster/accounts", response_model=list[Account], summary="The accounts a person can be linked to")
    def roster_accounts(who: Editor) -> list[Account]:
        return [Account(name=u.name, role=u.role) for u in accounts.users.all(who.cooperative) if not u.disabled]

    @router.get("/notify-policy", response_model=PolicyPage, summary="How alerts escalate, per severity")
    def policy_page(who: Editor, request: Request) -> PolicyPage:
        lang = request_lang(request)
        try:
            found = the_files(lang).policy()
        except ConfigError as exc:
            raise broken(exc, lang) from None
        return PolicyPage(policy=found.model, sha256=found.sha256, shipped=not found.exists)

    @router.put("/notify-policy", response_model=Saved, summary="Check and save how alerts escalate")
    def save_policy(body: PolicySave, who: Editor, request: Request) -> Saved:
        lang = request_lang(request)
        try:
            policy = CooperativePolicy.model_validate(body.policy)
        except ValidationError as exc:
            raise _refused(exc, body.policy, site, lang) from None
        sha256 = _saving(lambda: the_files(lang).save_policy(policy, body.base_sha256, who.name), lang)
        if notify is not None:
            notify.use_policy(policy)
        said = _POLICY_SAVED_RUNNING if notify is not None else _POLICY_SAVED_LATER
        return Saved(sha256=sha256, said=pick(said, lang))

    return router


def _saving(save: Callable[[], str], lang: Lang) -> str:
    try:
        return save()
    except FileChanged:
        raise HTTPException(status.HTTP_409_CONFLICT, pick(_CHANGED, lang)) from None
    except OSError as exc:  # a read-only mount, a full disk: said, and the old file stays
        detail = pick(_CANNOT_WRITE, lang).format(detail=exc.strerror or exc)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail) from None


def _checked_roster(raw: dict[str, Any], site: SiteConfig, accounts: Accounts, coop: str, lang: Lang) -> Roster:
    """The roster, if the model takes it and it names only this site's greenhouses and this cooperative's
    accounts; a 422 naming each field otherwise."""
    try:
        roster = Roster.model_validate(raw)
    except ValidationError as exc:
        raise _refused(exc, raw, site, lang) from None
    known = {gh.id for gh in site.greenhouses}
    users = {u.name for u in accounts.users.all(coop)}
    wrong: list[tuple[tuple[int | str, ...], Words]] = []
    seen: set[str] = set()
    for i, duty in enumerate(roster.duties):
        if duty.greenhouse not in known:
            wrong.append((("duties", i, "greenhouse"), _fill(_NO_SUCH_GREENHOUSE, id=duty.greenhouse)))
        elif duty.greenhouse in seen:
            wrong.append((("duties", i, "greenhouse"), Words(*_TWICE)))
        seen.add(duty.greenhouse)
    for i, person in enumerate(roster.people):
        if person.account is not None and person.account not in users:
            wrong.append((("people", i, "account"), _fill(_NO_ACCOUNT, name=person.account)))
    if wrong:
        raise HTTPException(UNPROCESSABLE, [_detail(loc, words, raw, site, lang, "roster") for loc, words in wrong])
    return roster


def _refused(exc: ValidationError, raw: dict[str, Any], site: SiteConfig, lang: Lang) -> HTTPException:
    detail = [
        _detail(tuple(err["loc"]), words, raw, site, lang, err["type"])
        for err in exc.errors()
        for words, _ in describe(err)
    ]
    return HTTPException(UNPROCESSABLE, detail)


def _detail(
    loc: tuple[int | str, ...], words: Words, raw: dict[str, Any], site: SiteConfig, lang: Lang, kind: str
) -> dict[str, object]:
    where = _where(loc, raw, site, lang)
    what = words.pick(lang)
    return {"loc": list(loc), "msg": f"{where}: {what}" if where else what, "type": kind}


def _where(loc: tuple[int | str, ...], raw: dict[str, Any], site: SiteConfig, lang: Lang) -> str:
    """``("people", 1, "phone")`` as its reader names it: "Chị Lan › số điện thoại"."""
    parts: list[str] = []
    node: object = raw
    parent: str | int | None = None
    for i, key in enumerate(loc):
        item = _child(node, key)
        if isinstance(key, int):
            parts.append(_item_name(parent, key, item, site, lang))
        elif key in _FIELDS and not (key in _LISTS and i + 1 < len(loc) and isinstance(loc[i + 1], int)):
            parts.append(_FIELDS[key].pick(lang))  # a list's name is left out before the item that names itself
        node, parent = item, key
    return " › ".join(parts)


def _child(node: object, key: int | str) -> object:
    """What the caller sent at ``key``, if anything: the refused value may be missing or of another shape."""
    if isinstance(node, dict):
        return node.get(key)
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return None


def _item_name(parent: str | int | None, index: int, item: object, site: SiteConfig, lang: Lang) -> str:
    named = item if isinstance(item, dict) else {}
    if parent == "people" and isinstance(named.get("name"), str) and named["name"].strip():
        return str(named["name"])
    if parent == "duties":
        gh = next((g for g in site.greenhouses if g.id == named.get("greenhouse")), None)
        if gh is not None:
            return _HOUSE.pick(lang).format(name=gh.label_in(lang))
        return _NTH_LIST.pick(lang).format(n=index + 1)
    if parent == "steps":
        return _NTH_STEP.pick(lang).format(n=index + 1)
    if parent in ("people", "rotation"):
        return _NTH_PERSON.pick(lang).format(n=index + 1)
    return str(index + 1)


def _fill(words: tuple[str, str], **values: str) -> Words:
    return Words(words[0].format(**values), words[1].format(**values))
