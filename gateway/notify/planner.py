"""What the notifier must send now for an incident: each step of its severity's escalation that is due, to the
person of that rank in the greenhouse's list, on each of the step's channels that person has. Pure; the store
says what was already sent, so that nothing goes twice."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel

from contract.messages import Severity
from gateway.notify.incidents import Incident, IncidentState
from gateway.notify.policy import Policy
from gateway.notify.roster import Channel, Person


class SendKind(StrEnum):
    ALERT = "alert"  # a step of the escalation
    TAKEN = "taken"  # somebody took it: the others told are told who
    CLEARED = "cleared"  # the alert cleared: one message to those who were told


class Send(BaseModel):
    incident: str
    kind: SendKind
    round: int
    step: int  # -1 for TAKEN and CLEARED
    person: str
    channel: Channel
    due_at: AwareDatetime

    @property
    def key(self) -> str:
        """One send of one step to one person on one channel: the store keeps it once, whatever happens."""
        return f"{self.incident}|{self.kind}|{self.round}|{self.step}|{self.person}|{self.channel}"


def due(incident: Incident, policy: Policy, chain: list[Person], now: datetime, tz: ZoneInfo) -> list[Send]:
    """The escalation's sends due at ``now``; none once somebody took it or it cleared, and none of a warning or
    information during quiet hours (they go when the hours end; a critical alert never waits)."""
    return due_ranks(incident, policy, [[person] for person in chain], now, tz)


def due_ranks(incident: Incident, policy: Policy, ranks: list[list[Person]], now: datetime, tz: ZoneInfo) -> list[Send]:
    """As ``due``, with the people of each rank: several when one incident stands for several greenhouses (the
    whole farm offline tells the farmers on duty of each of them at once)."""
    if incident.state in (IncidentState.ACKNOWLEDGED, IncidentState.RESOLVED):
        return []
    if incident.severity is not Severity.CRITICAL and policy.quiet is not None and policy.quiet.holds(now, tz):
        return []
    sends = []
    for i, step in enumerate(policy.escalation(incident.severity).steps):
        at = incident.round_at + timedelta(minutes=step.after_min)
        if i <= incident.rushed_step:
            at = min(at, now)
        if at > now or step.rank >= len(ranks):
            continue
        sends += [
            Send(incident=incident.id, kind=SendKind.ALERT, round=incident.round, step=i, person=person.id,
                 channel=channel, due_at=at)
            for person in ranks[step.rank]
            for channel in step.channels
            if channel in person.channels
        ]
    return sends


def afterwards(incident: Incident, told: list[tuple[str, Channel]], now: datetime) -> list[Send]:
    """Once taken or cleared: one message to each person who was told (on the first channel that reached them
    with words: a ring call says nothing), except the one who took it — "Lan đã nhận", "Hết: …"."""
    # Due from when it was taken or cleared, not from each pass, so that it can wait a moment for others to the
    # same person and go with them.
    if incident.state is IncidentState.ACKNOWLEDGED:
        kind, since = SendKind.TAKEN, incident.acked_at
    elif incident.state is IncidentState.RESOLVED:
        kind, since = SendKind.CLEARED, incident.resolved_at
    else:
        return []
    first: dict[str, Channel] = {}
    for person, channel in told:
        if channel is not Channel.CALL:
            first.setdefault(person, channel)
    return [
        Send(incident=incident.id, kind=kind, round=incident.round, step=-1, person=person, channel=channel,
             due_at=min(since or now, now))
        for person, channel in first.items()
        if person != incident.acked_by
    ]
