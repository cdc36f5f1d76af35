"""How ``greenhouse rules simulate`` shows its progress and its report, in Vietnamese or English."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from contract.kinds import ActuatorKind
from contract.reasons import Lang, pick
from contract.wording import number
from desk.simulate import ActuatorUse, BandHours, SimulationReport

# Their use is in the zone lines (water, starts, hours open).
_WATER = {ActuatorKind.VALVE, ActuatorKind.PUMP}
_T: dict[str, tuple[str, str]] = {
    "simulating": ("Đang mô phỏng", "Simulating"),
    "days": ("ngày", "days"),
    "simulated": ("mô phỏng {days} ngày từ", "simulated {days} days from"),
    "simulated_one": ("mô phỏng 1 ngày từ", "simulated 1 day from"),
    "water": ("Nước", "Water"),
    "water_total": ("Nước tưới, cả nhà", "Water, whole house"),
    "starts": ("lần mở van", "valve starts"),
    "open": ("giờ mở", "hours open"),
    "temp_day": ("Nhiệt độ không khí ban ngày", "Air temperature by day"),
    "temp_night": ("Nhiệt độ không khí ban đêm", "Air temperature at night"),
    "temp_share": (
        "Nhiệt độ trong khoảng {share} % thời gian (thấp nhất / cao nhất {low} / {high} °C)",
        "Temperature in band {share} % of the time (min / max {low} / {high} °C)",
    ),
    "vpd": ("VPD", "VPD"),
    "below": ("dưới", "below"),
    "in": ("trong khoảng", "in band"),
    "above": ("trên", "above"),
    "switched": (
        "bật {hours} h, {starts} lần, lần dài nhất {longest} h",
        "on {hours} h, {starts} starts, longest run {longest} h",
    ),
    "moved": (
        "{moves} lần di chuyển, tổng hành trình {travel} %, mở {hours} h",
        "{moves} moves, {travel} % of a full stroke in all, open {hours} h",
    ),
    "energy": ("tốn {kwh} kWh", "{kwh} kWh used"),
    "cut": ("an toàn dừng {n} lần", "stopped by safety {n} times"),
    "refused": ("an toàn từ chối {n} lần", "refused by safety {n} times"),
    "decisions": ("Quyết định của luật", "Rule decisions"),
    "safety": ("An toàn từ chối / dừng", "Safety refusals / stops"),
    "alerts": ("Cảnh báo", "Alerts"),
}




def short(value: float, lang: Lang) -> str:
    """As few digits as ``value`` needs (18, 0.4 / 0,4)."""
    text = f"{value:g}"
    return text.replace(".", ",") if lang == "vi" else text


@contextmanager
def progress_bar(days: float, lang: Lang, console: Console) -> Iterator[Callable[[float], None]]:
    with Progress(
        TextColumn(f"{pick(_T['simulating'], lang)}"),
        BarColumn(),
        TextColumn("{task.completed:.1f}/{task.total:g} " + pick(_T["days"], lang)),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("simulate", total=days)
        yield lambda done: bar.update(task, completed=done)


def report_lines(r: SimulationReport, lang: Lang) -> list[str]:
    def n(value: float, decimals: int = 1) -> str:
        return number(value, decimals, lang)

    def band_line(label: str, band: tuple[float, float], unit: str, hours: BandHours) -> str:
        return (
            f"  {label} {short(band[0], lang)}–{short(band[1], lang)} {unit}: "
            f"{pick(_T['below'], lang)} {n(hours.below)} h, {pick(_T['in'], lang)} {n(hours.inside)} h, "
            f"{pick(_T['above'], lang)} {n(hours.above)} h"
        )

    one = r.days == 1
    days = pick(_T["simulated_one"], lang) if one else pick(_T["simulated"], lang).format(days=short(r.days, lang))
    lines = [f"{r.greenhouse}: {days} {r.start:%Y-%m-%d %H:%M}"]
    lines.append(band_line(pick(_T["temp_day"], lang), r.temp_band_c, "°C", r.temp_day))
    lines.append(band_line(pick(_T["temp_night"], lang), r.temp_band_night_c, "°C", r.temp_night))
    lines.append(
        "  "
        + pick(_T["temp_share"], lang).format(
            share=n(100 * r.share_temp_in, 0), low=n(r.min_air_temp_c), high=n(r.max_air_temp_c)
        )
    )
    vpd = BandHours(below=r.hours_vpd_below, inside=r.hours_vpd_in, above=r.hours_vpd_above)
    lines.append(band_line(pick(_T["vpd"], lang), r.vpd_band_kpa, "kPa", vpd))
    lines.append(f"  {pick(_T['water_total'], lang)}: {n(r.water_l, 0)} L")
    for z in r.zones:
        lines.append(
            f"  {pick((z.name, z.name_en), lang)} ({z.zone}, {z.valve}): "
            f"{pick(_T['water'], lang)} {n(z.water_l, 0)} L, "
            f"{z.valve_starts} {pick(_T['starts'], lang)}, {n(z.valve_on_h)} {pick(_T['open'], lang)}"
        )
    lines += [_use_line(u, lang) for u in r.actuators if u.kind not in _WATER]
    lines += [_use_line(u, lang) for u in r.actuators if u.kind in _WATER and (u.safety_stops or u.safety_refusals)]
    lines.append(
        f"  {pick(_T['decisions'], lang)}: {r.decisions}; {pick(_T['safety'], lang)}: {r.safety_events}; "
        f"{pick(_T['alerts'], lang)}: {r.alerts}"
    )
    return lines


def _use_line(u: ActuatorUse, lang: Lang) -> str:
    """What one actuator did and cost; valves and pumps are shown only when safety held them back (their water
    is in the zone lines)."""
    if u.kind.positional:
        what = pick(_T["moved"], lang).format(
            moves=u.moves, travel=number(u.travel_pct, 0, lang), hours=number(u.on_h, 1, lang)
        )
    else:
        what = pick(_T["switched"], lang).format(
            hours=number(u.on_h, 1, lang), starts=u.starts, longest=number(u.longest_on_h, 1, lang)
        )
    if u.energy_kwh is not None:
        what += ", " + pick(_T["energy"], lang).format(kwh=number(u.energy_kwh, 0, lang))
    counts = (("cut", u.safety_stops), ("refused", u.safety_refusals))
    held = [pick(_T[key], lang).format(n=count) for key, count in counts if count]
    return f"  {pick((u.name, u.name_en), lang)} ({u.actuator}): {'; '.join([what, *held])}"
