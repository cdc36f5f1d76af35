"""An incident's story as the app shows it under the alert, oldest first, in the reader's words: who was told how
and when, what did not go, who took it, when it came back and when it cleared — "Đã gửi tin nhắn tới Chị Lan",
"… chưa ai nhận". Pure: the incident, its attempts and the roster in; lines out."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel

from contract.wording import Lang, pick
from gateway.notify import words
from gateway.notify.incidents import Incident, IncidentState
from gateway.notify.planner import SendKind
from gateway.notify.roster import Channel, Roster
from gateway.notify.store import Attempt, AttemptStatus

_SENT = ("Đã gửi {channel} tới {name}", "Sent {channel} to {name}")
_RANG = ("Đã gọi cho {name}", "Rang {name}")
_SENDING = ("Đang gửi {channel} tới {name}", "Sending {channel} to {name}")
_FAILED = ("Gửi {channel} tới {name} không được", "Could not send {channel} to {name}")
_TOLD_TAKEN = ("Đã báo {name} là đã có người nhận", "Told {name} that somebody took it")
_TOLD_CLEARED = ("Đã báo {name} là đã hết", "Told {name} it cleared")
_TAKEN = ("{name} đã nhận (trong ứng dụng)", "{name} took it (in the app)")
_TAKEN_VIA = ("{name} đã nhận (bằng {channel})", "{name} took it (by {channel})")
_BACK = ("Vẫn chưa hết sau khi nhận: báo lại từ đầu", "Still on after it was taken: told again from the start")
_CLEARED = ("Đã hết", "Cleared")
_NOBODY_YET = ("Chưa ai nhận", "Nobody has taken it yet")
_HELD = ("Chưa báo: nhà màng (hoặc cả trang trại) đang mất liên lạc, đã báo việc đó",
         "Not told: the greenhouse (or the whole farm) is offline, and that was told")
_OVER_BUDGET = ("Không gửi tin nhắn tới {name}: đã đủ số tin nhắn trong giờ, vẫn báo qua kênh khác",
                "No SMS to {name}: their SMS for the hour were used up; told on other channels")


class Line(BaseModel):
    at: AwareDatetime
    ok: bool  # False: something did not go as it should (a failed send, nobody answering yet)
    said: str


def timeline(incident: Incident, attempts: list[Attempt], roster: Roster, lang: Lang) -> list[Line]:
    def name(person_id: str) -> str:
        person = roster.person(person_id)
        return person.name if person is not None else person_id

    def channel(value: Channel) -> str:
        return pick(words.CHANNEL[value.value], lang)

    # Nothing was tried (SKIPPED): no news for the reader; held: said once, at the first send it held.
    first_held = next((a for a in attempts if a.status is AttemptStatus.HELD), None)
    # What happened to the incident first, then what was sent: at one instant, "Minh took it" comes before "told
    # Lan that somebody took it" (the sort below keeps this order among equal times).
    lines: list[Line] = []
    if incident.round > 0:
        lines.append(Line(at=incident.round_at, ok=False, said=pick(_BACK, lang)))
    if incident.acked_by is not None and incident.acked_at is not None:
        via = incident.acked_via
        said = (
            pick(_TAKEN_VIA, lang).format(name=name(incident.acked_by), channel=channel(via))
            if via is not None
            else pick(_TAKEN, lang).format(name=name(incident.acked_by))  # in the app: the person, or the user
        )
        lines.append(Line(at=incident.acked_at, ok=True, said=said))
    if incident.resolved_at is not None:
        lines.append(Line(at=incident.resolved_at, ok=True, said=pick(_CLEARED, lang)))
    lines += [
        _attempt_line(a, name(a.send.person), channel(a.send.channel), lang)
        for a in attempts
        if a.status is not AttemptStatus.SKIPPED and (a.status is not AttemptStatus.HELD or a is first_held)
    ]
    lines.sort(key=lambda line: int(line.at.timestamp() * 1000))  # as the store keeps attempts' times
    if incident.state is IncidentState.NOTIFIED and lines:
        lines.append(Line(at=lines[-1].at, ok=False, said=pick(_NOBODY_YET, lang)))
    return lines


def _attempt_line(attempt: Attempt, name: str, channel: str, lang: Lang) -> Line:
    send = attempt.send
    if attempt.status is AttemptStatus.HELD:
        return Line(at=attempt.at, ok=True, said=pick(_HELD, lang))
    if attempt.status is AttemptStatus.OVER_BUDGET:
        return Line(at=attempt.at, ok=False, said=pick(_OVER_BUDGET, lang).format(name=name))
    if attempt.status is AttemptStatus.FAILED:
        template = _FAILED
    elif attempt.status is AttemptStatus.SENDING:
        template = _SENDING
    elif send.kind is SendKind.TAKEN:
        template = _TOLD_TAKEN
    elif send.kind is SendKind.CLEARED:
        template = _TOLD_CLEARED
    else:
        template = _RANG if send.channel is Channel.CALL else _SENT
    said = pick(template, lang).format(name=name, channel=channel)
    return Line(at=attempt.at, ok=attempt.status is not AttemptStatus.FAILED, said=said)
