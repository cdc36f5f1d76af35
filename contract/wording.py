"""How a reason's parameters read to a person: machine values (ids, numbers) in, words in the reader's language out.

Messages keep machine values — a sensor's id, a number as Python writes it — so that every surface (phone, CLI,
logs, audit) says the same thing: this module turns them into names from the site file (its English names for an
English reader) and numbers in the reader's locale ("19,9" in Vietnamese, "19.9" in English), with the digits a
sensor kind is shown in and its unit.

Which parameter is what is told by its key (``contract.reasons`` lists the keys each text uses):

- ``sensor``, ``actuator``, ``zone``, ``node``: one id; ``actuators``: ids joined by commas (any one will do);
- ``metric``: the ids of the sensors a rule reads, joined by commas, with ``aggregate`` (mean, min, max) when
  there are several; ``unusable``: ``id:why`` pairs joined by commas, ``why`` a quality flag, too_old or no_reading;
- ``value``, ``threshold``, ``limit``: a measured number, shown with ``kind``'s digits and unit when ``kind`` (a
  ``SensorKind``) is given; ``op``: ``<`` or ``>``, said as below or above;
- a key ending in a unit (``temp_c``, ``vpd_kpa``, ``position_pct``, ``wait_s``, ``max_on_min`` …): a number whose
  unit the text writes; ``duration_s``: a span said in hours, minutes and seconds;
- ``rule``: a rule's name, said in English as ``rule_en`` where the rule has an English name;
- anything else (a time already written as HH:MM, a person's name) is shown as it is.

Without a site, ids stand for names: callers with nothing better still get a sentence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Literal

from contract.kinds import SensorKind

if TYPE_CHECKING:  # contract.site imports contract.messages, which imports the reasons this module serves
    from contract.site import Actuator, Greenhouse, Node, Sensor, Zone

Lang = Literal["vi", "en"]

# Parameters that say how others read, never shown by themselves; ``rule_en`` is the rule's English name, said for
# ``rule`` to an English reader.
MODIFIERS = frozenset({"kind", "aggregate", "rule_en"})
# Units are symbols in both languages, except where Vietnamese writes the time in its own word (as the app does).
_UNIT_VI = {"L/min": "L/phút", "mm/h": "mm/giờ"}


def unit_in(unit: str, lang: Lang) -> str:
    return _UNIT_VI.get(unit, unit) if lang == "vi" else unit


# Measured numbers: shown with their kind's digits and unit.
MEASURED = frozenset({"value", "threshold", "limit"})
# Digits of numbers whose unit is in their key; anything numeric not listed is shown with at most one decimal.
_SUFFIX_DIGITS: tuple[tuple[str, int], ...] = (
    ("_kpa", 2),
    ("_pct", 0),
    ("_w_m2", 0),
    ("_j_cm2", 0),
    ("_mm_h", 1),
    ("_m_s", 1),
    ("_c", 1),
    ("_s", 0),
)
# Numbers said next to the limit they are compared with: never shown equal to it unless they are ("15 % below 15 %").
_PARTNERS: dict[str, tuple[str, ...]] = {
    "value": ("threshold", "limit"),
    "temp_c": ("setpoint_c", "on_c", "min_temp_c"),
    "vpd_kpa": ("limit_kpa",),
    "solar_w_m2": ("limit_w_m2",),
    "sum_j_cm2": ("threshold_j_cm2",),
}
_OP: dict[str, tuple[str, str]] = {"<": ("dưới", "below"), ">": ("trên", "above")}
_WHY: dict[str, tuple[str, str]] = {
    "stale": ("không trả lời", "not answering"),
    "missing": ("không đo được", "gives no value"),
    "out_of_range": ("ngoài khoảng đo", "out of its range"),
    "spike": ("nhảy bất thường", "jumped implausibly"),
    "flatline": ("đứng yên quá lâu", "stuck at one value"),
    "too_old": ("số liệu quá cũ", "reading too old"),
    "no_reading": ("chưa có số liệu", "no reading yet"),
}
# (vi before the names, en before the names, en after a zone's name)
_AGGREGATE: dict[str, tuple[str, str, str]] = {
    "mean": ("trung bình", "average of", "average"),
    "min": ("thấp nhất", "lowest of", "lowest"),
    "max": ("cao nhất", "highest of", "highest"),
}
_SHOWN_DEVICES = 3
# What a kind measures, for a metric over several sensors ("độ ẩm đất trung bình Khu A"); others go without.
_MEASURES: dict[SensorKind, tuple[str, str]] = {
    SensorKind.AIR_TEMP_C: ("nhiệt độ", "temperature"),
    SensorKind.AIR_RH_PCT: ("độ ẩm", "humidity"),
    SensorKind.LEAF_TEMP_C: ("nhiệt độ lá", "leaf temperature"),
    SensorKind.SOIL_VWC_PCT: ("độ ẩm đất", "soil moisture"),
    SensorKind.SOIL_TEMP_C: ("nhiệt độ đất", "soil temperature"),
    SensorKind.TANK_LEVEL_PCT: ("mực nước", "water level"),
    SensorKind.OUTDOOR_TEMP_C: ("nhiệt độ ngoài trời", "outdoor temperature"),
}


def pick(texts: tuple[str, str], lang: Lang) -> str:
    """The Vietnamese or English one of a (vi, en) pair: how every surface keeps its words in both."""
    return texts[0] if lang == "vi" else texts[1]


def number(value: float, digits: int, lang: Lang) -> str:
    """``value`` with ``digits`` decimals, grouped by thousands, in the reader's locale: 1.250,5 in Vietnamese,
    1,250.5 in English; never "-0"."""
    text = f"{round(value, digits) or 0.0:,.{digits}f}"
    return text.translate(_VI_MARKS) if lang == "vi" else text


_VI_MARKS = str.maketrans(",.", ".,")


def number_trimmed(value: float, digits: int, lang: Lang) -> str:
    """``number`` with the zeros that end its decimals left off, and its decimal mark when none is left: a weight
    as people write it, 0,5 / 12 / 2,25 in Vietnamese, 0.5 / 12 / 2.25 in English."""
    text = number(value, digits, lang)
    return text.rstrip("0").rstrip("," if lang == "vi" else ".") if digits else text


_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_in(day: date, lang: Lang) -> str:
    """A day as the reader writes it: 05/12/2026 in Vietnamese, 5 Dec 2026 in English."""
    return f"{day_month_in(day, lang)}/{day.year}" if lang == "vi" else f"{day_month_in(day, lang)} {day.year}"


def day_month_in(day: date, lang: Lang) -> str:
    """A day of the season, its year understood: 05/12 in Vietnamese, 5 Dec in English."""
    return f"{day.day:02d}/{day.month:02d}" if lang == "vi" else f"{day.day} {_MONTHS_EN[day.month - 1]}"


def _loose(value: float, lang: Lang) -> str:
    """At most one decimal, none when it is whole: "2", "0,5"."""
    return number(value, 1, lang).removesuffix(",0" if lang == "vi" else ".0")


def duration(seconds: float, lang: Lang) -> str:
    """A span as people say it: "29 phút 58 giây" / "29 min 58 s", "2 giờ" / "2 h"."""
    total = max(0, math.ceil(seconds - 1e-6))  # never say a run is longer than it is allowed to be
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    units = (("giờ", "h"), ("phút", "min"), ("giây", "s"))
    parts = [f"{n} {pick(u, lang)}" for n, u in zip((hours, minutes, secs), units, strict=True) if n]
    return " ".join(parts) or f"0 {pick(units[2], lang)}"


class Words:
    """Turns one reason's parameters into the words of a text, for one greenhouse (or none) and one language."""

    def __init__(self, params: Mapping[str, str], lang: Lang, site: Greenhouse | None) -> None:
        self._params = params
        self._lang = lang
        self._site = site

    def __call__(self, key: str) -> str | None:
        """The words for ``key``; None when the parameter is not given."""
        raw = self._params.get(key)
        if raw is None:
            return None
        if key in ("sensor", "actuator", "zone"):
            return self._name(key, raw)
        if key == "rule":
            return self._params.get("rule_en") or raw if self._lang == "en" else raw
        if key == "actuators":
            return self._joined([self._name("actuator", a) for a in _ids(raw)], pick(("hoặc", "or"), self._lang))
        if key == "node":
            return self._node(raw)
        if key == "metric":
            return self._metric(raw)
        if key == "unusable":
            return self._unusable(raw)
        if key == "op":
            return pick(_OP[raw], self._lang) if raw in _OP else raw
        if key == "duration_s":
            value = _float(raw)
            return duration(value, self._lang) if value is not None else raw
        return self._number(key, raw)

    # --- numbers ----------------------------------------------------------------------------------
    def _number(self, key: str, raw: str) -> str:
        value = _float(raw)
        if value is None:
            return raw
        kind = self._kind() if key in MEASURED else None
        digits = kind.digits if kind is not None else _digits(key)
        text = self._shown(value, digits, self._partner(key))
        return f"{text} {unit_in(kind.unit, self._lang)}" if kind is not None else text

    def _shown(self, value: float, digits: int | None, partner: float | None) -> str:
        if digits is None:
            text = _loose(value, self._lang)
            if partner is not None and partner != value and text == _loose(partner, self._lang):
                digits = 1  # "0,96 below 1" rather than "1 below 1": fall through to more digits
            else:
                return text
        text = number(value, digits, self._lang)
        # A value just past its limit is shown with the digits that tell them apart.
        extra = digits
        while partner is not None and partner != value and text == number(partner, extra, self._lang) and extra < 3:
            extra += 1
            text = number(value, extra, self._lang)
        return text

    def _partner(self, key: str) -> float | None:
        for other in _PARTNERS.get(key, ()):
            value = _float(self._params.get(other, ""))
            if value is not None:
                return value
        return None

    def _kind(self) -> SensorKind | None:
        try:
            return SensorKind(self._params.get("kind", ""))
        except ValueError:
            return None

    # --- names ------------------------------------------------------------------------------------
    def _name(self, what: str, ident: str) -> str:
        site = self._site
        if site is None:
            return ident
        found: Sensor | Actuator | Zone | None
        if what == "sensor":
            found = site.sensors.get(ident)
        elif what == "actuator":
            found = site.actuators.get(ident)
        else:
            found = next((z for z in site.zones if z.id == ident), None)
        return found.label_in(self._lang) if found is not None else ident

    def _node(self, ident: str) -> str:
        """A field device, told by what it measures or drives: the site file gives nodes no name of their own."""
        node: Node | None = None if self._site is None else next((n for n in self._site.nodes if n.id == ident), None)
        if node is None:
            return ident
        names = [s.label_in(self._lang) for s in node.sensors] + [a.label_in(self._lang) for a in node.actuators]
        shown = ", ".join(names[:_SHOWN_DEVICES])
        more = len(names) - _SHOWN_DEVICES
        if more > 0:
            shown += pick((f" và {more} thiết bị khác", f" and {more} more"), self._lang)
        if node.actuators:
            return pick((f"bộ điều khiển {shown}", f"the controller of {shown}"), self._lang)
        return pick((f"thiết bị đo {shown}", f"the sensor for {shown}"), self._lang)

    def _metric(self, raw: str) -> str:
        sensors = _ids(raw)
        if len(sensors) == 1:
            return self._name("sensor", sensors[0])
        vi, en_before, en_after = _AGGREGATE.get(self._params.get("aggregate", "mean"), _AGGREGATE["mean"])
        kind = self._kind()
        measures_vi, measures_en = _MEASURES.get(kind, ("", "")) if kind is not None else ("", "")
        zone = (
            None
            if self._site is None
            else next((z for z in self._site.zones if set(z.soil_sensors) == set(sensors)), None)
        )
        if zone is not None:
            name = zone.label_in(self._lang)
            said = (f"{measures_vi} {vi} {name}", f"{name} {en_after} {measures_en}")
            return pick(said, self._lang).strip()
        names = self._joined([self._name("sensor", s) for s in sensors], pick(("và", "and"), self._lang))
        return pick((f"{measures_vi} {vi} {names}", f"{en_before} {names}"), self._lang).strip()

    def _unusable(self, raw: str) -> str:
        parts = []
        for pair in _ids(raw):
            sensor, _, why = pair.partition(":")
            said = pick(_WHY[why], self._lang) if why in _WHY else why
            parts.append(f"{self._name('sensor', sensor)} ({said})")
        return ", ".join(parts)

    @staticmethod
    def _joined(names: list[str], conjunction: str) -> str:
        if len(names) < 2:
            return "".join(names)
        return f"{', '.join(names[:-1])} {conjunction} {names[-1]}"


def _ids(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _float(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _digits(key: str) -> int | None:
    for suffix, digits in _SUFFIX_DIGITS:
        if key.endswith(suffix):
            return digits
    return None
