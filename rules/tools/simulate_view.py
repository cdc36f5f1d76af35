"""How ``greenhouse rules simulate`` shows its progress and its report, in Vietnamese or English."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from contract.reasons import Lang
from rules.tools.simulate import SimulationReport

_T: dict[str, tuple[str, str]] = {
    "simulating": ("Đang mô phỏng", "Simulating"),
    "days": ("ngày", "days"),
    "simulated": ("mô phỏng {days} ngày từ", "simulated {days} days from"),
    "zone": ("Khu", "Zone"),
    "water": ("Nước", "Water"),
    "starts": ("lần mở van", "valve starts"),
    "open": ("giờ mở", "hours open"),
    "temp": ("Nhiệt độ không khí", "Air temperature"),
    "vpd": ("VPD", "VPD"),
    "below": ("dưới", "below"),
    "in": ("trong khoảng", "in band"),
    "above": ("trên", "above"),
    "range": ("thấp nhất / cao nhất", "min / max"),
    "decisions": ("Quyết định của luật", "Rule decisions"),
    "safety": ("An toàn từ chối / dừng", "Safety refusals / stops"),
    "alerts": ("Cảnh báo", "Alerts"),
    "actuator_starts": ("Số lần bật", "Starts"),
}


def _t(key: str, lang: Lang) -> str:
    vi, en = _T[key]
    return vi if lang == "vi" else en


@contextmanager
def progress_bar(days: float, lang: Lang, console: Console) -> Iterator[Callable[[float], None]]:
    with Progress(
        TextColumn(f"{_t('simulating', lang)}"),
        BarColumn(),
        TextColumn("{task.completed:.1f}/{task.total:g} " + _t("days", lang)),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("simulate", total=days)
        yield lambda done: bar.update(task, completed=done)


def report_lines(r: SimulationReport, lang: Lang) -> list[str]:
    lines = [f"{r.greenhouse}: {_t('simulated', lang).format(days=f'{r.days:g}')} {r.start:%Y-%m-%d %H:%M}"]
    for z in r.zones:
        lines.append(
            f"  {_t('zone', lang)} {z.zone} ({z.valve}): {_t('water', lang)} {z.water_l:,.0f} L, "
            f"{z.valve_starts} {_t('starts', lang)}, {z.valve_on_h:.1f} {_t('open', lang)}"
        )
    lo, hi = r.temp_band_c
    lines.append(
        f"  {_t('temp', lang)} {lo:g}–{hi:g} °C: {_t('below', lang)} {r.hours_temp_below:.1f} h, "
        f"{_t('in', lang)} {r.hours_temp_in:.1f} h, {_t('above', lang)} {r.hours_temp_above:.1f} h "
        f"({_t('range', lang)} {r.min_air_temp_c:.1f} / {r.max_air_temp_c:.1f} °C)"
    )
    lo, hi = r.vpd_band_kpa
    lines.append(
        f"  {_t('vpd', lang)} {lo:g}–{hi:g} kPa: {_t('below', lang)} {r.hours_vpd_below:.1f} h, "
        f"{_t('in', lang)} {r.hours_vpd_in:.1f} h, {_t('above', lang)} {r.hours_vpd_above:.1f} h"
    )
    starts = ", ".join(f"{a} {n}" for a, n in r.starts.items()) or "-"
    lines.append(f"  {_t('actuator_starts', lang)}: {starts}")
    lines.append(
        f"  {_t('decisions', lang)}: {r.decisions}; {_t('safety', lang)}: {r.safety_events}; "
        f"{_t('alerts', lang)}: {r.alerts}"
    )
    return lines
