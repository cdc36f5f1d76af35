"""The purchase → use → harvest → packing → sale chain of the diary as it stands, checked: each product's purchases
against its uses, each harvest against the sprayings' pre-harvest intervals, each lot's packing and sales against
its harvest. What is bought and not used, or harvested and not sold, is stock, not a mismatch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import NamedTuple

from agronomy.pre_harvest import check_harvest
from contract.bounds import Strict
from contract.diary import (
    Entry,
    Fertigation,
    Fertiliser,
    Harvest,
    InputPurchase,
    Lot,
    Packing,
    Protection,
    ProtectionUse,
    Quantity,
    Sale,
    Unit,
)
from contract.site import SiteConfig
from contract.wording import day_in, number_trimmed, pick
from gateway.diary.dossier_words import Names, amount, unit_word
from gateway.diary.effective import effective, in_diary_order, replaced_entries
from gateway.diary.mismatches import Mismatch, MismatchKind
from gateway.diary.products import product_key

# Sums of floats (0.1 kg + 0.2 kg) may come out a hair over what was bought: not a mismatch.
SLACK = 1e-6


class LotBalance(Strict):
    """A lot's kilograms down the chain: what is harvested and not sold yet is stock, not a mismatch."""

    lot: str
    crop: str
    greenhouse: str | None
    zone: str | None
    harvested_on: date | None
    harvested_kg: float
    packed_kg: float
    sold_kg: float
    last_day: date  # the latest harvest, packing or sale of it

    @property
    def remaining_kg(self) -> float:
        return self.harvested_kg - self.sold_kg


class InputBalance(Strict):
    """A product bought and used, in one unit (grams counted as kilograms, millilitres as litres)."""

    product: str  # as first written
    unit: Unit
    bought: float
    used: float

    @property
    def remaining(self) -> float:
        return self.bought - self.used


class Reconciliation(Strict):
    mismatches: list[Mismatch]
    lots: list[LotBalance]
    inputs: list[InputBalance]


def reconcile(entries: Sequence[Entry], lots: Sequence[Lot], site: SiteConfig) -> Reconciliation:
    """The chain purchase → use → harvest → packing → sale of the entries that stand, checked; ``lots`` stand in for
    harvests not among the entries (made before them)."""
    current = sorted(effective(entries), key=in_diary_order)
    codes = lot_codes(entries, lots)
    product_mismatches, inputs = _inputs(current)
    lot_mismatches, balances = _lots(current, codes, lots)
    mismatches = product_mismatches + _intervals(current, codes, Names(site)) + lot_mismatches
    order = list(MismatchKind)
    return Reconciliation(
        mismatches=sorted(mismatches, key=lambda m: (m.day, order.index(m.kind))),
        lots=balances,
        inputs=inputs,
    )


def lot_codes(entries: Sequence[Entry], lots: Sequence[Lot]) -> dict[str, str]:
    """The lot of each harvest entry: the code on it, or the lot the gateway made for it; a correction of a harvest
    without a code of its own belongs to the lot of the harvest it corrects."""
    made = {lot.entry: lot.code for lot in lots}
    replaced = replaced_entries(entries)
    codes: dict[str, str] = {}
    for e in entries:
        step: Entry | None = e
        while step is not None and isinstance(step.detail, Harvest):
            code = step.detail.lot or made.get(step.id)
            if code is not None:
                codes[e.id] = code
                break
            step = replaced.get(step.id)
    return codes


# --- products: purchases against uses -------------------------------------------------------------------------------

_TO_BASE: dict[Unit, tuple[Unit, float]] = {Unit.G: (Unit.KG, 0.001), Unit.ML: (Unit.L, 0.001)}


def _base(q: Quantity) -> tuple[Unit, float]:
    unit, factor = _TO_BASE.get(q.unit, (q.unit, 1.0))
    return unit, q.value * factor


class _Use(NamedTuple):
    entry: Entry
    product: str
    dose: Quantity


def _uses(entries: Iterable[Entry]) -> list[_Use]:
    found: list[_Use] = []
    for e in entries:
        d = e.detail
        if isinstance(d, Fertiliser | Protection | Fertigation):
            found.append(_Use(e, d.product, d.dose))
    return found


class _Move(NamedTuple):
    day: date
    purchase: bool  # a day's purchases count before its uses
    value: float  # in the base unit


def _inputs(current: Sequence[Entry]) -> tuple[list[Mismatch], list[InputBalance]]:
    bought: dict[str, list[tuple[Entry, InputPurchase]]] = defaultdict(list)
    for e in current:
        if isinstance(e.detail, InputPurchase):
            bought[product_key(e.detail.product)].append((e, e.detail))
    used: dict[str, list[_Use]] = defaultdict(list)
    for use in _uses(current):
        used[product_key(use.product)].append(use)
    mismatches: list[Mismatch] = []
    balances: list[InputBalance] = []
    for key in sorted(bought.keys() | used.keys()):
        purchases, uses = bought[key], used[key]
        name = purchases[0][1].product if purchases else uses[0].product
        if not purchases:
            mismatches.append(_never_purchased(name, uses))
        else:
            mismatches += _expired(name, purchases, uses)
        moves: dict[Unit, list[_Move]] = defaultdict(list)
        for e, p in purchases:
            unit, value = _base(p.quantity)
            moves[unit].append(_Move(e.day, True, value))
        for u in uses:
            unit, value = _base(u.dose)
            moves[unit].append(_Move(u.entry.day, False, value))
        for unit in sorted(moves):
            in_unit = sorted(moves[unit], key=lambda m: (m.day, not m.purchase))
            balance = InputBalance(
                product=name,
                unit=unit,
                bought=sum(m.value for m in in_unit if m.purchase),
                used=sum(m.value for m in in_unit if not m.purchase),
            )
            balances.append(balance)
            if not purchases:
                continue  # said already: never purchased
            if balance.used and not balance.bought:
                first_use = min(m.day for m in in_unit)
                mismatches.append(
                    _units_differ(name, unit, first_use, sorted({_base(p.quantity)[0] for _, p in purchases}))
                )
            elif over := _first_over(in_unit):
                mismatches.append(_over_used(name, unit, *over))
    return mismatches, balances


def _first_over(moves: Sequence[_Move]) -> tuple[date, float, float] | None:
    """The first day more had been used than bought, with both totals then."""
    bought = used = 0.0
    for m in moves:
        if m.purchase:
            bought += m.value
            continue
        used += m.value
        if used > bought + SLACK:
            return m.day, used, bought
    return None


def _never_purchased(name: str, uses: Sequence[_Use]) -> Mismatch:
    first = min(u.entry.day for u in uses)
    return Mismatch.of(
        MismatchKind.NEVER_PURCHASED,
        first,
        lambda lang: {"product": name, "times": str(len(uses)), "day": day_in(first, lang)},
    )


def _over_used(name: str, unit: Unit, day: date, used: float, bought: float) -> Mismatch:
    return Mismatch.of(
        MismatchKind.OVER_USED,
        day,
        lambda lang: {
            "day": day_in(day, lang),
            "used": amount(used, unit, lang),
            "product": name,
            "bought": amount(bought, unit, lang),
        },
    )


def _units_differ(name: str, unit: Unit, first_use: date, bought_in: Sequence[Unit]) -> Mismatch:
    return Mismatch.of(
        MismatchKind.UNITS_DIFFER,
        first_use,
        lambda lang: {
            "product": name,
            "bought": ", ".join(unit_word(u, lang) for u in bought_in),
            "used": unit_word(unit, lang),
        },
    )


def _expired(name: str, purchases: Sequence[tuple[Entry, InputPurchase]], uses: Sequence[_Use]) -> list[Mismatch]:
    expiries = [p.expiry for _, p in purchases]
    if any(x is None for x in expiries):  # one bought with no date on it may be the one used
        return []
    last = max(x for x in expiries if x is not None)
    return [_used_expired(name, u.entry.day, last) for u in uses if u.entry.day > last]


def _used_expired(name: str, day: date, expiry: date) -> Mismatch:
    return Mismatch.of(
        MismatchKind.EXPIRED,
        day,
        lambda lang: {"product": name, "day": day_in(day, lang), "expiry": day_in(expiry, lang)},
    )


# --- harvests: the pre-harvest intervals ----------------------------------------------------------------------------


def _intervals(current: Sequence[Entry], codes: dict[str, str], names: Names) -> list[Mismatch]:
    """Harvests within a spraying's pre-harvest interval, as the harvest guard would have refused them."""
    sprayings = [u for u in map(ProtectionUse.of, current) if u is not None]
    found: list[Mismatch] = []
    for e in current:
        if not isinstance(e.detail, Harvest) or e.greenhouse is None or e.zone is None:
            continue
        before = [u for u in sprayings if u.applied_on <= e.day]  # a spraying after the harvest held nothing back
        check = check_harvest(before, e.greenhouse, e.zone, e.day)
        if not check.allowed and check.allowed_from is not None:
            found.append(_within_interval(e, codes.get(e.id), check.product or "", check.allowed_from, names))
    return found


def _within_interval(e: Entry, lot: str | None, product: str, allowed_from: date, names: Names) -> Mismatch:
    return Mismatch.of(
        MismatchKind.WITHIN_PHI,
        e.day,
        lambda lang: {
            "lot": lot or pick(("chưa có mã", "with no code yet"), lang),
            "day": day_in(e.day, lang),
            "place": names.place(e.greenhouse, e.zone, lang),
            "product": product,
            "allowed": day_in(allowed_from, lang),
        },
    )


# --- lots: harvested against packed and sold -------------------------------------------------------------------------


class _LotMoves(NamedTuple):
    harvested: list[tuple[Entry, Harvest]]
    packed: list[tuple[date, float]]
    sold: list[tuple[date, float]]


def _lots(
    current: Sequence[Entry], codes: dict[str, str], lots: Sequence[Lot]
) -> tuple[list[Mismatch], list[LotBalance]]:
    moves: dict[str, _LotMoves] = {}
    made = {lot.code: lot for lot in lots}
    for e in current:
        d = e.detail
        code = codes.get(e.id) if isinstance(d, Harvest) else d.lot if isinstance(d, Packing | Sale) else None
        if code is None:
            continue  # not a move of a lot (or a harvest not yet given its lot)
        m = moves.setdefault(code, _LotMoves([], [], []))
        if isinstance(d, Harvest):
            m.harvested.append((e, d))
        elif isinstance(d, Packing):
            m.packed.append((e.day, d.packed_kg))
        elif isinstance(d, Sale):
            m.sold.append((e.day, d.quantity_kg))
    for code in made.keys() - moves.keys():  # a lot whose harvest is not among the entries: still stock
        moves[code] = _LotMoves([], [], [])
    mismatches: list[Mismatch] = []
    balances: list[LotBalance] = []
    for code in sorted(moves):
        m = moves[code]
        balance = _balance(code, m, made.get(code))
        balances.append(balance)
        unharvested = not m.harvested and code not in made
        mismatches += _beyond(code, balance.harvested_kg, m.packed, unharvested, _PACKED)
        mismatches += _beyond(code, balance.harvested_kg, m.sold, unharvested, _SOLD)
    return mismatches, balances


def _balance(code: str, m: _LotMoves, lot: Lot | None) -> LotBalance:
    days = [e.day for e, _ in m.harvested] + [day for day, _ in (*m.packed, *m.sold)]
    if m.harvested:
        first, harvest = min(m.harvested, key=lambda h: in_diary_order(h[0]))
        crop, greenhouse, zone, harvested_on = harvest.crop, first.greenhouse, first.zone, first.day
        harvested_kg = sum(h.quantity_kg for _, h in m.harvested)
    elif lot is not None:
        crop, greenhouse, zone, harvested_on = lot.crop, lot.greenhouse, lot.zone, lot.harvested_on
        harvested_kg = lot.quantity_kg
        days.append(lot.harvested_on)
    else:
        crop, greenhouse, zone, harvested_on, harvested_kg = "", None, None, None, 0.0
    return LotBalance(
        lot=code,
        crop=crop,
        greenhouse=greenhouse,
        zone=zone,
        harvested_on=harvested_on,
        harvested_kg=harvested_kg,
        packed_kg=sum(kg for _, kg in m.packed),
        sold_kg=sum(kg for _, kg in m.sold),
        last_day=max(days),
    )


class _Step(NamedTuple):
    """Packing or selling a lot, told by the mismatch each break of it is."""

    over: MismatchKind
    unharvested: MismatchKind


_PACKED = _Step(MismatchKind.PACKED_OVER, MismatchKind.PACKED_UNHARVESTED)
_SOLD = _Step(MismatchKind.SOLD_OVER, MismatchKind.SOLD_UNHARVESTED)


def _beyond(
    lot: str, harvested_kg: float, moved: Sequence[tuple[date, float]], unharvested: bool, step: _Step
) -> list[Mismatch]:
    """The lot packed (or sold) with no harvest, or past its harvested kilograms: said once, on the day it happens."""
    ordered = sorted(moved)
    if not ordered:
        return []
    if unharvested:
        day = ordered[0][0]
        return [Mismatch.of(step.unharvested, day, lambda lang: {"lot": lot, "day": day_in(day, lang)})]
    total = 0.0
    for day, kg in ordered:
        total += kg
        if total > harvested_kg + SLACK:
            return [_over_harvest(step, lot, day, total, harvested_kg)]
    return []


def _over_harvest(step: _Step, lot: str, day: date, kg: float, harvested_kg: float) -> Mismatch:
    return Mismatch.of(
        step.over,
        day,
        lambda lang: {
            "lot": lot,
            "day": day_in(day, lang),
            "kg": number_trimmed(kg, 2, lang),
            "harvested": number_trimmed(harvested_kg, 2, lang),
        },
    )
