"""What a lot's consumer may know of it, gathered from the record book: where it grew, from which planting, what
was sprayed and given and whether each interval was kept, the growing conditions the controller measured, and when
each stage happened (Circular 02/2024/TT-BKHCN asks for the product's trace code, the place's, and the time of each
stage). People's names only where the cooperative allows; nothing else of the site."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from statistics import fmean

from pydantic import BaseModel

from contract.diary import (
    Certificate,
    ClimateDay,
    Entry,
    EntryKind,
    Fertigation,
    Fertiliser,
    FrostNight,
    Irrigation,
    Lot,
    Packing,
    Planting,
    Protection,
    Sale,
    Traceability,
)
from contract.site import SiteConfig
from gateway.diary.digital_link import lot_url
from gateway.diary.effective import effective
from gateway.diary.labels import LotLabel

# A lot grew since its planting; without one recorded, the season is taken as this long before the harvest.
DEFAULT_SEASON = timedelta(days=120)


class SprayUse(BaseModel):
    product: str
    active_ingredient: str
    target_pest: str
    applied_on: date
    phi_days: int
    allowed_from: date
    kept: bool  # the harvest came on or after the day the interval ended
    sprayed_by: str | None  # only where the cooperative shows names


class FertiliserUse(BaseModel):
    product: str
    applied_on: date
    method: str


class Conditions(BaseModel):
    """The growing period as the controller measured it (its drafted entries, confirmed)."""

    first_day: date
    last_day: date
    days_measured: int
    min_air_temp_c: float | None
    max_air_temp_c: float | None
    # The mean of the days' (min + max) / 2, the daily mean FAO-56 uses (Allen et al. 1998, eq. 9).
    mean_air_temp_c: float | None
    mean_vpd_kpa: float | None
    mean_dli_mol_m2_d: float | None
    frost_nights: int
    water_l: float


class Stage(BaseModel):
    kind: EntryKind  # planting, harvest, packing, sale
    day: date


class LotStory(BaseModel):
    lot: Lot
    cooperative: str
    cooperative_en: str | None
    greenhouse: str
    greenhouse_en: str | None
    zone: str
    place_code: str
    variety: str | None
    seed_source: str | None
    planted_on: date | None
    sprays: list[SprayUse]
    fertilisers: list[FertiliserUse]
    conditions: Conditions | None
    stages: list[Stage]
    certificate: Certificate | None
    certificate_valid: bool  # on the harvest day


def place_code(site: SiteConfig, traceability: Traceability, greenhouse: str) -> str:
    """The place trace code of a greenhouse: the cooperative's (or its own id) and the greenhouse's id."""
    return f"{traceability.place_code or site.cooperative.id}/{greenhouse}"


def lot_story(lot: Lot, entries: Sequence[Entry], site: SiteConfig, traceability: Traceability) -> LotStory:
    gh = site.greenhouse(lot.greenhouse)
    zone = next((z for z in gh.zones if z.id == lot.zone), None)
    current = [e for e in effective(entries) if e.greenhouse == lot.greenhouse]
    here = [e for e in current if e.zone in (None, lot.zone)]
    planting = max(
        (e for e in here if isinstance(e.detail, Planting) and e.day <= lot.harvested_on),
        key=lambda e: e.day,
        default=None,
    )
    start = planting.day if planting is not None else lot.harvested_on - DEFAULT_SEASON
    season = [e for e in here if start <= e.day <= lot.harvested_on]
    later = [e for e in current if getattr(e.detail, "lot", None) == lot.code]
    cert = traceability.certificate
    return LotStory(
        lot=lot,
        cooperative=site.cooperative.name,
        cooperative_en=site.cooperative.name_en,
        greenhouse=gh.name,
        greenhouse_en=gh.name_en,
        zone=zone.name if zone is not None else lot.zone,
        place_code=place_code(site, traceability, lot.greenhouse),
        variety=planting.detail.variety if planting is not None and isinstance(planting.detail, Planting) else None,
        seed_source=(
            planting.detail.seed_source if planting is not None and isinstance(planting.detail, Planting) else None
        ),
        planted_on=planting.day if planting is not None else None,
        sprays=[_spray(e, lot, traceability.show_names) for e in season if isinstance(e.detail, Protection)],
        fertilisers=[_fertiliser(e) for e in season if isinstance(e.detail, Fertiliser | Fertigation)],
        conditions=_conditions(season, start, lot.harvested_on),
        stages=_stages(planting, lot, later),
        certificate=cert,
        certificate_valid=cert is not None and cert.valid_from <= lot.harvested_on <= cert.valid_until,
    )


def lot_label(
    lot: Lot, entries: Sequence[Entry], site: SiteConfig, traceability: Traceability, net_kg: float | None = None
) -> LotLabel:
    """What the lot's label says: the product as crop and variety, the weight of the package it goes on (the whole
    lot's without one), and the address its QR code opens."""
    story = lot_story(lot, entries, site, traceability)
    product = f"{lot.crop} {story.variety}" if story.variety else lot.crop
    return LotLabel(
        cooperative=site.cooperative.name,
        product=product[:120],
        lot=lot.code,
        net_weight_kg=net_kg if net_kg is not None else lot.quantity_kg,
        harvested_on=lot.harvested_on,
        url=lot_url(traceability, lot),
    )


def _spray(e: Entry, lot: Lot, show_names: bool) -> SprayUse:
    d = e.detail
    assert isinstance(d, Protection)
    allowed = e.day + timedelta(days=d.phi_days)
    return SprayUse(
        product=d.product,
        active_ingredient=d.active_ingredient,
        target_pest=d.target_pest,
        applied_on=e.day,
        phi_days=d.phi_days,
        allowed_from=allowed,
        kept=lot.harvested_on >= allowed,
        sprayed_by=d.sprayed_by if show_names else None,
    )


def _fertiliser(e: Entry) -> FertiliserUse:
    d = e.detail
    assert isinstance(d, Fertiliser | Fertigation)
    method = d.method if isinstance(d, Fertiliser) else "fertigation"
    return FertiliserUse(product=d.product, applied_on=e.day, method=method)


def _conditions(season: Sequence[Entry], start: date, end: date) -> Conditions | None:
    days = [e.detail for e in season if isinstance(e.detail, ClimateDay)]
    water = sum(e.detail.water_l or 0.0 for e in season if isinstance(e.detail, Irrigation | Fertigation))
    frost = sum(1 for e in season if isinstance(e.detail, FrostNight))
    if not days and not water and not frost:
        return None
    vpd = [d.mean_vpd_kpa for d in days if d.mean_vpd_kpa is not None]
    dli = [d.dli_mol_m2_d for d in days if d.dli_mol_m2_d is not None]
    return Conditions(
        first_day=start,
        last_day=end,
        days_measured=len(days),
        min_air_temp_c=min((d.min_air_temp_c for d in days), default=None),
        max_air_temp_c=max((d.max_air_temp_c for d in days), default=None),
        mean_air_temp_c=round(fmean((d.min_air_temp_c + d.max_air_temp_c) / 2 for d in days), 1) if days else None,
        mean_vpd_kpa=round(fmean(vpd), 2) if vpd else None,
        mean_dli_mol_m2_d=round(fmean(dli), 1) if dli else None,
        frost_nights=frost,
        water_l=round(water),
    )


def _stages(planting: Entry | None, lot: Lot, later: Sequence[Entry]) -> list[Stage]:
    stages = [Stage(kind=EntryKind.PLANTING, day=planting.day)] if planting is not None else []
    stages.append(Stage(kind=EntryKind.HARVEST, day=lot.harvested_on))
    stages += [Stage(kind=e.detail.kind, day=e.day) for e in later if isinstance(e.detail, Packing | Sale)]
    return sorted(stages, key=lambda s: s.day)
