"""How ``greenhouse rules simulate`` shows its progress and its report, in Vietnamese or English."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from contract.reasons import Lang, pick
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
    lines = [f"{r.greenhouse}: {pick(_T['simulated'], lang).format(days=f'{r.days:g}')} {r.start:%Y-%m-%d %H:%M}"]
    for z in r.zones:
        lines.append(
            f"  {pick(_T['zone'], lang)} {z.zone} ({z.valve}): {pick(_T['water'], lang)} {z.water_l:,.0f} L, "
            f"{z.valve_starts} {pick(_T['starts'], lang)}, {z.valve_on_h:.1f} {pick(_T['open'], lang)}"
        )
    lo, hi = r.temp_band_c
    lines.append(
        f"  {pick(_T['temp'], lang)} {lo:g}–{hi:g} °C: {pick(_T['below'], lang)} {r.hours_temp_below:.1f} h, "
        f"{pick(_T['in'], lang)} {r.hours_temp_in:.1f} h, {pick(_T['above'], lang)} {r.hours_temp_above:.1f} h "
        f"({pick(_T['range'], lang)} {r.min_air_temp_c:.1f} / {r.max_air_temp_c:.1f} °C)"
    )
    lo, hi = r.vpd_band_kpa
    lines.append(
        f"  {pick(_T['vpd'], lang)} {lo:g}–{hi:g} kPa: {pick(_T['below'], lang)} {r.hours_vpd_below:.1f} h, "
        f"{pick(_T['in'], lang)} {r.hours_vpd_in:.1f} h, {pick(_T['above'], lang)} {r.hours_vpd_above:.1f} h"
    )
    starts = ", ".join(f"{a} {n}" for a, n in r.starts.items()) or "-"
    lines.append(f"  {pick(_T['actuator_starts'], lang)}: {starts}")
    lines.append(
        f"  {pick(_T['decisions'], lang)}: {r.decisions}; {pick(_T['safety'], lang)}: {r.safety_events}; "
        f"{pick(_T['alerts'], lang)}: {r.alerts}"
    )
    return lines
