"""How the dossier's values read that contract.wording does not say: units as the record forms write them, an
amount with its unit, a moment in the cooperative's time, and greenhouses and zones by the names the site gives."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from contract.diary import Unit
from contract.site import SiteConfig
from contract.wording import Lang, day_in, number_trimmed, pick

Words = tuple[str, str]  # (Vietnamese, English)

_UNIT_WORDS: dict[Unit, Words] = {
    Unit.KG: ("kg", "kg"),
    Unit.G: ("g", "g"),
    Unit.L: ("lít", "l"),
    Unit.ML: ("ml", "ml"),
    Unit.M2: ("m²", "m²"),
    Unit.PACKAGE: ("gói/chai", "packages"),
    Unit.SEED: ("hạt", "seeds"),
    Unit.PLANT: ("cây", "plants"),
}


def unit_word(unit: Unit, lang: Lang) -> str:
    return pick(_UNIT_WORDS[unit], lang)


def amount(value: float, unit: Unit, lang: Lang) -> str:
    """A quantity with its unit, no trailing zeros: 0,5 kg, 250 ml."""
    return f"{number_trimmed(value, 2, lang)} {unit_word(unit, lang)}"


def moment_in(at: datetime, tz: ZoneInfo, lang: Lang) -> str:
    local = at.astimezone(tz)
    return f"{day_in(local.date(), lang)} {local:%H:%M}"


class Names:
    """Greenhouses and zones by the names the site file gives them."""

    def __init__(self, site: SiteConfig) -> None:
        self._houses = {g.id: g for g in site.greenhouses}

    def place(self, greenhouse: str | None, zone: str | None, lang: Lang) -> str:
        if greenhouse is None:
            return pick(("Toàn trại", "Whole farm"), lang)
        house = self._houses.get(greenhouse)
        if house is None:  # a greenhouse since taken out of the site file: its id is all that is left of it
            return greenhouse if zone is None else f"{greenhouse} · {zone}"
        name = house.label_in(lang)
        if zone is None:
            return name
        zones = {z.id: z for z in house.zones}
        return f"{name} · {zones[zone].label_in(lang) if zone in zones else zone}"

    def actuator(self, greenhouse: str | None, actuator: str, lang: Lang) -> str:
        house = self._houses.get(greenhouse or "")
        known = house.actuators.get(actuator) if house is not None else None
        return known.label_in(lang) if known is not None else actuator
