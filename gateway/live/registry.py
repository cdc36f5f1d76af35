"""Device registry and health: what each greenhouse and sensor last said, and what has gone quiet.

Pure: messages and the time go in, a health report comes out. The gateway feeds it
every message it stores; the HTTP API reads the report. The live feed keeps one of its
own, with the actuator states too, and waits on it for changes to push to phones.
Where several ingest processes share a site, each keeps one for its own greenhouses and
sends the houses that changed to the process that serves the API (``changes``, ``absorb``).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel

from contract.kinds import Quality, SensorKind
from contract.messages import ActuatorState, Availability, Event, NodeLink, StateSnapshot, Status, TelemetryBatch
from contract.site import SiteConfig

# A greenhouse is silent after this many missed polls (and never sooner than the floor).
_SILENT_POLLS = 3
_SILENT_FLOOR = timedelta(minutes=5)


class SensorHealth(BaseModel):
    sensor: str
    kind: SensorKind
    value: float | None = None
    ts: AwareDatetime | None = None
    quality: Quality | None = None
    age_s: float | None = None
    stale: bool  # no good reading younger than the sensor's max_age_s


class Renumbering(BaseModel):
    """Telemetry numbered anew: a batch sent later than another carries a number not above it. The edge lost its
    outbox and its memory of the numbers, or was replaced; what it had not sent may be lost."""

    at: AwareDatetime  # when the first batch of the new numbering was sent
    seq_before: int  # the number of the batch sent before it
    seq_after: int


class GreenhouseHealth(BaseModel):
    greenhouse: str
    name: str
    availability: Availability | None = None  # None: never heard from
    last_seen: AwareDatetime | None = None
    silent: bool
    agent_version: str | None = None
    outbox_depth: int | None = None
    last_seq: int | None = None  # of the batch sent last
    renumbered: Renumbering | None = None  # the last time its numbering went back, if it did
    nodes: list[NodeLink]  # how each field device answers on its bus, as the edge last told
    sensors: list[SensorHealth]
    stale_sensors: list[str]


class SensorSeen(BaseModel):
    sensor: str
    value: float | None
    ts: AwareDatetime | None
    quality: Quality | None


class HouseSnapshot(BaseModel):
    """All the registry knows of one greenhouse, to be taken whole by another process's registry."""

    greenhouse: str
    availability: Availability | None
    last_seen: AwareDatetime | None
    agent_version: str | None
    outbox_depth: int | None
    nodes: list[NodeLink]
    last_seq: int | None
    last_sent: AwareDatetime | None
    renumbered: Renumbering | None
    sensors: list[SensorSeen]
    state_ts: AwareDatetime | None
    actuators: list[ActuatorState]


class _Sensor:
    __slots__ = ("quality", "ts", "value")

    def __init__(self) -> None:
        self.value: float | None = None
        self.ts: datetime | None = None
        self.quality: Quality | None = None


class _House:
    def __init__(self) -> None:
        self.availability: Availability | None = None
        self.last_seen: datetime | None = None
        self.agent_version: str | None = None
        self.outbox_depth: int | None = None
        self.nodes: list[NodeLink] = []
        self.last_seq: int | None = None
        self.last_sent: datetime | None = None  # when the batch numbered last_seq was sent
        self.renumbered: Renumbering | None = None
        self.sensors: dict[str, _Sensor] = {}
        self.state_ts: datetime | None = None
        self.actuators: list[ActuatorState] = []
        self.version = 0  # the registry's version when this house last changed


class Registry:
    """Thread-safe: the writer applies messages, the API reads reports."""

    def __init__(self, site: SiteConfig) -> None:
        self.site = site
        self._houses = {g.id: _House() for g in site.greenhouses}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._version = 0

    def apply(self, message: TelemetryBatch | Status | Event | StateSnapshot, received_at: datetime) -> None:
        with self._lock:
            house = self._houses[message.greenhouse]
            match message:
                case TelemetryBatch():
                    self._seen(house, message.sent_at)
                    self._numbered(house, message)
                    sensors = house.sensors
                    for r in message.readings:
                        s = sensors.get(r.sensor)
                        if s is None:
                            s = sensors[r.sensor] = _Sensor()
                        if s.ts is None or r.ts >= s.ts:
                            s.value, s.ts, s.quality = r.value, r.ts, r.quality
                case Status():
                    # The last will carries no time: the broker published it when the agent vanished.
                    self._seen(house, message.ts or received_at)
                    house.availability = message.state
                    house.agent_version = message.agent_version or house.agent_version
                    if message.outbox_depth is not None:
                        house.outbox_depth = message.outbox_depth
                    if message.nodes:  # the last will, written in advance, carries none
                        house.nodes = message.nodes
                case Event():
                    self._seen(house, message.ts)
                case StateSnapshot():
                    self._seen(house, message.ts)
                    if house.state_ts is None or message.ts >= house.state_ts:
                        house.state_ts, house.actuators = message.ts, message.actuators
            self._version += 1
            house.version = self._version
            self._changed.notify_all()

    def changes(self, version: int) -> tuple[int, list[HouseSnapshot]]:
        """The version now, and every greenhouse changed after ``version``, whole."""
        with self._lock:
            changed = [(g, house) for g, house in self._houses.items() if house.version > version]
            return self._version, [_snapshot(g, house) for g, house in changed]

    def absorb(self, houses: list[HouseSnapshot]) -> None:
        """Takes these greenhouses as another registry knows them; those the site does not name are ignored."""
        with self._lock:
            for snap in houses:
                if snap.greenhouse not in self._houses:
                    continue
                self._version += 1
                self._houses[snap.greenhouse] = _house(snap, self._version)
            self._changed.notify_all()

    def changed_since(self, version: int, timeout_s: float) -> tuple[int, list[str]]:
        """Waits up to ``timeout_s`` for a change after ``version``: the version now, and the greenhouses changed."""
        with self._changed:
            self._changed.wait_for(lambda: self._version > version, timeout_s)
            return self._version, [g for g, house in self._houses.items() if house.version > version]

    def actuators(self, greenhouse_id: str) -> tuple[datetime | None, list[ActuatorState]]:
        """The actuator states last reported by the greenhouse, and when."""
        with self._lock:
            house = self._houses[greenhouse_id]
            return house.state_ts, list(house.actuators)

    @staticmethod
    def _numbered(house: _House, batch: TelemetryBatch) -> None:
        """Batches sent later carry higher numbers; one that does not starts a new numbering. It is stored all
        the same (the writer tells repeats by number and time together), and shown."""
        if house.last_sent is not None and batch.sent_at <= house.last_sent:
            return  # a batch from a backlog, or a repeat
        if house.last_seq is not None and batch.seq <= house.last_seq:
            house.renumbered = Renumbering(at=batch.sent_at, seq_before=house.last_seq, seq_after=batch.seq)
        house.last_seq, house.last_sent = batch.seq, batch.sent_at

    @staticmethod
    def _seen(house: _House, ts: datetime) -> None:
        if house.last_seen is None or ts > house.last_seen:
            house.last_seen = ts

    def health(self, now: datetime) -> list[GreenhouseHealth]:
        with self._lock:
            return [self._report(g.id, now) for g in self.site.greenhouses]

    def house_health(self, greenhouse_id: str, now: datetime) -> GreenhouseHealth:
        with self._lock:
            return self._report(greenhouse_id, now)

    def _report(self, greenhouse_id: str, now: datetime) -> GreenhouseHealth:
        gh = self.site.greenhouse(greenhouse_id)
        house = self._houses[greenhouse_id]
        sensors = []
        for sensor in gh.sensors.values():
            seen = house.sensors.get(sensor.id, _Sensor())
            age = (now - seen.ts).total_seconds() if seen.ts else None
            fresh_and_good = seen.quality is Quality.GOOD and age is not None and age <= sensor.max_age_s
            sensors.append(
                SensorHealth(
                    sensor=sensor.id,
                    kind=sensor.kind,
                    value=seen.value,
                    ts=seen.ts,
                    quality=seen.quality,
                    age_s=age,
                    stale=not fresh_and_good,
                )
            )
        quiet_after = max(_SILENT_FLOOR, timedelta(seconds=_SILENT_POLLS * gh.poll_interval_s))
        silent = house.last_seen is None or now - house.last_seen > quiet_after
        return GreenhouseHealth(
            greenhouse=gh.id,
            name=gh.label,
            availability=house.availability,
            last_seen=house.last_seen,
            silent=silent,
            agent_version=house.agent_version,
            outbox_depth=house.outbox_depth,
            last_seq=house.last_seq,
            renumbered=house.renumbered,
            nodes=house.nodes,
            sensors=sensors,
            stale_sensors=[s.sensor for s in sensors if s.stale],
        )


# What a house knows besides its sensors, taken over as it is between a _House and its HouseSnapshot.
_HOUSE_FIELDS = (
    "availability",
    "last_seen",
    "agent_version",
    "outbox_depth",
    "nodes",
    "last_seq",
    "last_sent",
    "renumbered",
    "state_ts",
    "actuators",
)


def _snapshot(greenhouse: str, house: _House) -> HouseSnapshot:
    sensors = [SensorSeen(sensor=k, value=s.value, ts=s.ts, quality=s.quality) for k, s in house.sensors.items()]
    return HouseSnapshot(greenhouse=greenhouse, sensors=sensors, **{f: getattr(house, f) for f in _HOUSE_FIELDS})


def _house(snap: HouseSnapshot, version: int) -> _House:
    house = _House()
    for f in _HOUSE_FIELDS:
        setattr(house, f, getattr(snap, f))
    for seen in snap.sensors:
        sensor = house.sensors[seen.sensor] = _Sensor()
        sensor.value, sensor.ts, sensor.quality = seen.value, seen.ts, seen.quality
    house.version = version
    return house
