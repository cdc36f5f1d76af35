"""The notifier: alerts in, incidents kept, and at every tick what is due sent through the channels — held, grouped
and limited as flood.py decides, then claimed in the store first, so that a restart resumes each escalation with
nothing sent twice and nothing skipped."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel

from contract.messages import Severity
from contract.site import SiteConfig
from contract.wording import Lang, pick
from gateway.live.alerts import OFFLINE_SOURCE
from gateway.notify import flood, words
from gateway.notify.flood import SITE_SOURCE, Pending
from gateway.notify.incidents import (
    RANK,
    Incident,
    IncidentState,
    acknowledged,
    free_number,
    held,
    notified,
    raised,
    released,
    resolved,
    reviewed,
    rushed,
)
from gateway.notify.planner import Send, SendKind, afterwards, due_ranks
from gateway.notify.policy import Policy
from gateway.notify.roster import Channel, Person, Roster
from gateway.notify.store import AttemptStatus, NotifyStore

log = logging.getLogger(__name__)

# How long after an incident cleared its "cleared" messages may still go out (a channel down at that moment).
_AFTERWORD_S = 3600
# Why a send was not made, for the technician reading the store (the app's timeline says it by the status).
_HELD_HOUSE = "held: its greenhouse is offline, and that was told instead"
_HELD_FARM = "held: the whole farm is offline, and that was told instead"
_OVER_BUDGET = "not sent by SMS: {count} SMS to this person in the last hour"
_HOUR = timedelta(hours=1)
_MINUTE = timedelta(minutes=1)


class Outgoing(BaseModel):
    """One message for one person on one channel, in that person's language: one send, or several grouped."""

    send: Send  # the message's first send: its key names the message, so that a repeat after a crash is the same
    person: Person
    incident: Incident  # the first send's
    at: AwareDatetime
    title: str  # the greenhouse's name (the cooperative's, for the whole farm or a group)
    body: str  # what happened, for a channel that shows the title apart (a phone notification, an email's subject)
    text: str  # the whole message: "<greenhouse>: <what happened>"
    # The reader has several incidents open: the number that takes this one alone ("Trả lời OK 2"), for the SMS.
    ok_number: int | None = None


class Delivery(BaseModel):
    ok: bool
    detail: str | None = None  # why it failed, as the channel says it: shown in the incident's timeline
    # The person cannot be reached this way at all (no phone has notifications on): not a failure that hurries the
    # chain on, and nobody was told — as if the person did not have the channel.
    skipped: bool = False


SKIPPED_NO_PHONE = Delivery(ok=False, skipped=True, detail="no phone has turned notifications on")


Sender = Callable[[Outgoing], Delivery]


class Notifier:
    def __init__(
        self,
        site: SiteConfig,
        roster: Roster,
        policy: Policy,
        store: NotifyStore,
        senders: Mapping[Channel, Sender],
    ) -> None:
        self.site = site
        self.roster = roster
        self.policy = policy
        self.store = store
        self.senders = dict(senders)
        self._tz = site.cooperative.tz

    # --- what comes in ------------------------------------------------------------------------
    def alert(
        self, greenhouse: str, source: str, severity: Severity, active: bool, text: tuple[str, str], at: datetime
    ) -> Incident | None:
        """An alert raised, raised again or cleared: the incident it opens, keeps or resolves."""
        found = self.store.open_incident(greenhouse, source)
        if not active:
            if found is None:
                return None
            incident = resolved(found.model_copy(update={"text_vi": text[0], "text_en": text[1]}), at)
        else:
            number = free_number(self.store.open_incidents()) if found is None else 0
            incident = raised(found, greenhouse, source, severity, text, at, number)
        self.store.save(incident)
        return incident

    def acknowledge(self, incident_id: str, by: str, via: Channel | None, at: datetime) -> Incident | None:
        """Somebody took it, from any channel: the chain stops for everyone, and the others are told who. The whole
        farm offline and the greenhouses' offline incidents it holds are one problem: taking one takes them all."""
        found = self.store.incident(incident_id)
        if found is None:
            return None
        incident = acknowledged(found, by, via, at)
        self.store.save(incident)
        for other in self._one_problem(found):
            self.store.save(acknowledged(other, by, via, at))
        return incident

    def reply(self, number: str, text: str, at: datetime) -> list[Incident]:
        """An SMS from ``number``: "OK" (or "ok", "Đã biết", "Da biet") takes every incident its sender was told
        about and nobody has taken yet; "OK 2" the one sent with that number only. A stranger's number, other words
        or a number that matches none of them change nothing, and are logged."""
        person = self.roster.by_number(number)
        if person is None:
            log.warning("reply from a number not on the roster", extra={"number": number})
            return []
        said = words.ack(text)
        if said is None:
            log.info("reply that takes nothing", extra={"person": person.id, "text": text[:80]})
            return []
        open_told = [
            i for i in self.store.open_incidents()
            if i.state is not IncidentState.ACKNOWLEDGED and self._was_told(person.id, i)
        ]  # fmt: skip
        if said.number is not None:
            open_told = [i for i in open_told if i.number == said.number]
            if not open_told:
                log.info("reply number matches nothing", extra={"person": person.id, "number": said.number})
                return []
        taken = [self.acknowledge(i.id, person.id, Channel.SMS, at) for i in open_told]
        return [i for i in taken if i is not None]

    def test(self, person: Person, at: datetime) -> list[tuple[Channel, Delivery]]:
        """A test message to ``person`` on each of their channels but the phone app's (the app tests its own
        phones), asked for from the app."""
        channels = [c for c in person.channels if c is not Channel.PUSH]
        return self.notice(person, words.TEST_TITLE, words.TEST_BODY, at, channels, "test")

    def notice(
        self,
        person: Person,
        title: tuple[str, str],
        body: tuple[str, str],
        at: datetime,
        channels: list[Channel],
        source: str,
    ) -> list[tuple[Channel, Delivery]]:
        """A message to ``person`` on ``channels``, outside any incident and any escalation (a test, the modem
        watch's news), in their language; kept in no incident."""
        duty = next((d.greenhouse for d in self.roster.duties if person.id in d.people + d.rotation), None)
        incident = Incident(
            id=f"{source}:{person.id}:{int(at.timestamp() * 1000)}",
            greenhouse=duty or self.site.greenhouses[0].id,
            source=source,
            severity=Severity.WARNING,
            state=IncidentState.OPEN,
            opened_at=at,
            round_at=at,
            text_vi=body[0],
            text_en=body[1],
        )
        said_title, said = pick(title, person.lang), pick(body, person.lang)
        results: list[tuple[Channel, Delivery]] = []
        for channel in channels:
            send = Send(incident=incident.id, kind=SendKind.ALERT, round=0, step=0, person=person.id,
                        channel=channel, due_at=at)  # fmt: skip
            message = Outgoing(
                send=send, person=person, incident=incident, at=at, title=said_title, body=said,
                text=f"{said_title}: {said}",
            )  # fmt: skip
            results.append((channel, self._send(message)))
        return results

    # --- what goes out ------------------------------------------------------------------------
    def tick(self, at: datetime) -> None:
        for message in self.store.unfinished():  # claimed before a restart, never known to have gone: as it was
            self._deliver(message, at)
        self._watch_site(at)
        opened = self.store.open_incidents()
        closed = self.store.closed_since(at - timedelta(seconds=_AFTERWORD_S))
        holding = flood.holders(opened + closed, at)
        pending: list[Pending] = []
        for incident in opened:
            incident = self._held_or_released(self._reviewed(incident, at), holding.get(incident.id), at)
            sends = due_ranks(incident, self.policy, self._ranks(incident, at), at, self._tz)
            pending += self._pending(incident, sends + afterwards(incident, self._told(incident), at), at)
        for incident in closed:
            pending += self._pending(incident, afterwards(incident, self._told(incident), at), at)
        taken = self.store.taken([p.send.key for p in pending])
        pending = [p for p in pending if p.send.key not in taken]
        texting = {p.send.person for p in pending if p.send.channel is Channel.SMS}
        sms = Channel.SMS.value
        plan = flood.plan(
            pending,
            self.policy.flood,
            {person: self.store.messages_since(sms, at - _HOUR, person) for person in texting},
            self.store.messages_since(sms, at - _MINUTE),
            at,
        )
        for p in plan.over_budget:
            count = self.store.messages_since(sms, at - _HOUR, p.send.person)
            self.store.decline(p.send, AttemptStatus.OVER_BUDGET, at, _OVER_BUDGET.format(count=count))
        for group in plan.messages:
            name = group[0].send.key
            claimed = [p.send for p in group if self.store.claim(p.send, at, name)]
            if claimed:
                self._deliver(claimed, at)

    def _watch_site(self, at: datetime) -> None:
        """Every greenhouse of the site offline at once is one incident, told to the people on duty of each. It
        clears when they are all back — or, when some stay silent, once the first has been back for ``SETTLE``:
        then those still silent are told of one by one."""
        opened = self.store.open_incidents()
        site = next((i for i in opened if i.source == SITE_SOURCE), None)
        down = flood.whole_site_down(opened, [g.id for g in self.site.greenhouses])
        count = len(self.site.greenhouses)
        if down and site is None:
            severity = max((i.severity for i in down), key=lambda s: RANK[s])
            vi, en = (pick(words.FARM_OFFLINE, lang).format(count=count) for lang in ("vi", "en"))
            # Kept under the first greenhouse's id: an incident belongs to a greenhouse the site has.
            first = self.site.greenhouses[0].id
            incident = raised(None, first, SITE_SOURCE, severity, (vi, en), at, free_number(opened))
            self.store.save(incident)
            log.info("whole farm offline", extra={"incident": incident.id, "greenhouses": count})
        elif site is not None and not down:
            still = sum(1 for i in opened if i.source == OFFLINE_SOURCE)
            back = [i.resolved_at for i in self.store.closed_since(site.opened_at) if i.held_by == site.id]
            first_back = min((b for b in back if b is not None), default=at)
            if still and at - first_back < flood.SETTLE:
                return  # the others may be a moment behind
            said = words.FARM_PARTLY_BACK if still else words.FARM_BACK
            vi, en = (pick(said, lang).format(back=count - still, count=count) for lang in ("vi", "en"))
            self.store.save(resolved(site.model_copy(update={"text_vi": vi, "text_en": en}), at))
            log.info("farm back in contact", extra={"incident": site.id, "still_offline": still})

    def _one_problem(self, incident: Incident) -> list[Incident]:
        """The others of the whole farm's offline incident and the greenhouses' it holds, if ``incident`` is one."""
        site = incident.id if incident.source == SITE_SOURCE else incident.held_by
        if site is None:
            return []
        group = [i for i in self.store.open_incidents() if i.id == site or i.held_by == site]
        if not any(i.id == site and i.source == SITE_SOURCE for i in group):
            return []  # held by its greenhouse's offline incident: a problem of its own
        return [i for i in group if i.id != incident.id]

    def _held_or_released(self, incident: Incident, holder: str | None, at: datetime) -> Incident:
        after = held(incident, holder) if holder is not None else released(incident, at)
        if after is not incident:
            log.info("incident held" if holder else "incident released", extra={"incident": incident.id})
            self.store.save(after)
        return after

    def _pending(self, incident: Incident, sends: list[Send], at: datetime) -> list[Pending]:
        """``sends`` for the plan; none of a held incident, whose sends are noted in its timeline as held."""
        if incident.held_by is None:
            return [Pending(send, incident.severity) for send in sends]
        holder = self.store.incident(incident.held_by)
        detail = _HELD_FARM if holder is not None and holder.source == SITE_SOURCE else _HELD_HOUSE
        for send in sends:
            self.store.hold(send, at, detail)
        return []

    def _ranks(self, incident: Incident, at: datetime) -> list[list[Person]]:
        if incident.source == SITE_SOURCE:
            return flood.merged_chain([self.roster.chain(g.id, at, self._tz) for g in self.site.greenhouses])
        return [[person] for person in self.roster.chain(incident.greenhouse, at, self._tz)]

    def _reviewed(self, incident: Incident, at: datetime) -> Incident:
        back = reviewed(incident, self.policy, at)
        if back is not incident:
            log.info("incident back after acknowledgement", extra={"incident": incident.id, "round": back.round})
            self.store.save(back)
        return back

    def _told(self, incident: Incident) -> list[tuple[str, Channel]]:
        return [
            (a.send.person, a.send.channel)
            for a in self.store.attempts(incident.id)
            if a.status is AttemptStatus.SENT and a.send.kind is SendKind.ALERT
        ]

    def _was_told(self, person: str, incident: Incident) -> bool:
        return any(p == person for p, _ in self._told(incident))

    def _deliver(self, sends: list[Send], at: datetime) -> None:
        """One message of ``sends`` (to one person on one channel, claimed), and each send finished as it went."""
        incidents = {s.incident: i for s in sends if (i := self.store.incident(s.incident)) is not None}
        sends = [s for s in sends if s.incident in incidents]
        if not sends:
            return
        person = self.roster.person(sends[0].person)
        if person is None:
            delivery = Delivery(ok=False, detail=f"no person {sends[0].person}")
        else:
            delivery = self._send(self._outgoing(sends, person, incidents, at))
        status = AttemptStatus.SENT if delivery.ok else AttemptStatus.FAILED
        if delivery.skipped:
            status = AttemptStatus.SKIPPED
        for send in sends:
            self.store.finish(send, status, at, delivery.detail)
            if send.kind is SendKind.ALERT and not delivery.skipped:
                self._went(send, delivery.ok)

    def _went(self, send: Send, ok: bool) -> None:
        """The incident once its step's send went (notified) or failed (the next step hurried)."""
        incident = self.store.incident(send.incident)  # as it is now: an acknowledgement meanwhile wins
        if incident is None or incident.state is IncidentState.ACKNOWLEDGED:
            return
        self.store.save(notified(incident) if ok else rushed(incident, send.step))

    def _send(self, message: Outgoing) -> Delivery:
        channel = message.send.channel
        sender = self.senders.get(channel)
        if sender is None:
            return Delivery(ok=False, detail=pick(words.NO_CHANNEL, "en").format(channel=channel.value))
        try:
            return sender(message)
        except Exception as exc:  # a channel's failure is an attempt that failed, never the notifier's end
            log.warning("channel failed", extra={"channel": channel.value, "error": repr(exc)})
            return Delivery(ok=False, detail=repr(exc))

    def _outgoing(self, sends: list[Send], person: Person, incidents: Mapping[str, Incident], at: datetime) -> Outgoing:
        """The message of ``sends``: one incident's as it always was; several as "3 cảnh báo: <house>: …; …" under
        the cooperative's name, each incident said once (two of its steps due at once are one)."""
        lang = person.lang
        first = sends[0]
        incident = incidents[first.incident]
        once = list({s.incident: s for s in reversed(sends)}.values())[::-1]  # the first send of each incident
        if len(once) == 1:
            house, body = self._place(incident, lang), self._said(first, incident, lang)
            replied = first.kind is SendKind.ALERT and first.channel is Channel.SMS  # only an SMS is answered so
            number = self._ok_number(incident, person) if replied else None
            return Outgoing(send=first, person=person, incident=incident, at=at, title=house, body=body,
                            text=f"{house}: {body}", ok_number=number)  # fmt: skip
        items: list[str] = []
        last_house = None
        for send in once:
            house = self._place(incidents[send.incident], lang)
            said = self._said(send, incidents[send.incident], lang)
            items.append(said if house == last_house else f"{house}: {said}")  # a house named once in a row
            last_house = house
        body = pick(words.GROUP, lang).format(count=len(once), items="; ".join(items))
        title = self.site.cooperative.label_in(lang)
        return Outgoing(send=first, person=person, incident=incident, at=at, title=title, body=body, text=body)

    def _place(self, incident: Incident, lang: Lang) -> str:
        if incident.source == SITE_SOURCE:
            return self.site.cooperative.label_in(lang)
        return self.site.greenhouse(incident.greenhouse).label_in(lang)

    def _said(self, send: Send, incident: Incident, lang: Lang) -> str:
        text = incident.text_vi if lang == "vi" else incident.text_en
        template = {SendKind.ALERT: words.ALERT, SendKind.TAKEN: words.TAKEN, SendKind.CLEARED: words.CLEARED}
        taker = self.roster.person(incident.acked_by) if incident.acked_by else None
        who = taker.name if taker is not None else incident.acked_by or ""
        return pick(template[send.kind], lang).format(text=text, who=who)

    def _ok_number(self, incident: Incident, person: Person) -> int | None:
        """``incident``'s number when ``person`` has others open that they were told about and nobody took: "OK"
        alone would take them all."""
        if incident.number == 0:
            return None
        others = [
            i for i in self.store.open_incidents()
            if i.id != incident.id and i.state is not IncidentState.ACKNOWLEDGED and self._was_told(person.id, i)
        ]  # fmt: skip
        return incident.number if others else None
