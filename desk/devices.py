"""Commissioning a bus in the field: find which devices answer and which profile each is, read one point, pulse
one output. For the technician with a laptop and a USB–RS485 dongle, who has the devices but not their maps.

Built on the edge's own bus layer (``edge.fieldbus``): what the scan reads is exactly what the edge will read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from contract.devices.encoding import Encoding, EncodingError, decode
from contract.devices.profile import Baud, DeviceProfile, Parity
from contract.kinds import SensorKind
from contract.reasons import Lang, pick
from contract.site import Actuator, Bus, Calibration, RtuSerialBus
from desk import words
from edge.fieldbus.points import Block, Point, Use, plan, readback
from edge.fieldbus.transport import Exchange, Link, Outcome, Request

log = logging.getLogger(__name__)

# Short: most addresses of a scan are empty, and each empty one costs this for every distinct request.
SCAN_TIMEOUT_S = 0.2

# What a greenhouse (or the bench it is commissioned on) plausibly shows. A profile read at the wrong scale still
# lands inside its device's range (an XY-MD02 read as its MD02 clone gives 2.15 °C and 6 % RH): the values that
# fall outside these bands say which of two such profiles is the wrong one.
TYPICAL: dict[SensorKind, tuple[float, float]] = {
    SensorKind.AIR_TEMP_C: (0, 50),
    SensorKind.AIR_RH_PCT: (15, 100),
    SensorKind.LEAF_TEMP_C: (0, 50),
    SensorKind.SOIL_TEMP_C: (0, 45),
    SensorKind.OUTDOOR_TEMP_C: (-5, 45),
    SensorKind.OUTDOOR_RH_PCT: (10, 100),
    SensorKind.CO2_PPM: (250, 5000),
    SensorKind.SOIL_EC_US_CM: (0, 10000),
    SensorKind.SOIL_PH: (3, 10),
}


class DeskError(Exception):
    """Something the technician must know or fix, in Vietnamese and English."""

    def __init__(self, texts: tuple[str, str], **params: object) -> None:
        self.texts = texts
        self.params = params
        super().__init__(self.text("en"))

    def text(self, lang: Lang = "vi") -> str:
        return pick(self.texts, lang).format(**self.params)


@dataclass(frozen=True)
class Setting:
    """The line settings a scan pass used (None on Modbus TCP and RTU over TCP: the converter has its own)."""

    baud: Baud | None = None
    parity: Parity | None = None
    stop_bits: int = 1

    @property
    def label(self) -> str:
        if self.baud is None or self.parity is None:
            return "TCP"
        return f"{int(self.baud)} 8{self.parity.value}{self.stop_bits}"

    def fits(self, profile: DeviceProfile) -> bool:
        """Whether the device ships with these settings (None: the scan cannot tell)."""
        if self.baud is None:
            return True
        s = profile.serial
        return (s.baud, s.parity, s.stop_bits) == (self.baud, self.parity, self.stop_bits)


@dataclass(frozen=True)
class Match:
    """A profile every point of which read back within its range at this address."""

    profile: DeviceProfile
    values: dict[str, float | bool]  # point key → value (sensors in their unit; outputs: on?)
    implausible: tuple[str, ...]  # sensor keys whose value is in range but outside TYPICAL
    ships_so: bool  # the scan's line settings are the ones the device ships with

    @property
    def exact(self) -> bool:
        return not self.implausible

    @property
    def rank(self) -> tuple[bool, int, bool]:
        # More points read is more evidence: a 3-in-1 probe also reads as a one-register wind vane.
        return (self.exact, len(self.values), self.ships_so)


@dataclass(frozen=True)
class Found:
    address: int
    setting: Setting
    matches: tuple[Match, ...]  # best first
    misses: tuple[str, ...] = ()  # why each other profile did not match: "profile: reason"

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None

    @property
    def ambiguous(self) -> bool:
        """Several profiles match as well as the best one does: the label must decide."""
        best = self.best
        return best is not None and sum(m.rank == best.rank for m in self.matches) > 1


@dataclass(frozen=True)
class LineScan:
    """One pass over the addresses at one line setting."""

    setting: Setting
    found: tuple[Found, ...]
    crc_addresses: tuple[int, ...]  # addresses whose answers came damaged: a wrong baud rate or parity

    @property
    def silent(self) -> bool:
        return not self.found and not self.crc_addresses


def profile_points(profile: DeviceProfile) -> list[Point]:
    """What reading a device of ``profile`` gives: each sensor, and each output that can be read back."""
    points = [Point(s.key, Use.SENSOR, s.encoding) for s in profile.sensors]
    points += [
        Point(o.key, Use.SWITCH, readback(o.switch), o.switch) for o in profile.outputs if o.switch.reads_on is not None
    ]
    return points


@contextmanager
def opened(bus: Bus) -> Iterator[Link]:
    """A link on ``bus``, open (raises BusOpenError saying what to do), closed afterwards."""
    link = Link(bus)
    try:
        link.open()
        yield link
    finally:
        link.close()


def _settings(bus: Bus, bauds: Sequence[Baud] | None, parities: Sequence[Parity] | None) -> list[Setting]:
    if not isinstance(bus, RtuSerialBus):
        return [Setting()]
    return [
        Setting(baud, parity, bus.stop_bits) for baud in (bauds or [bus.baud]) for parity in (parities or [bus.parity])
    ]


def _on_setting(bus: Bus, setting: Setting, timeout_s: float) -> Bus:
    update: dict[str, object] = {"timeout_s": timeout_s}
    if isinstance(bus, RtuSerialBus) and setting.baud is not None:
        update |= {"baud": setting.baud, "parity": setting.parity}
    return bus.model_copy(update=update)


def scan_lines(
    bus: Bus,
    addresses: Iterable[int],
    profiles: Iterable[DeviceProfile],
    bauds: Sequence[Baud] | None = None,
    parities: Sequence[Parity] | None = None,
    timeout_s: float = SCAN_TIMEOUT_S,
    progress: Callable[[Setting, int, int, int], None] | None = None,
) -> list[LineScan]:
    """Each line setting's pass (each baud × parity on a serial bus; the bus's own elsewhere): which addresses
    answer and which profiles match them. Raises BusOpenError if the bus cannot be opened.
    ``progress(setting, address, n, total)`` is called before each address."""
    wanted = list(addresses)
    known = [p for p in profiles if profile_points(p)]  # a profile with nothing to read cannot be recognised
    passes: list[LineScan] = []
    for setting in _settings(bus, bauds, parities):
        found: list[Found] = []
        crc: list[int] = []
        with opened(_on_setting(bus, setting, timeout_s)) as link:
            for n, address in enumerate(wanted, start=1):
                if progress is not None:
                    progress(setting, address, n, len(wanted))
                answer, damaged = _probe(link, address, known, setting)
                if answer is not None:
                    found.append(answer)
                if damaged:
                    crc.append(address)
        passes.append(LineScan(setting, tuple(found), tuple(crc)))
    return passes


def scan(
    bus: Bus,
    addresses: Iterable[int],
    profiles: Iterable[DeviceProfile],
    bauds: Sequence[Baud] | None = None,
    parities: Sequence[Parity] | None = None,
) -> list[Found]:
    """Every address that answered, at every line setting tried, with the profiles that match it."""
    return [f for line in scan_lines(bus, addresses, profiles, bauds, parities) for f in line.found]


@dataclass
class _Asked:
    """One address's exchanges, each distinct request sent once: profiles that share registers share them."""

    link: Link
    address: int
    sent: dict[tuple[object, int, int], Exchange] = field(default_factory=dict)

    def get(self, block: Block) -> Exchange:
        key = (block.table, block.address, block.count)
        if key not in self.sent:
            self.sent[key] = self.link.exchange(Request.read(self.address, block.table, block.address, block.count))
        return self.sent[key]

    @property
    def answered(self) -> bool:
        return any(e.outcome.answered for e in self.sent.values())

    @property
    def damaged(self) -> bool:
        return any(e.outcome is Outcome.CRC_ERROR for e in self.sent.values())


def _probe(link: Link, address: int, profiles: list[DeviceProfile], setting: Setting) -> tuple[Found | None, bool]:
    """(what answers at ``address`` and which profiles match, whether answers came damaged)."""
    asked = _Asked(link, address)
    matches: list[Match] = []
    misses: list[str] = []
    for profile in profiles:
        outcome = _try(asked, profile, setting)
        if isinstance(outcome, Match):
            matches.append(outcome)
        else:
            misses.append(f"{profile.id}: {outcome}")
        if asked.damaged and not asked.answered:
            break  # garbled at this setting: the other profiles' requests would only wait out their timeouts
    link.take_events()
    if not asked.answered:
        return None, asked.damaged
    ranked = tuple(sorted(matches, key=lambda m: m.rank, reverse=True))
    return Found(address, setting, ranked, tuple(misses)), asked.damaged


def _try(asked: _Asked, profile: DeviceProfile, setting: Setting) -> Match | str:
    """The match, or why ``profile`` is not this device."""
    values: dict[str, float | bool] = {}
    for block in plan(profile_points(profile)):
        exchange = asked.get(block)
        if exchange.outcome is not Outcome.ANSWERED:
            return exchange.outcome.value
        for point, value in block.values(list(exchange.values)).items():
            if value is None:
                return f"{point.key} holds no value"
            values[point.key] = value
    implausible: list[str] = []
    for sensor in profile.sensors:
        number = float(values[sensor.key])
        if not sensor.range.contains(number):
            return f"{sensor.key} = {number:g} is outside {sensor.range.min:g}…{sensor.range.max:g}"
        low, high = TYPICAL.get(sensor.kind, (sensor.range.min, sensor.range.max))
        if not low <= number <= high:
            implausible.append(sensor.key)
    return Match(profile, values, tuple(implausible), setting.fits(profile))


# -- one point ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PointReading:
    encoding: Encoding
    raw: tuple[int, ...]
    decoded: float | None  # None: the registers hold no value of this encoding (error says why)
    calibrated: float | None
    error: str = ""


def read_point(bus: Bus, address: int, encoding: Encoding, calibration: Calibration | None = None) -> PointReading:
    """Read one point once: its raw bits or registers, the value they decode to and, with the site's
    calibration, the calibrated value. Raises BusOpenError, or DeskError when the device does not answer."""
    with opened(bus) as link:
        exchange = link.exchange(Request.read(address, encoding.table, encoding.address, encoding.count))
    if exchange.outcome is not Outcome.ANSWERED:
        raise DeskError(words.NO_ANSWER, address=address, detail=exchange.detail or exchange.outcome.value)
    try:
        decoded = decode(encoding, exchange.values)
    except EncodingError as exc:
        return PointReading(encoding, exchange.values, None, None, str(exc))
    calibrated = calibration.apply(decoded) if calibration is not None else None
    return PointReading(encoding, exchange.values, decoded, calibrated)


# -- one output --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    on: bool  # what was commanded
    followed: bool | None  # what reading back showed (None: the output cannot be read back)


def check_pulse(actuator: Actuator, seconds: float) -> None:
    """Refuses (DeskError) what a manual pulse may not do: a positional actuator, a run beyond max_on_s."""
    if actuator.on_off is None:
        raise DeskError(words.POSITIONAL, actuator=actuator.id, kind=actuator.kind.value)
    if not 0 < seconds <= actuator.safety.max_on_s:
        raise DeskError(words.TOO_LONG, actuator=actuator.id, seconds=f"{seconds:g}", max_on_s=actuator.safety.max_on_s)


def pulse_output(
    bus: Bus,
    address: int,
    actuator: Actuator,
    seconds: float,
    report: Callable[[Step], None] = lambda step: None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Step]:
    """Switch an on/off actuator on for ``seconds``, then off (also when interrupted meanwhile), reading the
    output back after each write. Where the device can time a run itself, the run is written that way: it ends
    on time even if the laptop is unplugged mid-run. Refuses (DeskError) what ``check_pulse`` refuses."""
    check_pulse(actuator, seconds)
    switch = actuator.on_off
    assert switch is not None
    timed = actuator.timed_on
    steps: list[Step] = []
    with opened(bus) as link:
        try:
            if timed is not None and seconds <= timed.max_units * timed.unit_s:
                _write(link, Request.timed(address, timed, seconds), "on")
            else:
                _write(link, Request.write(address, switch.table, switch.address, switch.on_value), "on")
            steps.append(Step(True, _follows(link, address, actuator, True)))
            report(steps[-1])
            sleep(seconds)
        finally:
            _write(link, Request.write(address, switch.table, switch.address, switch.off_value), "off")
        steps.append(Step(False, _follows(link, address, actuator, False)))
        report(steps[-1])
    return steps


def _write(link: Link, request: Request, what: str) -> None:
    exchange = link.exchange(request)
    if exchange.outcome is not Outcome.ANSWERED:
        raise DeskError(words.WRITE_FAILED, what=what, detail=exchange.detail or exchange.outcome.value)


def _follows(link: Link, address: int, actuator: Actuator, on: bool) -> bool | None:
    switch = actuator.on_off
    assert switch is not None
    if switch.reads_on is None:
        return None
    point = Point(actuator.id, Use.SWITCH, readback(switch), switch)
    exchange = link.exchange(Request.read(address, switch.table, switch.address, 1))
    if exchange.outcome is not Outcome.ANSWERED:
        raise DeskError(words.NO_ANSWER, address=address, detail=exchange.detail or exchange.outcome.value)
    return point.value(list(exchange.values)) is on
