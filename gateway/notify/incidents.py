"""An incident: one alert of one greenhouse (its source: a rule, a node, the house gone silent) from the moment it
is raised until it clears, as the people on duty live it — open, notified, acknowledged, resolved. Pure: the
notifier keeps incidents in its store and calls these with the time."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel

from contract.messages import Severity
from gateway.notify.policy import Policy
from gateway.notify.roster import Channel

RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class IncidentState(StrEnum):
    OPEN = "open"  # raised, nobody told yet in this round
    NOTIFIED = "notified"  # somebody was told; nobody has taken it
    ACKNOWLEDGED = "acknowledged"  # somebody took it: the chain stops for everyone
    RESOLVED = "resolved"  # the alert cleared


class Incident(BaseModel):
    id: str
    greenhouse: str
    source: str  # what raised it, as the alert board names it: rule:<id>, input:<rule id>, node:<id>, offline
    severity: Severity
    state: IncidentState
    opened_at: AwareDatetime
    # A rise in severity, or coming back after an acknowledgement, starts a new round: its steps count from here.
    round: int = 0
    round_at: AwareDatetime
    # A channel failed: the steps of this round up to this one are due at once.
    rushed_step: int = -1
    text_vi: str
    text_en: str
    # What a farmer replies "OK <number>" with to take this one only: the smallest number no other open incident
    # had when it opened, kept for its life. 0: none (an incident kept by a release before numbers).
    number: int = 0
    # Not told while a wider incident stands for it (its greenhouse gone silent, or the whole farm): that one's id.
    held_by: str | None = None
    acked_by: str | None = None
    acked_via: Channel | None = None
    acked_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None

    @property
    def open(self) -> bool:
        return self.state is not IncidentState.RESOLVED


def raised(
    found: Incident | None,
    greenhouse: str,
    source: str,
    severity: Severity,
    text: tuple[str, str],
    at: datetime,
    number: int = 0,
) -> Incident:
    """The incident an alert raised (or raised again) at ``at`` belongs to: a new one, numbered ``number``, when
    none is open for its greenhouse and source; the open one otherwise, told again from the first step if the
    severity rose."""
    vi, en = text
    if found is None or not found.open:
        return Incident(
            number=number,
            id=f"{greenhouse}:{source}:{int(at.timestamp() * 1000)}",
            greenhouse=greenhouse,
            source=source,
            severity=severity,
            state=IncidentState.OPEN,
            opened_at=at,
            round_at=at,
            text_vi=vi,
            text_en=en,
        )
    if RANK[severity] > RANK[found.severity]:
        return _new_round(found, at).model_copy(update={"severity": severity, "text_vi": vi, "text_en": en})
    return found.model_copy(update={"text_vi": vi, "text_en": en})


def notified(incident: Incident) -> Incident:
    if incident.state is not IncidentState.OPEN:
        return incident
    return incident.model_copy(update={"state": IncidentState.NOTIFIED})


def acknowledged(incident: Incident, by: str, via: Channel | None, at: datetime) -> Incident:
    """Taken by ``by``: the first acknowledgement stops the chain; a later one changes nothing."""
    if incident.state in (IncidentState.ACKNOWLEDGED, IncidentState.RESOLVED):
        return incident
    return incident.model_copy(
        update={"state": IncidentState.ACKNOWLEDGED, "acked_by": by, "acked_via": via, "acked_at": at}
    )


def resolved(incident: Incident, at: datetime) -> Incident:
    if not incident.open:
        return incident
    return incident.model_copy(update={"state": IncidentState.RESOLVED, "resolved_at": at})


def rushed(incident: Incident, step: int) -> Incident:
    """A channel of ``step`` failed: the next step is due at once."""
    return incident.model_copy(update={"rushed_step": max(incident.rushed_step, step + 1)})


def held(incident: Incident, by: str) -> Incident:
    """Not told while ``by`` (its greenhouse's or the farm's offline incident) stands for it."""
    return incident if incident.held_by == by else incident.model_copy(update={"held_by": by})


def released(incident: Incident, at: datetime) -> Incident:
    """No longer held: what is still wrong is told from ``at``, from its first step not yet sent, rather than with
    every step that fell due while it was held at once. A closed incident keeps its hold: its "cleared" was said by
    the one that held it."""
    if incident.held_by is None or not incident.open:
        return incident
    return incident.model_copy(update={"held_by": None, "round_at": at})


def free_number(open_incidents: list[Incident]) -> int:
    """The smallest number no open incident has, for a new one: short to type in a reply."""
    taken = {i.number for i in open_incidents}
    return next(n for n in range(1, len(taken) + 2) if n not in taken)


def reviewed(incident: Incident, policy: Policy, at: datetime) -> Incident:
    """An acknowledged incident still open past its severity's ``back_after_ack_min`` comes back, told again."""
    back = policy.escalation(incident.severity).back_after_ack_min
    if incident.state is not IncidentState.ACKNOWLEDGED or back is None or incident.acked_at is None:
        return incident
    if at < incident.acked_at + timedelta(minutes=back):
        return incident
    return _new_round(incident, at)


def _new_round(incident: Incident, at: datetime) -> Incident:
    return incident.model_copy(
        update={
            "state": IncidentState.OPEN,
            "round": incident.round + 1,
            "round_at": at,
            "rushed_step": -1,
            "acked_by": None,
            "acked_via": None,
            "acked_at": None,
        }
    )
