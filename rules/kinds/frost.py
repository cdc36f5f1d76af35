"""Frost rules (sương muối): warn and protect on clear, still nights, and wash the frost off at sunrise.

- Risk: the indicator — wet-bulb temperature by default, which falls below the air temperature as dry air
  cools leaves by evaporation and radiation; or the dew point, or the air temperature itself — below
  ``alert_below_c`` in the night window raises a warning for the farmer.
- Protection: below ``protect.below_c`` the heaters run, vents and side curtains are shut, screens are
  drawn to keep the warmth in, and foggers pulse; the alert is raised again as critical. Each ask lasts
  ``hold_s`` and is renewed while the risk lasts, so the actuators fall back by themselves if the edge stops.
- Wash-off (tưới phá sương): after a night with frost risk, the crop is sprinkled at a morning time, before
  the sun thaws the frozen leaves too fast; only once the air is above ``min_air_temp_c``, waiting up to
  ``wait_max_min`` for it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal, NamedTuple

from pydantic import AwareDatetime, BeforeValidator, Field, model_validator

from agronomy.humidity import dew_point_c, wet_bulb_c
from contract.bounds import Strict
from contract.kinds import ActuatorKind, SensorKind
from contract.messages import Id, Severity
from contract.reasons import Reason
from contract.site import Greenhouse
from contract.validation_words import Mistake, Words, number
from rules import params
from rules.base import Action, Duration, Metric, RuleBase, distinct_actuators
from rules.context import Context
from rules.inputs import MetricValue, read_metric
from rules.outcome import Alert, Decision, RuleOutcome, Suppression
from rules.site_checks import AIR_RH, AIR_TEMP, actuator_kind_problems, hold_problems, sensor_kind_problems
from rules.stepping import Steps
from rules.triggers import NightWindow, StartTime, daylight_switch

# A wash-off answers the night before it: frost seen longer ago than this is another night's.
_NIGHT = timedelta(hours=18)


class FrostIndicator(StrEnum):
    WET_BULB = "wet_bulb"
    DEW_POINT = "dew_point"
    AIR_TEMP = "air_temp"


class Fogging(Strict):
    actuators: list[Id] = Field(min_length=1)  # foggers or misters, pulsed together
    on_s: Duration = 60
    off_s: Duration = 240  # between pulses: enough fog to slow the cooling, not enough to soak the crop


class Protection(Strict):
    below_c: float  # the indicator below this: protect
    heaters: list[Id] = Field(default_factory=list)
    close: list[Id] = Field(default_factory=list)  # vents and side curtains, shut
    screens: list[Id] = Field(default_factory=list)  # screens drawn at night keep the warmth in
    screen_position_pct: float = Field(default=100, ge=0, le=100)
    fogging: Fogging | None = None

    @model_validator(mode="after")
    def _something_to_drive(self) -> Protection:
        if not (self.heaters or self.close or self.screens or self.fogging):
            raise Mistake(
                "cho phần bảo vệ ít nhất một thứ để điều khiển: heaters, close, screens hoặc fogging",
                "give the protection something to drive: heaters, close, screens or fogging",
            )
        return self


class WashOff(StartTime):
    """A sprinkling at a morning time (``sun`` or ``cron``) after a night with frost risk."""

    actions: list[Action] = Field(min_length=1)  # valves, all opened together
    # The night counts as a frost night if the indicator went below this (the rule's alert_below_c if not given).
    after_below_c: float | None = None
    min_air_temp_c: float = 0.5  # water on leaves in colder air freezes: wait for it to warm
    wait_max_min: int = Field(default=120, ge=0, le=360)


class FrostState(Strict):
    kind: Literal["frost"] = "frost"
    alerted: bool = False  # the risk alert stands
    protecting: bool = False
    next_fog_at: AwareDatetime | None = None  # the fogging cycle: the next pulse may start from here
    # For the wash-off: when the indicator was last below its limit, and its lowest since.
    frost_at: AwareDatetime | None = None
    night_min_c: float | None = None
    last_checked: AwareDatetime | None = None  # wash-off times up to here have been dealt with
    wash_due_since: AwareDatetime | None = None  # a wash-off time passed; waiting for the air to warm


class _Reading(NamedTuple):
    """This evaluation's indicator and air temperature, with the inputs they came from."""

    indicator_c: float
    air_c: float
    inputs: dict[str, float]


class FrostRule(RuleBase, Steps[FrostState]):
    """Warn of frost in the night window, protect below ``protect.below_c``, and wash off after a frost night."""

    kind: Literal["frost"]
    air_temp: Metric
    air_rh: Metric | None = None  # needed for the wet bulb and the dew point
    indicator: FrostIndicator = FrostIndicator.WET_BULB
    max_input_age_s: Duration = 300
    alert_below_c: float = Field(default=2.0, ge=-10, le=10)
    # Alert and protection stay on until the indicator is this far back above their limits.
    hysteresis_c: float = Field(default=1.0, gt=0, le=5)
    # When frost is watched for: by default sunset to two hours after sunrise; ``false`` for any time.
    window: Annotated[NightWindow | None, BeforeValidator(daylight_switch)] = NightWindow()
    protect: Protection | None = None
    wash_off: WashOff | None = None
    hold_s: Duration = 120

    @classmethod
    def state_model(cls) -> type[FrostState]:
        return FrostState

    @model_validator(mode="after")
    def _consistent(self) -> FrostRule:
        if self.indicator is not FrostIndicator.AIR_TEMP and self.air_rh is None:
            raise Mistake(
                f"indicator {self.indicator} cần độ ẩm không khí: hãy ghi air_rh",
                f"indicator {self.indicator} needs the air humidity: give air_rh",
            )
        if self.protect is not None and self.protect.below_c > self.alert_below_c:
            below, alert = self.protect.below_c, self.alert_below_c
            raise Mistake(
                f"protect.below_c ({number(below, 'vi')}) không được cao hơn alert_below_c "
                f"({number(alert, 'vi')}): người trồng phải được báo trước khi luật hành động",
                f"protect.below_c ({below:g}) must not be above alert_below_c "
                f"({alert:g}): the farmer is warned before the rule acts",
            )
        distinct_actuators(self.actions())
        return self

    @property
    def wash_after_below_c(self) -> float:
        assert self.wash_off is not None
        after = self.wash_off.after_below_c
        return self.alert_below_c if after is None else after

    def metrics(self) -> list[Metric]:
        return [self.air_temp, *([self.air_rh] if self.air_rh else [])]

    def actions(self) -> list[Action]:
        actions: list[Action] = []
        if self.protect:
            p, hold = self.protect, self.hold_s
            actions += [Action(actuator=a, on_for_s=hold) for a in p.heaters]
            actions += [Action(actuator=a, on_for_s=hold, position_pct=0) for a in p.close]
            actions += [Action(actuator=a, on_for_s=hold, position_pct=p.screen_position_pct) for a in p.screens]
            if p.fogging:
                actions += [Action(actuator=a, on_for_s=p.fogging.on_s) for a in p.fogging.actuators]
        if self.wash_off:
            actions += self.wash_off.actions
        return actions

    def site_problems(self, greenhouse: Greenhouse) -> list[Words]:
        problems = hold_problems(self.hold_s, greenhouse) if self.protect else []
        problems += sensor_kind_problems(self.air_temp, greenhouse, SensorKind.AIR_TEMP_C, AIR_TEMP)
        if self.air_rh:
            problems += sensor_kind_problems(self.air_rh, greenhouse, SensorKind.AIR_RH_PCT, AIR_RH)
        if p := self.protect:
            problems += actuator_kind_problems(p.heaters, greenhouse, {ActuatorKind.HEATER})
            problems += actuator_kind_problems(p.close, greenhouse, {ActuatorKind.VENT, ActuatorKind.SIDE_CURTAIN})
            problems += actuator_kind_problems(p.screens, greenhouse, {ActuatorKind.SHADE_SCREEN})
            if p.fogging:
                problems += actuator_kind_problems(p.fogging.actuators, greenhouse, {ActuatorKind.MISTER})
        if self.wash_off:
            valves = [a.actuator for a in self.wash_off.actions]
            problems += actuator_kind_problems(valves, greenhouse, {ActuatorKind.VALVE})
        return problems

    def step(self, previous: FrostState, ctx: Context) -> RuleOutcome[FrostState]:
        now = ctx.now
        reading, unusable = self._read(ctx)
        if reading is None:
            # Nothing is driven on unknown air: protections end with their holds, the fallback may take over.
            # A standing alert stays, and wash-off times pass unmade.
            state = previous.model_copy(update={"protecting": False, "next_fog_at": None, "last_checked": now})
            return RuleOutcome(state, unusable=unusable)
        in_window = self.window is None or self.window.contains(now, ctx.place)
        value = reading.indicator_c
        alerted = in_window and value < self.alert_below_c + (self.hysteresis_c if previous.alerted else 0.0)
        protecting = (
            in_window
            and self.protect is not None
            and value < self.protect.below_c + (self.hysteresis_c if previous.protecting else 0.0)
        )
        alerts = self._alerts(previous, alerted, protecting, reading)
        decisions: list[Decision] = []
        next_fog_at = previous.next_fog_at if protecting else None
        if protecting:
            assert self.protect is not None
            decisions, next_fog_at = self._protect(self.protect, previous.next_fog_at, reading, now)
        state = FrostState(alerted=alerted, protecting=protecting, next_fog_at=next_fog_at, last_checked=now)
        if self.wash_off is None:
            return RuleOutcome(state, decisions=tuple(decisions), alerts=alerts)
        state, wash, suppressions = self._wash_off(self.wash_off, previous, state, reading, in_window, ctx)
        return RuleOutcome(state, decisions=(*decisions, *wash), suppressions=suppressions, alerts=alerts)

    # --- inputs -----------------------------------------------------------------------------------
    def _read(self, ctx: Context) -> tuple[_Reading | None, MetricValue | None]:
        temp = read_metric(self.air_temp, ctx.latest, ctx.now, self.max_input_age_s)
        if temp.value is None:
            return None, temp
        if self.indicator is FrostIndicator.AIR_TEMP:
            return _Reading(temp.value, temp.value, dict(temp.inputs)), None
        assert self.air_rh is not None  # _consistent
        rh = read_metric(self.air_rh, ctx.latest, ctx.now, self.max_input_age_s)
        if rh.value is None or rh.value <= 0:
            return None, rh
        if self.indicator is FrostIndicator.WET_BULB:
            indicator_c, name = wet_bulb_c(temp.value, rh.value), "wet_bulb_c"
        else:
            indicator_c, name = dew_point_c(temp.value, rh.value), "dew_point_c"
        return _Reading(indicator_c, temp.value, {**temp.inputs, **rh.inputs, name: round(indicator_c, 2)}), None

    # --- alerts and protection --------------------------------------------------------------------
    def _alerts(self, previous: FrostState, alerted: bool, protecting: bool, reading: _Reading) -> tuple[Alert, ...]:
        value = reading.indicator_c
        alerts: list[Alert] = []
        if alerted and not previous.alerted:
            why = self._why(value, self.alert_below_c)
            alerts.append(self._alert(True, Severity.WARNING, Reason.RULE_FROST_RISK, why, reading))
        if protecting and not previous.protecting:
            assert self.protect is not None
            why = self._why(value, self.protect.below_c)
            alerts.append(self._alert(True, Severity.CRITICAL, Reason.RULE_FROST_PROTECTING, why, reading))
        if previous.alerted and not alerted:
            why = {"value": params.number(value)}
            alerts.append(self._alert(False, Severity.INFO, Reason.RULE_FROST_CLEARED, why, reading))
        return tuple(alerts)

    def _alert(self, raised: bool, severity: Severity, reason: Reason, why: dict[str, str], r: _Reading) -> Alert:
        # An alert says what is happening; which rule saw it is the event's own field.
        said = {k: v for k, v in why.items() if k != "rule"}
        return Alert(rule=self.id, raised=raised, severity=severity, reason=reason, reason_params=said, inputs=r.inputs)

    def _why(self, value: float, limit: float) -> dict[str, str]:
        return {**params.named(self), "value": params.number(value), "limit": params.number(limit)}

    def _protect(
        self, protect: Protection, next_fog_at: datetime | None, reading: _Reading, now: datetime
    ) -> tuple[list[Decision], datetime | None]:
        why, inputs, hold = self._why(reading.indicator_c, protect.below_c), reading.inputs, self.hold_s
        asks = [(Action(actuator=a, on_for_s=hold), Reason.RULE_FROST_HEATING) for a in protect.heaters]
        asks += [(Action(actuator=a, on_for_s=hold, position_pct=0), Reason.RULE_FROST_CLOSING) for a in protect.close]
        position = protect.screen_position_pct
        asks += [
            (Action(actuator=a, on_for_s=hold, position_pct=position), Reason.RULE_FROST_SCREEN)
            for a in protect.screens
        ]
        fog = protect.fogging
        if fog and (next_fog_at is None or now >= next_fog_at):
            asks += [(Action(actuator=a, on_for_s=fog.on_s), Reason.RULE_FROST_FOGGING) for a in fog.actuators]
            next_fog_at = now + timedelta(seconds=fog.on_s + fog.off_s)
        # Fogging pulses for its own time; the rest is held while the risk lasts.
        decisions = [
            Decision.run(self, action, reason, why, inputs, held=reason is not Reason.RULE_FROST_FOGGING)
            for action, reason in asks
        ]
        return decisions, next_fog_at

    # --- wash-off ---------------------------------------------------------------------------------
    def _wash_off(
        self,
        wash: WashOff,
        previous: FrostState,
        state: FrostState,
        reading: _Reading,
        in_window: bool,
        ctx: Context,
    ) -> tuple[FrostState, tuple[Decision, ...], tuple[Suppression, ...]]:
        now, value = ctx.now, reading.indicator_c
        frost_at, night_min = previous.frost_at, previous.night_min_c
        if in_window and value < self.wash_after_below_c:  # a cold day is not a frost night
            frost_at, night_min = now, value if night_min is None else min(night_min, value)
        due = previous.wash_due_since
        fire = wash.latest_fire(previous.last_checked, now, ctx.place) if previous.last_checked else None
        if fire is not None and due is None:
            if frost_at is not None and fire - frost_at <= _NIGHT:
                due = fire
            else:  # no frost the night before this wash-off time: nothing to wash, forget older nights
                frost_at, night_min = None, None
        if due is None:
            return state.model_copy(update={"frost_at": frost_at, "night_min_c": night_min}), (), ()
        at = params.local_time(due, ctx.tz)
        why = {
            **params.named(self),
            "at": at,
            "temp_c": params.number(reading.air_c),
            "min_temp_c": params.number(wash.min_air_temp_c),
        }
        done = state.model_copy(update={"frost_at": None, "night_min_c": None})
        if reading.air_c >= wash.min_air_temp_c:
            assert night_min is not None  # due only after a frost night
            washed = {**params.named(self), "at": at, "min_c": params.number(night_min)}
            decisions = tuple(
                Decision.run(self, a, Reason.RULE_FROST_WASH_OFF, washed, reading.inputs) for a in wash.actions
            )
            return done, decisions, ()
        if now - due > timedelta(minutes=wash.wait_max_min):
            return done, (), (self._suppressed(Reason.RULE_FROST_WASH_MISSED, why, reading),)
        waiting = state.model_copy(update={"frost_at": frost_at, "night_min_c": night_min, "wash_due_since": due})
        told = () if previous.wash_due_since else (self._suppressed(Reason.RULE_FROST_WASH_WAITING, why, reading),)
        return waiting, (), told

    def _suppressed(self, reason: Reason, why: dict[str, str], reading: _Reading) -> Suppression:
        return Suppression(rule=self.id, reason=reason, reason_params=why, inputs=reading.inputs)
