"""A drafted entry in one line a farmer reads before confirming it: the day, the zone by its name, and what the
controller measured ("14/01 · Khu A: tưới 1.240 lít (6 lần, 42 phút)")."""

from __future__ import annotations

from contract.diary import ClimateDay, Fertigation, FrostNight, Irrigation, NewEntry
from contract.site import Greenhouse
from contract.wording import Lang, day_month_in, duration, number, pick

_IRRIGATION = (
    "{zone}: tưới {litres} lít ({runs} lần, {time})",
    "{zone}: {litres} litres watered ({runs}, {time})",
)
_IRRIGATION_UNMEASURED = ("{zone}: tưới {runs} lần, {time}", "{zone}: watered {runs}, {time}")
_RUNS_EN = ("once", "{n} times")
_FERTIGATION = ("{zone}: tưới phân {product}, {litres} lít nước", "{zone}: {product} fertigated, {litres} litres")
_FROST = (
    "Đêm rét: thấp nhất {low} °C, {hours} giờ ở mức {watch} °C trở xuống",
    "Frost night: lowest {low} °C, {hours} h at {watch} °C or below",
)
_PROTECTED = ("{actuator} chạy {time}", "{actuator} ran {time}")
_CLIMATE = ("Trong nhà: {low} – {high} °C", "Inside: {low} – {high} °C")
_VPD = ("độ thiếu hụt hơi nước trung bình {vpd} kPa", "mean VPD {vpd} kPa")
_DLI = ("ánh sáng {dli} mol/m²", "light {dli} mol/m²")


def draft_said(entry: NewEntry, gh: Greenhouse, lang: Lang) -> str:
    d = entry.detail
    zone = next((z.label_in(lang) for z in gh.zones if z.id == entry.zone), entry.zone or "")
    if isinstance(d, Irrigation):
        litres = number(d.water_l, 0, lang) if d.water_l is not None else None
        words = _IRRIGATION if litres is not None else _IRRIGATION_UNMEASURED
        runs = str(d.runs) if lang == "vi" else _RUNS_EN[d.runs != 1].format(n=d.runs)
        said = pick(words, lang).format(zone=zone, litres=litres, runs=runs, time=duration(d.open_min * 60, lang))
    elif isinstance(d, Fertigation):
        said = pick(_FERTIGATION, lang).format(zone=zone, product=d.product, litres=number(d.water_l, 0, lang))
    elif isinstance(d, FrostNight):
        said = pick(_FROST, lang).format(
            low=number(d.min_air_temp_c, 1, lang),
            hours=number(d.hours_below, 1, lang),
            watch=number(d.watch_temp_c, 1, lang),
        )
        actuators = gh.actuators
        ran = [
            pick(_PROTECTED, lang).format(
                actuator=actuators[p.actuator].label_in(lang) if p.actuator in actuators else p.actuator,
                time=duration(p.on_min * 60, lang),
            )
            for p in d.protection
        ]
        said = "; ".join([said, *ran])
    elif isinstance(d, ClimateDay):
        parts = [
            pick(_CLIMATE, lang).format(low=number(d.min_air_temp_c, 1, lang), high=number(d.max_air_temp_c, 1, lang))
        ]
        if d.mean_vpd_kpa is not None:
            parts.append(pick(_VPD, lang).format(vpd=number(d.mean_vpd_kpa, 2, lang)))
        if d.dli_mol_m2_d is not None:
            parts.append(pick(_DLI, lang).format(dli=number(d.dli_mol_m2_d, 1, lang)))
        said = ", ".join(parts)
    else:
        raise ValueError(f"not a drafted kind: {d.kind}")
    return f"{day_month_in(entry.day, lang)} · {said}"
