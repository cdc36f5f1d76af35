"""History queries: which series a request names, over which window, in which buckets."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta, tzinfo

from pydantic import AwareDatetime, BaseModel, Field

from contract.kinds import SensorKind
from contract.site import Greenhouse, Sensor
from contract.wording import Lang
from gateway.storage import points
from gateway.storage.model import Bucket, BucketQuery, Store

# Nice bucket sizes; a window gets the smallest that gives at most ~300 points per series,
# which a cheap phone draws without effort.
_BUCKET_STEPS_S = (60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 86400)
_TARGET_BUCKETS = 300
MAX_BUCKETS = 5000
MAX_SPAN = timedelta(days=400)
DERIVED_UNITS: dict[str, str] = {
    "vpd_kpa": "kPa",
    "leaf_vpd_kpa": "kPa",
    "dew_point_c": "°C",
    "wet_bulb_c": "°C",
    "abs_humidity_g_m3": "g/m³",
    "dli_mol_m2_d": "mol/m²/d",
    "gdd_c_day": "°C·d",
    "eto_mm_h": "mm/h",
}
# Where a derived metric cannot go (air VPD with RH at most 100 %, a daily sum of light): the charts' axes stop
# there. Leaf VPD, dew point, wet bulb and an hour's ETo (dew at night) may be negative.
_DERIVED_FLOORS: dict[str, float] = {"vpd_kpa": 0, "abs_humidity_g_m3": 0, "dli_mol_m2_d": 0, "gdd_c_day": 0}


class HistoryError(ValueError):
    """A request that cannot be answered as asked; the message says what to change."""


class Window(BaseModel):
    start: AwareDatetime
    end: AwareDatetime
    bucket_s: int


class Limits(BaseModel):
    """What a value can physically be (None: no limit that side): a chart's axis does not run past it."""

    min: float | None = None
    max: float | None = None


class Series(BaseModel):
    name: str
    label: str
    unit: str
    kind: SensorKind | None = None
    zone: str | None = None
    range: Limits = Limits()
    buckets: list[Bucket]


class History(BaseModel):
    greenhouse: str
    window: Window
    series: list[Series]


class HistoryRequest(BaseModel):
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    bucket_s: int | None = Field(default=None, ge=10, le=31 * 86400)
    sensor: list[str] = []
    kind: SensorKind | None = None
    zone: str | None = None
    metric: list[str] = []


def window(req: HistoryRequest, now: datetime) -> Window:
    end = req.end or now
    try:
        start = req.start or end - timedelta(hours=24)
    except OverflowError:  # an end in the first day of year 1
        raise HistoryError(f"end ({end.isoformat()}) leaves no day before it: give a start") from None
    if start >= end:
        raise HistoryError(f"start ({start.isoformat()}) must be before end ({end.isoformat()})")
    span = end - start
    if span > MAX_SPAN:
        raise HistoryError(f"the range is {span.days} days; at most {MAX_SPAN.days} days at a time")
    bucket_s = req.bucket_s or next(
        (s for s in _BUCKET_STEPS_S if span.total_seconds() / s <= _TARGET_BUCKETS), _BUCKET_STEPS_S[-1]
    )
    if span.total_seconds() / bucket_s > MAX_BUCKETS:
        raise HistoryError(
            f"{span.total_seconds() / bucket_s:.0f} buckets of {bucket_s} s; at most {MAX_BUCKETS} "
            f"(use a larger bucket_s or a shorter range)"
        )
    return Window(start=start, end=end, bucket_s=bucket_s)


def sensors(gh: Greenhouse, req: HistoryRequest) -> list[Sensor]:
    known = gh.sensors
    unknown = [s for s in req.sensor if s not in known]
    if unknown:
        raise HistoryError(f"no sensor {', '.join(map(repr, unknown))} in {gh.id} (have: {', '.join(known)})")
    chosen = [known[s] for s in req.sensor] if req.sensor else list(known.values())
    if req.kind is not None:
        chosen = [s for s in chosen if s.kind is req.kind]
    if req.zone is not None:
        zone = next((z for z in gh.zones if z.id == req.zone), None)
        if zone is None:
            raise HistoryError(f"no zone {req.zone!r} in {gh.id} (have: {', '.join(z.id for z in gh.zones)})")
        chosen = [s for s in chosen if s.id in zone.soil_sensors]
    return chosen


def sensor_limits(sensor: Sensor) -> Limits:
    """The site's range for the sensor, within what its kind can be: a percentage stays in 0–100, a light level,
    a concentration or a flow does not go below 0."""
    kind = sensor.kind
    if kind.unit == "%":
        low, high = 0.0, 100.0
    elif kind.unit == "°C":
        low, high = None, None
    elif kind is SensorKind.SOIL_PH:
        low, high = 0.0, 14.0
    elif kind is SensorKind.WIND_DIRECTION_DEG:
        low, high = 0.0, 360.0
    else:
        low, high = 0.0, None
    return Limits(
        min=sensor.range.min if low is None else max(low, sensor.range.min),
        max=sensor.range.max if high is None else min(high, sensor.range.max),
    )


def history(store: Store, gh: Greenhouse, req: HistoryRequest, now: datetime, lang: Lang) -> History:
    w = window(req, now)
    unknown = [m for m in req.metric if m not in DERIVED_UNITS]
    if unknown:
        raise HistoryError(f"unknown metric {', '.join(map(repr, unknown))} (have: {', '.join(DERIVED_UNITS)})")
    zone_of = {s: z.id for z in gh.zones for s in z.soil_sensors}
    series: list[Series] = []
    # Derived metrics alone when only they are asked for; sensors otherwise.
    if not req.metric or req.sensor or req.kind or req.zone:
        for s in sensors(gh, req):
            q = BucketQuery(
                measurement=points.READING,
                field=points.VALUE,
                tags={"greenhouse": gh.id, "sensor": s.id},
                start=w.start,
                end=w.end,
                bucket_s=w.bucket_s,
            )
            series.append(
                Series(
                    name=s.id,
                    label=s.label_in(lang),
                    unit=s.kind.unit,
                    kind=s.kind,
                    zone=zone_of.get(s.id),
                    range=sensor_limits(s),
                    buckets=store.buckets(q),
                )
            )
    for metric in req.metric:
        q = BucketQuery(
            measurement=points.DERIVED,
            field=metric,
            tags={"greenhouse": gh.id},
            start=w.start,
            end=w.end,
            bucket_s=w.bucket_s,
        )
        series.append(
            Series(
                name=metric,
                label=metric,
                unit=DERIVED_UNITS[metric],
                range=Limits(min=_DERIVED_FLOORS.get(metric)),
                buckets=store.buckets(q),
            )
        )
    return History(greenhouse=gh.id, window=w, series=series)


# Ids for scripts, names and units as the site gives them for people; "time" in the greenhouse's zone with its
# offset, so that a spreadsheet shows the hour the farmer lived and a script still knows the instant.
CSV_COLUMNS = ("time", "greenhouse", "zone", "zone_name", "sensor", "sensor_name", "kind", "unit", "value", "quality")
# Spreadsheet programs (Excel above all) read a file without it in the system's code page: "°C" comes out as "Â°C".
BOM = "\ufeff"


def csv_value(kind: SensorKind, value: object) -> str:
    """A reading as the CSV writes it: one decimal more than the tile shows, which keeps a probe's resolution
    (19.9 % soil water) without the float's noise; "" when there is none."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return ""
    digits = kind.digits + 1
    return f"{round(value, digits) + 0.0:.{digits}f}"  # + 0.0: no "-0.0"


def csv_rows(
    store: Store, gh: Greenhouse, req: HistoryRequest, now: datetime, limit: int, *, tz: tzinfo, lang: Lang
) -> Iterator[str]:
    """Every reading in the window, flagged ones included with their flag, as CSV lines; times in ``tz``, names
    in ``lang``."""
    w = window(req, now)
    chosen = sensors(gh, req)
    zone_of = {s: z for z in gh.zones for s in z.soil_sensors}
    buffer = io.StringIO()
    out = csv.writer(buffer)
    buffer.write(BOM)
    out.writerow(CSV_COLUMNS)
    yield _flush(buffer)
    for s in chosen:
        zone = zone_of.get(s.id)
        for p in store.rows(points.READING, {"greenhouse": gh.id, "sensor": s.id}, w.start, w.end, limit):
            value = p.fields.get(points.VALUE, p.fields.get(points.RAW_VALUE))
            out.writerow(
                (
                    p.ts.astimezone(tz).isoformat(timespec="seconds"),
                    gh.id,
                    zone.id if zone else "",
                    zone.label_in(lang) if zone else "",
                    s.id,
                    s.label_in(lang),
                    s.kind.value,
                    s.kind.unit,
                    csv_value(s.kind, value),
                    p.fields.get("quality", ""),
                )
            )
        yield _flush(buffer)


def _flush(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
