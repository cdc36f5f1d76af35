"""One verdict per greenhouse — all is well, needs attention, or danger — with the one or two reasons that matter,
in a farmer's words: "Trời lạnh: 9,0 °C lúc 3 giờ sáng — đang sưởi" / "Cold: 9,0 °C at 3 am — heating".

Judged on the gateway from what the phone shows: the values on the farmer's tiles against the crop's bands (a value
without a tile is never named), the active alerts by severity, and the health of the house and its devices.
Out of band is "attention"; "danger" is reserved for what harms the crop within hours (the crop's damage
temperatures), a tank too low for the pump to run, and the edge's critical alerts. A value just outside its band
while the rules act on it (heater on, vents open) stays "attention", and the reason says what they are doing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from contract.crops import CropProfile
from contract.kinds import ActuatorKind, SensorKind
from contract.messages import Availability, Severity
from contract.site import Greenhouse
from contract.wording import number, unit_in
from gateway.live import words
from gateway.live.models import (
    ActuatorNow,
    AlertNow,
    ClimateNow,
    Level,
    SensorNow,
    Verdict,
    VerdictLevel,
    VerdictReason,
)
from gateway.live.registry import GreenhouseHealth

Words = tuple[str, str]
MAX_REASONS = 2
_RANK = {VerdictLevel.OK: 0, VerdictLevel.ATTENTION: 1, VerdictLevel.DANGER: 2}
_BY_SEVERITY = {Severity.WARNING: VerdictLevel.ATTENTION, Severity.CRITICAL: VerdictLevel.DANGER}
# The alert board's own alerts (gateway/live/alerts.py) about the link, not the crop: an offline or silent house is
# judged here from its health, and a renumbering of its telemetry is the technician's business.
_LINK_ALERTS = frozenset({"offline", "renumbered"})
# A house without a crop profile: frost and 40 °C harm any crop grown under plastic.
_GENERIC_DAMAGE_C = (0.0, 40.0)
_VENTILATING = frozenset({ActuatorKind.VENT, ActuatorKind.SIDE_CURTAIN, ActuatorKind.FAN})


def verdict(
    gh: Greenhouse,
    profile: CropProfile | None,
    health: GreenhouseHealth,
    sensors: list[SensorNow],
    actuators: list[ActuatorNow],
    climate: ClimateNow | None,
    alerts: list[AlertNow],
    now: datetime,
    tz: ZoneInfo,
) -> Verdict:
    """``climate``: None when VPD is not judged now (at night); ``alerts``: the greenhouse's active ones; ``now``
    and ``tz`` say which day a time is told with its date."""
    said = _Said(tz, now.astimezone(tz).date())
    own = _house(health, said)
    if not own:  # an offline house's values are old: its link is the one reason
        seen = [s for s in sensors if s.tile]
        own = [
            *_air(seen, actuators, profile, said),
            *_tank(gh, seen, said),
            *_soil(seen, actuators, said),
            *_humidity(seen, actuators, climate, said),
            *_other_values(seen, said),
            *_stale(seen, said),
            *_unreachable(actuators, health),
        ]
    return _judged(sorted(own, key=_worst_first), _alert_reasons(alerts))


def _judged(own: list[VerdictReason], from_alerts: list[VerdictReason]) -> Verdict:
    """The worst level of all, and the reasons that explain it: the verdict's own (values with a tile, devices)
    first, since an alert often says the same (a low tank) in other words; an alert only when it is worse than
    any of them, or when there is nothing else to say."""
    every = [*own, *from_alerts]
    if not every:
        return Verdict(level=VerdictLevel.OK, reasons=[])
    level = max((r.level for r in every), key=_RANK.__getitem__)
    if not own:
        reasons = from_alerts[:MAX_REASONS]
    elif from_alerts and _RANK[from_alerts[0].level] > _RANK[own[0].level]:
        reasons = [from_alerts[0], own[0]]
    else:
        reasons = own[:MAX_REASONS]
    return Verdict(level=level, reasons=reasons)


def _worst_first(r: VerdictReason) -> int:
    return -_RANK[r.level]  # sorted() keeps the order of equals: the order the reasons are found in


class _Said:
    """Numbers and times as the farmer reads them, in both languages."""

    def __init__(self, tz: ZoneInfo, today: date) -> None:
        self.tz = tz
        self.today = today

    def reason(self, level: VerdictLevel, pair: Words, acting: Words | None = None, **params: Words) -> VerdictReason:
        vi, en = (
            pair[i].format(**{k: v[i] for k, v in params.items()}) + (f" — {acting[i]}" if acting else "")
            for i in (0, 1)
        )
        return VerdictReason(level=level, text_vi=vi, text_en=en)

    @staticmethod
    def number(value: float, digits: int, unit: str) -> Words:
        vi, en = (f"{number(value, digits, lang)} {unit_in(unit, lang)}" for lang in ("vi", "en"))
        return (vi, en)

    @staticmethod
    def value(s: SensorNow) -> Words:
        """As its tile shows it; only sensors judged now (with a value) are said."""
        return _Said.number(s.value or 0.0, s.digits, s.unit)

    def at(self, ts: datetime | None) -> Words:
        """A time of day; with its date when that was not today."""
        if ts is None:
            return ("?", "?")
        local = ts.astimezone(self.tz)
        vi, en = (words.time_of_day(local.hour, local.minute, lang) for lang in ("vi", "en"))
        if local.date() != self.today:
            day = local.strftime("%d/%m")
            return (f"{vi} ngày {day}", f"{en} on {day}")
        return (vi, en)


def _house(health: GreenhouseHealth, said: _Said) -> list[VerdictReason]:
    if health.availability is None and health.last_seen is None:
        return [said.reason(VerdictLevel.ATTENTION, words.NEVER_HEARD)]
    if health.silent or health.availability is Availability.OFFLINE:
        return [said.reason(VerdictLevel.ATTENTION, words.NO_CONTACT, since=said.at(health.last_seen))]
    return []


def _judged_now(s: SensorNow) -> bool:
    return s.level in (Level.LOW, Level.HIGH) and s.value is not None


def _on(actuators: Iterable[ActuatorNow], kinds: Iterable[ActuatorKind]) -> bool:
    wanted = set(kinds)
    return any(a.kind in wanted and (a.on if a.position_pct is None else a.position_pct > 0) for a in actuators)


def _air(
    seen: list[SensorNow], actuators: list[ActuatorNow], profile: CropProfile | None, said: _Said
) -> list[VerdictReason]:
    air = next((s for s in seen if s.kind is SensorKind.AIR_TEMP_C and _judged_now(s)), None)
    if air is None or air.value is None:
        return []
    cold_c, hot_c = (profile.air_temp_c_damage_below, profile.air_temp_c_damage_above) if profile else _GENERIC_DAMAGE_C
    shown = round(air.value, air.digits)
    value, at = said.value(air), said.at(air.ts)
    if air.level is Level.LOW:
        acting = words.HEATING if _on(actuators, [ActuatorKind.HEATER]) else None
        if shown < cold_c:
            return [said.reason(VerdictLevel.DANGER, words.COLD_DAMAGE, acting, value=value, at=at)]
        return [said.reason(VerdictLevel.ATTENTION, words.COLD, acting, value=value, at=at)]
    acting = words.VENTING if _on(actuators, _VENTILATING) else None
    if shown > hot_c:
        return [said.reason(VerdictLevel.DANGER, words.HOT_DAMAGE, acting, value=value, at=at)]
    return [said.reason(VerdictLevel.ATTENTION, words.HOT, acting, value=value, at=at)]


def _tank(gh: Greenhouse, seen: list[SensorNow], said: _Said) -> list[VerdictReason]:
    """A low tank; "danger" once it is below what a pump's interlock needs, since then nothing can be watered."""
    tank = next((s for s in seen if s.kind is SensorKind.TANK_LEVEL_PCT and _judged_now(s)), None)
    if tank is None or tank.value is None or tank.level is not Level.LOW:
        return []
    shown = round(tank.value, tank.digits)
    needs = [
        il.min
        for a in gh.actuators.values()
        for il in a.safety.sensor_interlocks
        if il.sensor == tank.sensor and il.min is not None
    ]
    if needs and shown < max(needs):
        limit = said.number(max(needs), tank.digits, tank.unit)
        return [said.reason(VerdictLevel.DANGER, words.TANK_EMPTY, value=said.value(tank), limit=limit)]
    return [said.reason(VerdictLevel.ATTENTION, words.TANK_LOW, value=said.value(tank))]


def _soil(seen: list[SensorNow], actuators: list[ActuatorNow], said: _Said) -> list[VerdictReason]:
    """Per zone, its driest (or wettest) sensor; "đang tưới" while the zone's valve is open."""
    found = []
    zones = dict.fromkeys(s.zone for s in seen if s.kind is SensorKind.SOIL_VWC_PCT and s.zone)
    for zone in zones:
        out = [s for s in seen if s.zone == zone and s.kind is SensorKind.SOIL_VWC_PCT and _judged_now(s)]
        dry = sorted((s for s in out if s.level is Level.LOW), key=lambda s: s.value or 0)
        wet = sorted((s for s in out if s.level is Level.HIGH), key=lambda s: -(s.value or 0))
        valve = [a for a in actuators if a.kind is ActuatorKind.VALVE and a.zone == zone]
        name = (out[0].zone_name or "", out[0].zone_name_en or "") if out else ("", "")
        if dry:
            acting = words.WATERING if _on(valve, [ActuatorKind.VALVE]) else None
            found.append(
                said.reason(VerdictLevel.ATTENTION, words.SOIL_DRY, acting, zone=name, value=said.value(dry[0]))
            )
        elif wet:
            found.append(said.reason(VerdictLevel.ATTENTION, words.SOIL_WET, zone=name, value=said.value(wet[0])))
    return found


def _humidity(
    seen: list[SensorNow], actuators: list[ActuatorNow], climate: ClimateNow | None, said: _Said
) -> list[VerdictReason]:
    """Damp or dry air by the humidity's band; or, with the humidity and the temperature both in band, by the VPD,
    which has no tile (farmers do not read kPa): said as the humidity for its temperature, both from their tiles."""
    rh = next((s for s in seen if s.kind is SensorKind.AIR_RH_PCT and s.value is not None), None)
    if rh is None or rh.level is Level.STALE:
        return []
    damp = words.VENTING if _on(actuators, _VENTILATING) else None
    dry = words.MISTING if _on(actuators, [ActuatorKind.MISTER]) else None
    if rh.level is Level.HIGH:
        return [said.reason(VerdictLevel.ATTENTION, words.DAMP, damp, value=said.value(rh))]
    if rh.level is Level.LOW:
        return [said.reason(VerdictLevel.ATTENTION, words.DRY_AIR, dry, value=said.value(rh))]
    air = next((s for s in seen if s.kind is SensorKind.AIR_TEMP_C), None)
    if climate is None or air is None or air.level is not Level.OK or climate.vpd_level not in (Level.LOW, Level.HIGH):
        return []
    pair, acting = (words.DAMP_FOR_TEMP, damp) if climate.vpd_level is Level.LOW else (words.DRY_FOR_TEMP, dry)
    return [said.reason(VerdictLevel.ATTENTION, pair, acting, value=said.value(rh), temp=said.value(air))]


def _other_values(seen: list[SensorNow], said: _Said) -> list[VerdictReason]:
    """The other tiles with a band (soil pH): low or high, in their tile's words."""
    own = {SensorKind.AIR_TEMP_C, SensorKind.AIR_RH_PCT, SensorKind.SOIL_VWC_PCT, SensorKind.TANK_LEVEL_PCT}
    return [
        said.reason(
            VerdictLevel.ATTENTION,
            words.VALUE_LOW if s.level is Level.LOW else words.VALUE_HIGH,
            name=words.KIND_WORDS.get(s.kind, (s.name, s.name_en)),
            value=said.value(s),
        )
        for s in seen
        if s.kind not in own and _judged_now(s)
    ]


def _stale(seen: list[SensorNow], said: _Said) -> list[VerdictReason]:
    """A tile without a fresh, good reading: its value cannot be trusted."""
    found = []
    for s in seen:
        if s.level is not Level.STALE:
            continue
        kind = words.KIND_WORDS.get(s.kind, (s.name, s.name_en))
        # Several tiles of a kind (soil water per zone) are told apart by the sensor's name from the site file.
        name = (s.name, s.name_en) if s.zone else kind
        if s.ts is None:
            found.append(said.reason(VerdictLevel.ATTENTION, words.NO_READING, name=name))
        else:
            found.append(said.reason(VerdictLevel.ATTENTION, words.NO_NEW_READING, name=name, since=said.at(s.ts)))
    return found


def _unreachable(actuators: list[ActuatorNow], health: GreenhouseHealth) -> list[VerdictReason]:
    """A device the greenhouse reports it cannot reach; before its first report, every device reads unreachable."""
    if health.availability is not Availability.ONLINE:
        return []
    return [
        VerdictReason(
            level=VerdictLevel.ATTENTION,
            text_vi=words.NOT_ANSWERING[0].format(name=a.name),
            text_en=words.NOT_ANSWERING[1].format(name=a.name_en),
        )
        for a in actuators
        if not a.reachable and a.since is not None  # since: a state was reported (every reported state has one)
    ]


def _alert_reasons(alerts: list[AlertNow]) -> list[VerdictReason]:
    """The edge's active alerts that weigh (warning, critical), worst and latest first, in their own words."""
    weighing = [a for a in alerts if a.active and a.severity in _BY_SEVERITY and a.source not in _LINK_ALERTS]
    weighing.sort(key=lambda a: (-_RANK[_BY_SEVERITY[a.severity]], -a.last_at.timestamp()))
    return [VerdictReason(level=_BY_SEVERITY[a.severity], text_vi=a.text_vi, text_en=a.text_en) for a in weighing]
