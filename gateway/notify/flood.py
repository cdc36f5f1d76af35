"""No flood: what a storm of alerts in one cooperative becomes before anything is sent. A greenhouse gone silent
holds its field devices' and its rules' missing-input alerts (they are what silence looks like from here); the
whole farm gone silent is one incident, which holds each greenhouse's; sends due to one person on one channel go
as one message; past a person's SMS budget only critical alerts go by SMS, merged; the modem is given no more SMS
a minute than it may send, critical first. Pure: incidents, sends and counts in, decisions out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from contract.messages import Severity
from gateway.live.alerts import OFFLINE_SOURCE
from gateway.notify.flood_limits import FloodLimits
from gateway.notify.incidents import RANK, Incident
from gateway.notify.planner import Send, SendKind
from gateway.notify.roster import Channel, Person

# The incident that stands for every greenhouse of the site gone silent at once.
SITE_SOURCE = "site-offline"
# What a silent greenhouse holds: its field devices not answering, its rules missing their readings. A rule's own
# alert (a frost) is never held: the edge raises it from readings it still has, and it may be all that gets out.
_HELD_BY_HOUSE = ("node:", "input:")
# A greenhouse just back speaks again: its edge sends what it kept and clears what is over within a pass or two.
# Until then what the silence held stays held, so that a farmer is not told of a sensor that is answering again.
SETTLE = timedelta(minutes=2)
# A phone notification is one per incident (its topic replaces the older one, its "Đã biết" button takes that one):
# never grouped. Every other channel is one message per person per pass.
_ALONE = frozenset({Channel.PUSH})


def whole_site_down(incidents: list[Incident], greenhouses: list[str]) -> list[Incident]:
    """The greenhouses' open offline incidents when every greenhouse of the site (two or more) is offline at once;
    none otherwise."""
    offline = {i.greenhouse: i for i in incidents if i.open and i.source == OFFLINE_SOURCE}
    if len(greenhouses) < 2 or any(g not in offline for g in greenhouses):
        return []
    return [offline[g] for g in greenhouses]


def holders(incidents: list[Incident], now: datetime) -> dict[str, str]:
    """For each open incident that is held, the incident that holds it: the whole farm's holds the greenhouses'
    offline incidents while it is open (it waited for them to settle before it cleared); a greenhouse's offline
    incident holds its node: and input: incidents while open, and for ``SETTLE`` after it cleared."""

    def holding(i: Incident) -> bool:
        settling = i.source == OFFLINE_SOURCE and i.resolved_at is not None and now - i.resolved_at < SETTLE
        return i.open or settling

    # The newest of each, so that an open one wins over one that cleared a moment ago.
    newest = sorted((i for i in incidents if holding(i)), key=lambda i: (i.open, i.opened_at))
    site = {i.source: i.id for i in newest if i.source == SITE_SOURCE}.get(SITE_SOURCE)
    house = {i.greenhouse: i.id for i in newest if i.source == OFFLINE_SOURCE}
    held: dict[str, str] = {}
    for incident in incidents:
        if not incident.open:
            continue
        if incident.source == OFFLINE_SOURCE and site is not None:
            held[incident.id] = site
        elif incident.source.startswith(_HELD_BY_HOUSE) and incident.greenhouse in house:
            held[incident.id] = house[incident.greenhouse]
    return held


def merged_chain(chains: list[list[Person]]) -> list[list[Person]]:
    """Who is told of the whole farm, rank by rank: the people on duty of each greenhouse first, then the backups,
    and so on, each person once, at the first rank they have anywhere."""
    seen: set[str] = set()
    ranks: list[list[Person]] = []
    for rank in range(max((len(c) for c in chains), default=0)):
        people = []
        for chain in chains:
            if rank < len(chain) and chain[rank].id not in seen:
                seen.add(chain[rank].id)
                people.append(chain[rank])
        ranks.append(people)
    return ranks


@dataclass(frozen=True)
class Pending:
    """A send due and not taken yet, with its incident's severity."""

    send: Send
    severity: Severity

    @property
    def urgent(self) -> bool:
        """A critical alert's step, or the word that somebody took it (the others stay in bed rather than go out
        into the frost too): never waits for a group, never left out for the budget. A "cleared" can wait."""
        return self.send.kind is not SendKind.CLEARED and self.severity is Severity.CRITICAL


@dataclass(frozen=True)
class Plan:
    messages: list[list[Pending]]  # each one message to one person on one channel, the most pressing first
    over_budget: list[Pending]  # not to be sent by SMS: the person's budget for the hour is spent


def plan(
    pending: list[Pending],
    limits: FloodLimits,
    sms_last_hour: Mapping[str, int],
    sms_last_minute: int,
    now: datetime,
) -> Plan:
    """What goes now, as which messages. A group of a person's sends on one channel goes once a critical alert is
    among them, or once its oldest has waited ``limits.group_s``; until then all of it waits, so that what comes
    meanwhile goes with it. What the modem may not send this minute waits, unclaimed, for a later pass."""
    # Keyed by person and channel; a send that goes alone by its place in ``pending``, which keeps the order the
    # escalation gave wherever nothing is more pressing.
    groups: dict[tuple[str, Channel, int], list[Pending]] = {}
    for n, p in enumerate(pending):
        alone = n if p.send.channel in _ALONE else -1
        groups.setdefault((p.send.person, p.send.channel, alone), []).append(p)
    window = timedelta(seconds=limits.group_s)
    going: list[tuple[int, list[Pending]]] = []  # with the group's place, for the escalation's order
    sms: list[tuple[int, list[Pending]]] = []
    over: list[Pending] = []
    for place, ((person, channel, alone), members) in enumerate(groups.items()):
        waiting = alone < 0 and not any(m.urgent for m in members)
        if waiting and min(m.send.due_at for m in members) + window > now:
            continue
        members = sorted(members, key=_pressing)
        if channel is Channel.SMS and sms_last_hour.get(person, 0) >= limits.sms_per_person_per_hour:
            over += [m for m in members if not m.urgent]
            members = [m for m in members if m.urgent]
        if members:
            (sms if channel is Channel.SMS else going).append((place, members))
    # The modem's room this minute goes to the most pressing SMS; the others wait, unclaimed, for a later pass.
    room = max(0, limits.sms_per_minute - sms_last_minute)
    going += sorted(sms, key=lambda g: (_pressing(g[1][0]), g[0]))[:room]
    going.sort(key=lambda g: (_pressing(g[1][0]), g[0]))
    return Plan(messages=[members for _, members in going], over_budget=over)


def _pressing(p: Pending) -> tuple[bool, bool, int, datetime]:
    """Critical alerts first, then other alerts, the gravest and the longest waiting first (sorts are stable: the
    escalation's order otherwise)."""
    return (not p.urgent, p.send.kind is not SendKind.ALERT, -RANK[p.severity], p.send.due_at)
