"""``greenhouse rules diff OLD NEW``: what changes in behaviour, not just in text.

Two parts: rules added, removed or changed (field by field, as the engine reads them, so a
reformatted file or reordered keys show no change), and both sets run side by side through the
same simulated days (same weather, same start) so that the effect shows as water, valve starts
and hours in the temperature and VPD bands.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from contract.reasons import Lang, pick
from contract.site import SiteConfig
from desk.simulate import Band, SimulationReport, simulate
from rules.model import RuleSet


class RuleChange(BaseModel):
    rule: str
    change: str  # added, removed, changed
    fields: dict[str, tuple[Any, Any]] = {}  # dotted field → (old, new), for changed rules


def rule_changes(old: RuleSet, new: RuleSet) -> list[RuleChange]:
    before = {r.id: r.model_dump(mode="json") for r in old.rules}
    after = {r.id: r.model_dump(mode="json") for r in new.rules}
    changes = [RuleChange(rule=i, change="removed") for i in before if i not in after]
    changes += [RuleChange(rule=i, change="added") for i in after if i not in before]
    for i in before.keys() & after.keys():
        fields = _field_changes(before[i], after[i])
        if fields:
            changes.append(RuleChange(rule=i, change="changed", fields=fields))
    return sorted(changes, key=lambda c: c.rule)


def _field_changes(old: Any, new: Any, path: str = "") -> dict[str, tuple[Any, Any]]:
    if isinstance(old, dict) and isinstance(new, dict):
        out: dict[str, tuple[Any, Any]] = {}
        for key in sorted(old.keys() | new.keys()):
            out |= _field_changes(old.get(key), new.get(key), f"{path}.{key}" if path else key)
        return out
    return {} if old == new else {path: (old, new)}


class BehaviourDiff(BaseModel):
    greenhouse: str
    old: SimulationReport
    new: SimulationReport


def behaviour(
    site: SiteConfig,
    greenhouse: str,
    old: RuleSet,
    new: RuleSet,
    start: datetime,
    days: float,
    temp_band: Band | None,
    vpd_band: Band | None,
    seed: int,
    progress: Callable[[float], None] | None = None,
) -> BehaviourDiff:
    def run(ruleset: RuleSet, offset: float) -> SimulationReport:
        tick = (lambda d: progress(offset + d)) if progress is not None else None
        return simulate(site, greenhouse, ruleset, start, days, temp_band, vpd_band, seed, progress=tick)

    return BehaviourDiff(greenhouse=greenhouse, old=run(old, 0), new=run(new, days))


_T = {
    "rules": ("Luật", "Rules"),
    "added": ("thêm", "added"),
    "removed": ("bỏ", "removed"),
    "changed": ("đổi", "changed"),
    "same": ("Không luật nào đổi", "No rule changes"),
    "behaviour": ("Hành vi trong {days} ngày mô phỏng ({gh})", "Behaviour over {days} simulated days ({gh})"),
    "water": ("nước khu {zone}", "water zone {zone}"),
    "starts": ("lần bật {actuator}", "starts {actuator}"),
    "temp_in": ("giờ nhiệt độ trong khoảng", "hours temperature in band"),
    "vpd_in": ("giờ VPD trong khoảng", "hours VPD in band"),
    "decisions": ("quyết định", "decisions"),
    "safety": ("an toàn từ chối / dừng", "safety refusals / stops"),
}


def lines(changes: list[RuleChange], diffs: list[BehaviourDiff], days: float, lang: Lang) -> list[str]:
    out = [f"{pick(_T['rules'], lang)}:"] if changes else [pick(_T["same"], lang)]
    for c in changes:
        out.append(f"  {pick(_T[c.change], lang):<6} {c.rule}")
        out += [f"         {field}: {old!r} → {new!r}" for field, (old, new) in c.fields.items()]
    for d in diffs:
        out.append(pick(_T["behaviour"], lang).format(days=f"{days:g}", gh=d.greenhouse) + ":")
        rows: list[tuple[str, float, float, str]] = []
        for zo, zn in zip(d.old.zones, d.new.zones, strict=True):
            rows.append((pick(_T["water"], lang).format(zone=zo.zone), zo.water_l, zn.water_l, " L"))
        for actuator in sorted(d.old.starts.keys() | d.new.starts.keys()):
            label = pick(_T["starts"], lang).format(actuator=actuator)
            rows.append((label, d.old.starts.get(actuator, 0), d.new.starts.get(actuator, 0), ""))
        rows.append((pick(_T["temp_in"], lang), d.old.hours_temp_in, d.new.hours_temp_in, " h"))
        rows.append((pick(_T["vpd_in"], lang), d.old.hours_vpd_in, d.new.hours_vpd_in, " h"))
        rows.append((pick(_T["decisions"], lang), d.old.decisions, d.new.decisions, ""))
        rows.append((pick(_T["safety"], lang), d.old.safety_events, d.new.safety_events, ""))
        for label, a, b, unit in rows:
            mark = "  " if round(a, 1) == round(b, 1) else "≠ "
            f = ",.1f" if unit else ",.0f"  # counts without decimals
            out.append(f"  {mark}{label:<34} {a:>9{f}}{unit} → {b:>9{f}}{unit}  ({b - a:+{f}})")
    return out
