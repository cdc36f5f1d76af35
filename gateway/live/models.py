"""What the phone sees of a greenhouse now, what it asks of one, and the alerts it is told: the live API's
models (served under /api/v1/live and /api/v1/greenhouses/{id}/…)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, Field

from contract.crops import CropBand
from contract.kinds import ActuatorKind, ControlSource, Quality, SensorKind
from contract.messages import Availability, CommandAction, Severity


class Level(StrEnum):
    """How a value stands against its band, for the colour it is shown in."""

    OK = "ok"
    LOW = "low"
    HIGH = "high"
    STALE = "stale"  # no good reading young enough to trust: shown grey, with its age
    UNKNOWN = "unknown"  # no band for this kind of value


class VerdictLevel(StrEnum):
    """The one word that answers "is my greenhouse all right?", in the colour of its severity."""

    OK = "ok"
    ATTENTION = "attention"  # cần chú ý: look when you can
    DANGER = "danger"  # nguy hiểm: the crop may be harmed within hours, or someone must act now


class VerdictReason(BaseModel):
    """One reason, in a farmer's words: names from the site file, numbers in the reader's locale with units."""

    level: VerdictLevel
    text_vi: str
    text_en: str


class Verdict(BaseModel):
    level: VerdictLevel
    reasons: list[VerdictReason]  # the one or two that matter most, worst first; none when all is well


class CropBands(BaseModel):
    """The bands of the greenhouse's crop (contract/crops.py), as new rules are prefilled with them."""

    air_temp_c_day: CropBand
    air_temp_c_night: CropBand
    air_rh_pct: CropBand
    vpd_kpa: CropBand
    soil_vwc_pct: CropBand


class SensorNow(BaseModel):
    sensor: str
    name: str  # as the site file names it; name_en for an English reader (the same where the site gives none)
    name_en: str
    kind: SensorKind
    unit: str
    zone: str | None  # the irrigation zone a soil sensor belongs to
    zone_name: str | None
    zone_name_en: str | None
    value: float | None
    ts: AwareDatetime | None
    quality: Quality | None
    age_s: float | None
    level: Level  # judged on the value rounded to ``digits``, as the tile shows it
    band: CropBand | None  # the crop's, by day or by night as it is now at the cooperative
    digits: int  # decimals the value is shown with (SensorKind.digits)
    tile: bool  # shown to the farmer (a tile, or a zone's soil water): the verdict names only these


class ActuatorNow(BaseModel):
    actuator: str
    name: str
    name_en: str
    kind: ActuatorKind
    zone: str | None  # the zone a valve waters: "Đang tưới khu A"
    zone_name: str | None
    zone_name_en: str | None
    on: bool
    position_pct: float | None
    since: AwareDatetime | None
    until: AwareDatetime | None  # when a timed run ends: "còn 3 phút"
    source: ControlSource | None
    text_vi: str  # why it is in this state
    text_en: str
    reachable: bool


class ClimateNow(BaseModel):
    """Derived from the air sensors at the gateway: what a farmer reads first."""

    vpd_kpa: float | None
    vpd_level: Level
    vpd_band: CropBand


class GreenhouseNow(BaseModel):
    greenhouse: str
    name: str
    name_en: str
    crop: str
    timezone: str  # the greenhouse's own (IANA name): every time on the phone is shown in it, not the phone's
    availability: Availability | None  # None: never heard from
    last_seen: AwareDatetime | None
    silent: bool  # nothing heard for several polls
    state_ts: AwareDatetime | None  # when the actuator states were last reported
    sensors: list[SensorNow]
    actuators: list[ActuatorNow]
    climate: ClimateNow
    active_alerts: int
    verdict: Verdict
    crop_bands: CropBands | None  # None: no crop profile (generic bands)


class CommandRequest(BaseModel):
    actuator: str = Field(min_length=1, max_length=63)
    action: CommandAction
    duration_s: float | None = Field(default=None, gt=0, le=24 * 3600)
    position_pct: float | None = Field(default=None, ge=0, le=100)


class CommandOutcome(StrEnum):
    ACCEPTED = "accepted"
    CLIPPED = "clipped"
    REFUSED = "refused"
    NO_ANSWER = "no_answer"  # the greenhouse did not acknowledge in time (offline?)


class CommandAnswer(BaseModel):
    command_id: str
    outcome: CommandOutcome
    reason: str
    text_vi: str
    text_en: str
    effective_duration_s: float | None = None


class AlertNow(BaseModel):
    id: str  # stable for one occurrence: greenhouse, source and the time it was raised
    greenhouse: str
    source: str  # what raised it: rule:<id>, input:<rule id>, node:<id>, offline
    severity: Severity
    raised_at: AwareDatetime
    last_at: AwareDatetime  # raised, repeated or escalated last
    cleared_at: AwareDatetime | None
    active: bool  # not cleared yet
    text_vi: str
    text_en: str
    acked_by: str | None
    acked_at: AwareDatetime | None
