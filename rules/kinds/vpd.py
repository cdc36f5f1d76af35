"""VPD rules: keep the air's vapour pressure deficit in a band, misting in pulses when the air is too dry
and opening the vents when it is too humid.

Misting runs in on/off cycles (``on_s`` then ``off_s``) so that the mist evaporates between pulses instead of
wetting the leaves, and only in its daylight window and above ``min_temp_c``: wet leaves on a cold night are
where grey mould and late blight start.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import AwareDatetime, BeforeValidator, Field, model_validator

from agronomy.vapour import air_vpd_kpa
from contract.bounds import Strict
from contract.kinds import ActuatorKind, SensorKind
from contract.messages import Id
from contract.reasons import Reason
from contract.site import Greenhouse
from contract.validation_words import Mistake, Words, number
from rules import params
from rules.base import Action, Duration, Metric, Percent, RuleBase
from rules.context import Context
from rules.inputs import read_metric
from rules.outcome import Decision, RuleOutcome
from rules.site_checks import AIR_RH, AIR_TEMP, actuator_kind_problems, hold_problems, sensor_kind_problems
from rules.stepping import Steps
from rules.triggers import DaylightWindow, daylight_switch


class Misting(Strict):
    actuators: list[Id] = Field(min_length=1)  # misters or foggers, pulsed together
    on_s: Duration = 20
    off_s: Duration = 100  # the pause after each pulse, for the mist to evaporate
    # When misting may run: sunrise to sunset unless given; ``false`` for any time of day.
    window: Annotated[DaylightWindow | None, BeforeValidator(daylight_switch)] = DaylightWindow()
    min_temp_c: float | None = 12.0  # no misting in colder air

    def pulses(self) -> list[Action]:
        return [Action(actuator=a, on_for_s=self.on_s) for a in self.actuators]


class HumidityVenting(Strict):
    actuators: list[Id] = Field(min_length=1)  # vents and side curtains
    position_pct: Percent = 20
    min_temp_c: float | None = None  # no venting in colder air: on a frost night warmth matters more

    def asks(self, hold_s: float) -> list[Action]:
        return [Action(actuator=a, on_for_s=hold_s, position_pct=self.position_pct) for a in self.actuators]


class VpdState(Strict):
    kind: Literal["vpd"] = "vpd"
    too_dry: bool = False  # the band's two Schmitt triggers, with the hysteresis applied
    too_humid: bool = False
    next_pulse_at: AwareDatetime | None = None  # the misting cycle: the next pulse may start from here


class VpdRule(RuleBase, Steps[VpdState]):
    """Mist in pulses above ``high_kpa``, vent below ``low_kpa``."""

    kind: Literal["vpd"]
    air_temp: Metric
    air_rh: Metric
    max_input_age_s: Duration = 300
    low_kpa: float = Field(default=0.4, ge=0, le=5)
    high_kpa: float = Field(default=1.2, gt=0, le=5)
    # Dry or humid until the VPD is this far back inside the band.
    hysteresis_kpa: float = Field(default=0.1, ge=0, le=1)
    misting: Misting | None = None
    venting: HumidityVenting | None = None
    hold_s: Duration = 120  # each venting ask lasts this long and is renewed while the air is too humid

    @classmethod
    def state_model(cls) -> type[VpdState]:
        return VpdState

    @model_validator(mode="after")
    def _a_band_and_something_to_drive(self) -> VpdRule:
        if self.low_kpa + 2 * self.hysteresis_kpa >= self.high_kpa:
            low, high, gap = self.low_kpa, self.high_kpa, self.hysteresis_kpa
            raise Mistake(
                f"low_kpa ({number(low, 'vi')}) và high_kpa ({number(high, 'vi')}) phải cách nhau hơn hai lần "
                f"hysteresis_kpa ({number(gap, 'vi')}), nếu không phun sương và mở thông gió sẽ nối đuôi nhau",
                f"low_kpa ({low:g}) and high_kpa ({high:g}) must be further apart than twice "
                f"hysteresis_kpa ({gap:g}), or misting and venting would follow each other",
            )
        if self.misting is None and self.venting is None:
            raise Mistake(
                "cho luật ít nhất một thứ để điều khiển: misting, venting hoặc cả hai",
                "give the rule something to drive: misting, venting or both",
            )
        return self

    def metrics(self) -> list[Metric]:
        return [self.air_temp, self.air_rh]

    def actions(self) -> list[Action]:
        actions = (
            [Action(actuator=a, on_for_s=self.misting.on_s) for a in self.misting.actuators] if self.misting else []
        )
        if self.venting:
            position = self.venting.position_pct
            actions += [Action(actuator=a, on_for_s=self.hold_s, position_pct=position) for a in self.venting.actuators]
        return actions

    def site_problems(self, greenhouse: Greenhouse) -> list[Words]:
        problems = hold_problems(self.hold_s, greenhouse) if self.venting else []
        problems += sensor_kind_problems(self.air_temp, greenhouse, SensorKind.AIR_TEMP_C, AIR_TEMP)
        problems += sensor_kind_problems(self.air_rh, greenhouse, SensorKind.AIR_RH_PCT, AIR_RH)
        if self.misting:
            problems += actuator_kind_problems(self.misting.actuators, greenhouse, {ActuatorKind.MISTER})
        if self.venting:
            vents = {ActuatorKind.VENT, ActuatorKind.SIDE_CURTAIN}
            problems += actuator_kind_problems(self.venting.actuators, greenhouse, vents)
        return problems

    def step(self, previous: VpdState, ctx: Context) -> RuleOutcome[VpdState]:
        now = ctx.now
        temp = read_metric(self.air_temp, ctx.latest, now, self.max_input_age_s)
        rh = read_metric(self.air_rh, ctx.latest, now, self.max_input_age_s)
        if temp.value is None or rh.value is None:
            # The cycle starts afresh when the inputs are back.
            return RuleOutcome(VpdState(), unusable=temp if temp.value is None else rh)
        temp_c, vpd_kpa = temp.value, air_vpd_kpa(temp.value, rh.value)
        inputs = {**temp.inputs, **rh.inputs, "vpd_kpa": round(vpd_kpa, 3)}
        too_dry = vpd_kpa > self.high_kpa - (self.hysteresis_kpa if previous.too_dry else 0.0)
        too_humid = vpd_kpa < self.low_kpa + (self.hysteresis_kpa if previous.too_humid else 0.0)
        decisions: list[Decision] = []
        next_pulse_at = previous.next_pulse_at if too_dry else None
        if too_dry and self._may_mist(temp_c, ctx) and (next_pulse_at is None or now >= next_pulse_at):
            decisions += self._pulse(vpd_kpa, inputs)
            next_pulse_at = self._after_pulse(now)
        if too_humid and self.venting and _warm_enough(temp_c, self.venting.min_temp_c):
            decisions += self._vent(self.venting, vpd_kpa, inputs)
        state = VpdState(too_dry=too_dry, too_humid=too_humid, next_pulse_at=next_pulse_at)
        return RuleOutcome(state, decisions=tuple(decisions))

    def _may_mist(self, temp_c: float, ctx: Context) -> bool:
        misting = self.misting
        if misting is None or not _warm_enough(temp_c, misting.min_temp_c):
            return False
        return misting.window is None or misting.window.contains(ctx.now, ctx.place)

    def _after_pulse(self, now: datetime) -> datetime:
        assert self.misting is not None
        return now + timedelta(seconds=self.misting.on_s + self.misting.off_s)

    def _pulse(self, vpd_kpa: float, inputs: dict[str, float]) -> list[Decision]:
        assert self.misting is not None
        why = {
            **params.named(self),
            "vpd_kpa": params.number(vpd_kpa),
            "limit_kpa": params.number(self.high_kpa),
            "on_s": params.number(self.misting.on_s),
        }
        return [Decision.run(self, a, Reason.RULE_VPD_MISTING, why, inputs) for a in self.misting.pulses()]

    def _vent(self, venting: HumidityVenting, vpd_kpa: float, inputs: dict[str, float]) -> list[Decision]:
        why = {
            **params.named(self),
            "vpd_kpa": params.number(vpd_kpa),
            "limit_kpa": params.number(self.low_kpa),
            "position_pct": params.number(venting.position_pct),
        }
        asks = venting.asks(self.hold_s)
        return [Decision.run(self, a, Reason.RULE_VPD_VENTING, why, inputs, held=True) for a in asks]


def _warm_enough(temp_c: float, min_temp_c: float | None) -> bool:
    return min_temp_c is None or temp_c >= min_temp_c
