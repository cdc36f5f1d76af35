"""The notifier: alerts in, incidents kept, and at every tick what is due sent through the channels — claimed in the
store first, so that a restart resumes each escalation with nothing sent twice and nothing skipped."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel

from contract.messages import Severity
from contract.site import SiteConfig
from contract.wording import pick
from gateway.notify import words
from gateway.notify.incidents import (
    Incident,
    IncidentState,
    acknowledged,
    notified,
    raised,
    resolved,
    reviewed,
    rushed,
)
from gateway.notify.planner import Send, SendKind, afterwards, due
from gateway.notify.policy import Policy
from gateway.notify.roster import Channel, Person, Roster
from gateway.notify.store import AttemptStatus, NotifyStore

log = logging.getLogger(__name__)

# How long after an incident cleared its "cleared" messages may still go out (a channel down at that moment).
_AFTERWORD_S = 3600


class Outgoing(BaseModel):
    """One message for one person on one channel, in that person's language."""

    send: Send
    person: Person
    incident: Incident
    at: AwareDatetime
    title: str  # the greenhouse's name
    body: str  # what happened, for a channel that shows the title apart (a phone notification, an email's subject)
    text: str  # the whole message: "<greenhouse>: <what happened>"


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
            incident = raised(found, greenhouse, source, severity, text, at)
        self.store.save(incident)
        return incident

    def acknowledge(self, incident_id: str, by: str, via: Channel | None, at: datetime) -> Incident | None:
        """Somebody took it, from any channel: the chain stops for everyone, and the others are told who."""
        found = self.store.incident(incident_id)
        if found is None:
            return None
        incident = acknowledged(found, by, via, at)
        self.store.save(incident)
        return incident

    def reply(self, number: str, text: str, at: datetime) -> list[Incident]:
        """An SMS from ``number``: "OK" (or "ok", "Đã biết", "Da biet") takes every incident its sender was told
        about and nobody has taken yet. A stranger's number or other words change nothing, and are logged."""
        person = self.roster.by_number(number)
        if person is None:
            log.warning("reply from a number not on the roster", extra={"number": number})
            return []
        if not words.is_ack(text):
            log.info("reply that takes nothing", extra={"person": person.id, "text": text[:80]})
            return []
        taken = []
        for incident in self.store.open_incidents():
            told = any(p == person.id for p, _ in self._told(incident))
            if told and incident.state is not IncidentState.ACKNOWLEDGED:
                taken.append(self.acknowledge(incident.id, person.id, Channel.SMS, at))
        return [i for i in taken if i is not None]

    def test(self, person: Person, at: datetime) -> list[tuple[Channel, Delivery]]:
        """A test message to ``person`` on each of their channels but the phone app's (the app tests its own
        phones): asked for from the app, outside any incident and any escalation, kept in no incident."""
        duty = next((d.greenhouse for d in self.roster.duties if person.id in d.people + d.rotation), None)
        greenhouse = duty or self.site.greenhouses[0].id
        incident = Incident(
            id=f"test:{person.id}:{int(at.timestamp() * 1000)}",
            greenhouse=greenhouse,
            source="test",
            severity=Severity.WARNING,
            state=IncidentState.OPEN,
            opened_at=at,
            round_at=at,
            text_vi=pick(words.TEST_BODY, "vi"),
            text_en=pick(words.TEST_BODY, "en"),
        )
        title, body = pick(words.TEST_TITLE, person.lang), pick(words.TEST_BODY, person.lang)
        results: list[tuple[Channel, Delivery]] = []
        for channel in person.channels:
            if channel is Channel.PUSH:
                continue
            send = Send(incident=incident.id, kind=SendKind.ALERT, round=0, step=0, person=person.id,
                        channel=channel, due_at=at)  # fmt: skip
            message = Outgoing(
                send=send, person=person, incident=incident, at=at, title=title, body=body, text=f"{title}: {body}"
            )
            results.append((channel, self._send(message)))
        return results

    # --- what goes out ------------------------------------------------------------------------
    def tick(self, at: datetime) -> None:
        for send in self.store.unfinished():  # claimed before a restart, never known to have gone
            incident = self.store.incident(send.incident)
            if incident is not None:
                self._deliver(send, incident, at)
        for incident in self.store.open_incidents():
            incident = self._reviewed(incident, at)
            chain = self.roster.chain(incident.greenhouse, at, self._tz)
            sends = due(incident, self.policy, chain, at, self._tz) + afterwards(incident, self._told(incident), at)
            for send in sends:
                if self.store.claim(send, at):
                    incident = self._deliver(send, incident, at)
        for incident in self.store.closed_since(at - timedelta(seconds=_AFTERWORD_S)):
            for send in afterwards(incident, self._told(incident), at):
                if self.store.claim(send, at):
                    self._deliver(send, incident, at)

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

    def _deliver(self, send: Send, incident: Incident, at: datetime) -> Incident:
        person = self.roster.person(send.person)
        if person is None:
            delivery = Delivery(ok=False, detail=f"no person {send.person}")
        else:
            delivery = self._send(self._outgoing(send, person, incident, at))
        status = AttemptStatus.SENT if delivery.ok else AttemptStatus.FAILED
        if delivery.skipped:
            status = AttemptStatus.SKIPPED
        self.store.finish(send, status, at, delivery.detail)
        if send.kind is not SendKind.ALERT or delivery.skipped:
            return incident
        after = notified(incident) if delivery.ok else rushed(incident, send.step)
        fresh = self.store.incident(incident.id)  # an acknowledgement may have come in meanwhile: it wins
        if fresh is not None and fresh.state is IncidentState.ACKNOWLEDGED:
            return fresh
        self.store.save(after)
        return after

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

    def _outgoing(self, send: Send, person: Person, incident: Incident, at: datetime) -> Outgoing:
        lang = person.lang
        gh = self.site.greenhouse(incident.greenhouse)
        house = gh.label_in(lang)
        text = incident.text_vi if lang == "vi" else incident.text_en
        template = {SendKind.ALERT: words.ALERT, SendKind.TAKEN: words.TAKEN, SendKind.CLEARED: words.CLEARED}
        taker = self.roster.person(incident.acked_by) if incident.acked_by else None
        who = taker.name if taker is not None else incident.acked_by or ""
        body = pick(template[send.kind], lang).format(text=text, who=who)
        return Outgoing(
            send=send, person=person, incident=incident, at=at, title=house, body=body, text=f"{house}: {body}"
        )
