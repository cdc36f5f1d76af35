"""Versioned pydantic models for every MQTT message (see docs/contract.md).

Each model carries ``v`` so that a consumer can refuse a version it does not know.
Timestamps are timezone-aware; every reading has its own so that replayed
history lands where it belongs.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal, NamedTuple

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from contract.kinds import ActuatorKind, ControlSource, Quality, SensorKind
from contract.reasons import Lang, Reason
from contract.timestamps import UtcTime
from contract.topics import ID_PATTERN
from contract.validation_words import Mistake

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
# Free text bounded, so that a peer cannot make every view and every stored series carry megabytes: a name or a
# code (Short), and a parameter shown to people, such as a sensor's name or what was wrong (Text).
Short = Annotated[str, StringConstraints(max_length=64)]
Text = Annotated[str, StringConstraints(max_length=1000)]
MAX_PARAMS = 50
Params = Annotated[dict[Short, Text], Field(max_length=MAX_PARAMS)]
# A day: no command, run or rule action may ask for longer.
MAX_DURATION_S = 24 * 3600


def _whole_number(value: object) -> object:
    # A Literal compares by equality, so JSON true and 1.0 would pass for 1, strict mode or not.
    if type(value) is not int:
        raise Mistake("version là một số nguyên, ví dụ 1", "the version is a whole number, e.g. 1")
    return value


Version = Annotated[Literal[1], BeforeValidator(_whole_number)]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    v: Version = 1

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


class Reading(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    sensor: Id
    kind: SensorKind
    value: float | None = None  # None when there is no usable value (stale, missing)
    ts: UtcTime
    quality: Quality

    def usable(self, now: datetime, max_age_s: float) -> float | None:
        """The value if it may drive an actuator: good quality and no older than ``max_age_s``."""
        return self.sample().usable(now, max_age_s)

    def sample(self) -> Sample:
        return Sample(self.sensor, self.kind, self.value, self.ts, self.quality)


class Sample(NamedTuple):
    """A reading as the control cycle reads it: the same values as a ``Reading``, without the model. Made once where
    readings come in (a poll, the stored history, a replay's source), because a backtest reads a season of them and a
    model per reading costs more than the rules that judge it. Never on the wire: ``Reading`` stays the boundary."""

    sensor: str
    kind: SensorKind
    value: float | None
    ts: datetime
    quality: Quality

    def usable(self, now: datetime, max_age_s: float) -> float | None:
        """The value if it may drive an actuator: good quality and no older than ``max_age_s``."""
        _, _, value, ts, quality = self  # one unpacking, not an attribute call per field
        if quality is not _GOOD or value is None:
            return None
        return value if (now - ts).total_seconds() <= max_age_s else None


_GOOD = Quality.GOOD  # a member looked up on its enum at every call costs more than the rest of ``usable``

# What the control cycle (rules, safety, arbitration) reads of a sensor: either form, as its caller has it.
Observed = Reading | Sample


class TelemetryBatch(Message):
    """One poll's readings from one greenhouse's edge agent.

    ``seq`` increases by one per batch per edge agent and survives restarts,
    so a consumer can drop duplicates and see gaps.
    """

    site: Id
    greenhouse: Id
    seq: int = Field(ge=1)
    sent_at: UtcTime
    readings: list[Reading] = Field(max_length=1000)


class Availability(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class NodeLink(BaseModel):
    """How one field device answers on its bus, counted by the edge since it started: what a technician looks at
    when a probe goes silent or a cable is bad (CRC errors), or a device is slow (late answers)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    node: Id
    bus: Id
    address: int | None = Field(default=None, ge=1, le=247)  # None: a node on an MQTT bus
    requests: int = Field(ge=0)
    answers: int = Field(ge=0)
    timeouts: int = Field(ge=0)
    crc_errors: int = Field(ge=0)
    late_answers: int = Field(ge=0)
    # Not answering: its reads are skipped for a while so that the rest of the bus keeps its pace.
    quarantined: bool = False


class Status(Message):
    """Retained; the offline form is also the MQTT last will."""

    site: Id
    greenhouse: Id
    state: Availability
    ts: AwareDatetime | None = None  # absent in the last will, which is written in advance
    agent_version: Short | None = None
    outbox_depth: int | None = Field(default=None, ge=0)
    nodes: list[NodeLink] = Field(default_factory=list, max_length=256)


class ActuatorState(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    actuator: Id
    kind: ActuatorKind
    on: bool
    position_pct: float | None = Field(default=None, ge=0, le=100)
    since: AwareDatetime
    until: AwareDatetime | None = None  # when the current run ends, if it is timed
    source: ControlSource
    reason: Reason
    reason_params: Params = Field(default_factory=dict)
    reachable: bool = True


class StateSnapshot(Message):
    """Retained: every actuator of a greenhouse as the edge agent last drove it."""

    site: Id
    greenhouse: Id
    ts: AwareDatetime
    actuators: list[ActuatorState]


class CommandAction(StrEnum):
    ON = "on"  # on for duration_s, or to position_pct for duration_s
    OFF = "off"  # held off for duration_s
    AUTO = "auto"  # end any manual override, hand back to the rules


class Command(Message):
    """A manual override from the central side; it always ends by itself."""

    id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    actuator: Id
    action: CommandAction
    duration_s: float | None = Field(default=None, gt=0, le=MAX_DURATION_S)
    position_pct: float | None = Field(default=None, ge=0, le=100)
    issued_at: AwareDatetime
    expires_at: AwareDatetime
    issued_by: Annotated[str, StringConstraints(max_length=64)] = "unknown"
    reason: Annotated[str, StringConstraints(max_length=200)] = ""


class AckOutcome(StrEnum):
    ACCEPTED = "accepted"
    CLIPPED = "clipped"  # accepted, but shortened to a safety limit
    REFUSED = "refused"


class CommandAck(Message):
    site: Id
    greenhouse: Id
    command_id: Short
    actuator: Short  # may be unknown: echo what was asked for
    outcome: AckOutcome
    reason: Reason
    reason_params: Params = Field(default_factory=dict)
    effective_duration_s: float | None = None
    ts: AwareDatetime


class EventKind(StrEnum):
    DECISION = "decision"  # a rule asked for an actuator change
    SUPPRESSED = "suppressed"  # a rule could not act (bad input, skipped)
    SAFETY = "safety"  # the safety layer refused, clipped or stopped something
    ACTUATION = "actuation"  # an actuator actually changed
    ALERT = "alert"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class Event(Message):
    """An audit record: what happened, why, and the input values it was based on."""

    site: Id
    greenhouse: Id
    ts: AwareDatetime
    kind: EventKind
    severity: Severity = Severity.INFO
    rule: Id | None = None
    actuator: Id | None = None
    action: Short | None = None
    reason: Reason
    reason_params: Params = Field(default_factory=dict)
    inputs: Annotated[dict[Short, float], Field(max_length=MAX_PARAMS)] = Field(default_factory=dict)
    # Numbered by the edge's outbox like telemetry, so that the gateway can say it holds this very event.
    seq: int | None = Field(default=None, ge=1)


# A gateway acknowledges at most this many messages of one greenhouse in one answer (an edge has fewer in flight).
MAX_ACKED = 10_000


class DeliveryAck(Message):
    """The gateway's word that it durably holds these messages of one greenhouse — spooled for the history
    store, or set aside in its rejects log with a reason — so that the edge may delete them from its outbox.
    The broker's PUBACK only says the broker took a message; a broker restart can still lose it."""

    site: Id
    greenhouse: Id
    ts: AwareDatetime
    telemetry: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list, max_length=MAX_ACKED)
    events: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list, max_length=MAX_ACKED)


# A rule file far larger than any greenhouse needs; beyond it an offer is refused unread.
MAX_RULES_YAML_CHARS = 256 * 1024
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


def text_sha256(text: str) -> str:
    """What identifies a rule or site file's text in offers, the edges' reports and saves (UTF-8)."""
    return hashlib.sha256(text.encode()).hexdigest()


class RuleSetOffer(Message):
    """A rule set published centrally for one greenhouse, retained, so that an edge that was offline gets
    it when it reconnects. The YAML text itself travels, so that errors point at its lines and the
    technician's comments stay with it; ``sha256`` is of that text (UTF-8), to catch a mangled copy."""

    site: Id
    greenhouse: Id
    version: int = Field(ge=1)
    sha256: Sha256
    rules_yaml: Annotated[str, StringConstraints(max_length=MAX_RULES_YAML_CHARS)]
    published_at: AwareDatetime
    published_by: Annotated[str, StringConstraints(max_length=64)] = "unknown"


class RulesOutcome(StrEnum):
    ACCEPTED = "accepted"  # now running
    REFUSED = "refused"  # invalid: the previous set keeps running
    UNCHANGED = "unchanged"  # already running this very set


class RulesReport(Message):
    """The edge's answer to an offer, retained: what the greenhouse runs now, and why an offer was refused."""

    site: Id
    greenhouse: Id
    ts: AwareDatetime
    outcome: RulesOutcome
    offered_version: int | None = None
    offered_sha256: Sha256 | None = None
    active_version: int | None = None  # None: no rules run
    active_sha256: Sha256 | None = None
    active_source: Literal["file", "published", "none"] = "none"
    problems_vi: list[str] = Field(default_factory=list)  # one problem per entry, naming rule and field
    problems_en: list[str] = Field(default_factory=list)


# An edge on its own texts these people at once, one SMS each from its modem: a handful, never a crowd.
MAX_EDGE_CONTACTS = 10
# A number in the international form the roster writes (+84912345678): what SMSD takes in a file name.
SmsNumber = Annotated[str, StringConstraints(pattern=r"^\+[0-9]{6,20}$")]


class SmsContact(BaseModel):
    """One person an edge texts itself: only what an SMS needs, no name (the edge's disk and log hold no more)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    phone: SmsNumber
    lang: Lang
    plain_sms: bool = False  # without diacritics: one GSM-7 SMS, for phones that show Vietnamese letters badly


class EdgeRoster(Message):
    """Retained, per greenhouse, from the farm server's notifier: the first people of the greenhouse's chain who
    take SMS, in order, whom the edge texts its critical alerts itself when its uplink is gone. ``issued_at`` says
    when the notifier drew it (the weekly turn of duty changes it); an empty list means nobody is texted."""

    site: Id
    greenhouse: Id
    issued_at: AwareDatetime
    contacts: list[SmsContact] = Field(max_length=MAX_EDGE_CONTACTS)


def default_command_expiry(issued_at: datetime) -> datetime:
    """Commands older than this are stale intent and are refused."""
    return issued_at + timedelta(minutes=2)
