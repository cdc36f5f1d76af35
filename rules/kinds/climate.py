"""Climate rules: a greenhouse's heating, vents, fans and shade screen driven from one air temperature,
against setpoints that follow the periods of the day (rules.periods).

- Heating: heaters on below the heating setpoint, off again ``hysteresis_c`` above it.
- Ventilation: vents and side curtains open in proportion to how far the air is above the ventilation
  setpoint, fully at ``p_band_c`` above it; moved only by ``deadband_pct`` or more so that motors do not
  hunt; held at most at a smaller opening while it rains or the wind is strong, and a while after.
- Fans: stages switched on one after another further above the ventilation setpoint.
- Shade screen: drawn while the sun is strong.

Every output is re-asked at each evaluation for ``hold_s``: if the edge stops asking, each run ends by
itself and the actuator goes back to its fail-safe state.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Literal

from pydantic import AwareDatetime, Field, field_validator, model_validator

from contract.bounds import Strict
from contract.kinds import ActuatorKind, SensorKind
from contract.messages import Id
from contract.reasons import Reason
from contract.site import Greenhouse
from contract.validation_words import Mistake, Words
from rules import params
from rules.base import Action, Duration, Metric, Percent, RuleBase, distinct_actuators
from rules.context import Context
from rules.inputs import MetricValue, read_metric
from rules.outcome import Alert, Decision, RuleOutcome
from rules.periods import DayPeriod, Setpoints, setpoints_at
from rules.site_checks import AIR_TEMP, actuator_kind_problems, hold_problems, sensor_kind_problems
from rules.stepping import Steps

# What needs a rain, wind or sun sensor, for a sensor of the wrong kind.
_RAIN = Words("giới hạn mưa (rain)", "the rain limit")
_WIND = Words("giới hạn gió (wind)", "the wind limit")
_SHADE = Words("lưới che nắng (shade)", "the shade screen")


class Heating(Strict):
    actuators: list[Id] = Field(min_length=1)  # heaters, all switched together
    # On below the heating setpoint, off again only this far above it: no rapid on-off around the setpoint.
    hysteresis_c: float = Field(default=1.0, gt=0, le=10)


class WeatherLimit(Strict):
    """Vents held at most at ``max_position_pct`` while a weather reading is above a limit, and a while after."""

    metric: Metric
    max_position_pct: Percent = 0
    max_input_age_s: Duration = 300
    # The limit stays in force this long after the reading was last above it (rain comes in showers).
    clear_after_s: Duration = 600

    @property
    def limit(self) -> float:
        raise NotImplementedError


class RainLimit(WeatherLimit):
    above_mm_h: float = Field(default=0.5, ge=0)

    @property
    def limit(self) -> float:
        return self.above_mm_h


class WindLimit(WeatherLimit):
    above_m_s: float = Field(default=8.0, gt=0)

    @property
    def limit(self) -> float:
        return self.above_m_s


class Ventilation(Strict):
    actuators: list[Id] = Field(min_length=1)  # vents and side curtains, all driven to the same position
    # Proportional band: 0 % open at the ventilation setpoint, max_position_pct this far above it.
    p_band_c: float = Field(default=4.0, gt=0, le=20)
    max_position_pct: Percent = 100
    # The position is changed only when the wanted one differs by at least this much.
    deadband_pct: float = Field(default=5.0, ge=0, le=50)
    rain: RainLimit | None = None
    wind: WindLimit | None = None


class FanStage(Strict):
    actuator: Id
    above_c: float = Field(ge=0, le=20)  # on this far above the ventilation setpoint
    hysteresis_c: float = Field(default=1.0, gt=0, le=10)  # off again this far below where it came on


class Shade(Strict):
    actuator: Id  # a shade screen
    metric: Metric  # solar radiation, W/m²
    above_w_m2: float = Field(gt=0)
    hysteresis_w_m2: float = Field(default=100.0, ge=0)
    position_pct: Percent = 100
    max_input_age_s: Duration = 300


class ClimateState(Strict):
    kind: Literal["climate"] = "climate"
    heating: bool = False
    vent_position_pct: float = 0.0  # the position last asked for
    fans_on: list[Id] = Field(default_factory=list)
    shading: bool = False
    # Until when a rain or wind limit holds the vents, counted from the last reading above it.
    rain_limit_until: AwareDatetime | None = None
    wind_limit_until: AwareDatetime | None = None
    # Secondary inputs (rain, wind, sun) reported unusable, by metric label: their alert is raised once.
    unusable_inputs: list[str] = Field(default_factory=list)


class _Limit(Strict):
    """The weather limit in force on the vents this evaluation."""

    max_position_pct: float
    reason: Reason
    reason_params: dict[str, str]


class ClimateRule(RuleBase, Steps[ClimateState]):
    """Heat, ventilate, fan and shade one greenhouse towards the setpoints of the day's periods."""

    kind: Literal["climate"]
    air_temp: Metric
    max_input_age_s: Duration = 300
    periods: list[DayPeriod] = Field(min_length=1)
    heating: Heating | None = None
    ventilation: Ventilation | None = None
    fans: list[FanStage] = Field(default_factory=list)
    shade: Shade | None = None
    # Each output is asked for this long at a time and renewed while wanted.
    hold_s: Duration = 120

    @classmethod
    def state_model(cls) -> type[ClimateState]:
        return ClimateState

    @field_validator("fans")
    @classmethod
    def _stages_in_order(cls, fans: list[FanStage]) -> list[FanStage]:
        offsets = [stage.above_c for stage in fans]
        if offsets != sorted(offsets):
            raise Mistake(
                "xếp các cấp quạt theo above_c từ thấp nhất đến cao nhất",
                "list the fan stages from the lowest above_c to the highest",
            )
        return fans

    @model_validator(mode="after")
    def _drives_something(self) -> ClimateRule:
        if not (self.heating or self.ventilation or self.fans or self.shade):
            raise Mistake(
                "cho luật ít nhất một thứ để điều khiển: heating, ventilation, fans hoặc shade",
                "give the rule something to drive: heating, ventilation, fans or shade",
            )
        distinct_actuators(self.actions())
        return self

    def metrics(self) -> list[Metric]:
        return [self.air_temp, *(part.metric for part in self._secondary_parts())]

    def actions(self) -> list[Action]:
        hold = self.hold_s
        actions = [Action(actuator=a, on_for_s=hold) for a in self.heating.actuators] if self.heating else []
        if self.ventilation:
            top = self.ventilation.max_position_pct
            actions += [Action(actuator=a, on_for_s=hold, position_pct=top) for a in self.ventilation.actuators]
        actions += [Action(actuator=stage.actuator, on_for_s=hold) for stage in self.fans]
        if self.shade:
            actions.append(Action(actuator=self.shade.actuator, on_for_s=hold, position_pct=self.shade.position_pct))
        return actions

    def site_problems(self, greenhouse: Greenhouse) -> list[Words]:
        problems = hold_problems(self.hold_s, greenhouse)
        problems += sensor_kind_problems(self.air_temp, greenhouse, SensorKind.AIR_TEMP_C, AIR_TEMP)
        vent = self.ventilation
        if vent and vent.rain:
            problems += sensor_kind_problems(vent.rain.metric, greenhouse, SensorKind.RAIN_MM_H, _RAIN)
        if vent and vent.wind:
            problems += sensor_kind_problems(vent.wind.metric, greenhouse, SensorKind.WIND_M_S, _WIND)
        if self.shade:
            problems += sensor_kind_problems(self.shade.metric, greenhouse, SensorKind.SOLAR_W_M2, _SHADE)
            problems += actuator_kind_problems([self.shade.actuator], greenhouse, {ActuatorKind.SHADE_SCREEN})
        if self.heating:
            problems += actuator_kind_problems(self.heating.actuators, greenhouse, {ActuatorKind.HEATER})
        if vent:
            vents = {ActuatorKind.VENT, ActuatorKind.SIDE_CURTAIN}
            problems += actuator_kind_problems(vent.actuators, greenhouse, vents)
        return problems + actuator_kind_problems([s.actuator for s in self.fans], greenhouse, {ActuatorKind.FAN})

    def step(self, previous: ClimateState, ctx: Context) -> RuleOutcome[ClimateState]:
        now = ctx.now
        temp = read_metric(self.air_temp, ctx.latest, now, self.max_input_age_s)
        if temp.value is None:
            # Without the air temperature nothing can be judged: no output, and the fallback if there is one.
            return RuleOutcome(previous, unusable=temp)
        temp_c, inputs = temp.value, dict(temp.inputs)
        setpoints = setpoints_at(self.periods, now, ctx.place)
        secondary = {part.metric.label: self._read(part, ctx) for part in self._secondary_parts()}
        for metric in secondary.values():
            inputs |= metric.inputs
        alerts = self._input_alerts(previous, secondary)
        decisions: list[Decision] = []

        heating = self._heating(previous.heating, temp_c, setpoints)
        if heating and self.heating:
            why = {
                **params.named(self),
                "temp_c": params.number(temp_c),
                "setpoint_c": params.number(setpoints.heating_c),
            }
            decisions += self._switch_on(self.heating.actuators, Reason.RULE_CLIMATE_HEATING, why, inputs)

        rain_until = self._limit_until(self.ventilation.rain if self.ventilation else None, secondary, previous, now)
        wind_until = self._limit_until(self.ventilation.wind if self.ventilation else None, secondary, previous, now)
        position = previous.vent_position_pct
        if self.ventilation:
            limit = self._vent_limit(secondary, rain_until, wind_until, now, ctx.tz)
            position, vent_decisions = self._ventilate(previous, temp_c, setpoints, limit, inputs)
            decisions += vent_decisions

        fans_on = self._fan_stages(previous.fans_on, temp_c, setpoints)
        for number, stage in enumerate(self.fans, start=1):
            if stage.actuator in fans_on:
                why = {
                    **params.named(self),
                    "temp_c": params.number(temp_c),
                    "on_c": params.number(setpoints.ventilation_c + stage.above_c),
                    "stage": str(number),
                }
                decisions += self._switch_on([stage.actuator], Reason.RULE_CLIMATE_FAN_STAGE, why, inputs)

        shading = previous.shading
        if self.shade:
            shading, shade_decisions = self._shade(self.shade, previous.shading, secondary, inputs)
            decisions += shade_decisions

        state = ClimateState(
            heating=heating,
            vent_position_pct=position,
            fans_on=fans_on,
            shading=shading,
            rain_limit_until=rain_until,
            wind_limit_until=wind_until,
            unusable_inputs=[label for label, metric in secondary.items() if metric.value is None],
        )
        return RuleOutcome(state, decisions=tuple(decisions), alerts=alerts)

    # --- inputs -----------------------------------------------------------------------------------
    def _secondary_parts(self) -> list[WeatherLimit | Shade]:
        parts: list[WeatherLimit | Shade] = []
        if self.ventilation:
            parts += [limit for limit in (self.ventilation.rain, self.ventilation.wind) if limit is not None]
        if self.shade:
            parts.append(self.shade)
        return parts

    def _read(self, part: WeatherLimit | Shade, ctx: Context) -> MetricValue:
        return read_metric(part.metric, ctx.latest, ctx.now, part.max_input_age_s)

    def _input_alerts(self, previous: ClimateState, secondary: dict[str, MetricValue]) -> tuple[Alert, ...]:
        """A rain, wind or sun input that became unusable is alerted once; the rule goes on without it."""
        was = set(previous.unusable_inputs)
        now_unusable = {label for label, metric in secondary.items() if metric.value is None}
        raised = [Alert.input_unusable(self, secondary[label]) for label in sorted(now_unusable - was)]
        restored = [Alert.input_restored(self)] if was and not now_unusable else []
        return (*raised, *restored)

    # --- outputs ----------------------------------------------------------------------------------
    def _switch_on(
        self, actuators: list[Id], reason: Reason, why: dict[str, str], inputs: dict[str, float]
    ) -> list[Decision]:
        ask = [Action(actuator=a, on_for_s=self.hold_s) for a in actuators]
        return [Decision.run(self, action, reason, why, inputs, held=True) for action in ask]

    def _heating(self, was_on: bool, temp_c: float, setpoints: Setpoints) -> bool:
        if self.heating is None:
            return False
        off_above_c = setpoints.heating_c + (self.heating.hysteresis_c if was_on else 0.0)
        return temp_c < off_above_c

    def _fan_stages(self, was_on: list[Id], temp_c: float, setpoints: Setpoints) -> list[Id]:
        on: list[Id] = []
        for stage in self.fans:
            on_c = setpoints.ventilation_c + stage.above_c
            if temp_c > on_c - (stage.hysteresis_c if stage.actuator in was_on else 0.0):
                on.append(stage.actuator)
        return on

    @staticmethod
    def _limit_until(
        limit: WeatherLimit | None, secondary: dict[str, MetricValue], previous: ClimateState, now: datetime
    ) -> datetime | None:
        """Until when ``limit`` holds the vents: renewed by every reading above it, kept while unreadable."""
        if limit is None:
            return None
        was = previous.rain_limit_until if isinstance(limit, RainLimit) else previous.wind_limit_until
        value = secondary[limit.metric.label].value
        if value is not None and value > limit.limit:
            return now + timedelta(seconds=limit.clear_after_s)
        return was if was is not None and was > now else None

    def _vent_limit(
        self,
        secondary: dict[str, MetricValue],
        rain_until: datetime | None,
        wind_until: datetime | None,
        now: datetime,
        tz: tzinfo,
    ) -> _Limit | None:
        """The tightest limit in force: rain, strong wind, or a weather input that cannot be read."""
        assert self.ventilation is not None
        found: list[_Limit] = []
        for limit, until in ((self.ventilation.rain, rain_until), (self.ventilation.wind, wind_until)):
            if limit is None:
                continue
            metric = secondary[limit.metric.label]
            top = params.number(limit.max_position_pct)
            if metric.value is None:
                # Unknown weather is treated as bad weather: a plastic film is torn faster than a crop overheats.
                why = {**params.named(self), **params.metric(metric), "position_pct": top}
                found.append(_Limit(max_position_pct=limit.max_position_pct, reason=_UNKNOWN, reason_params=why))
            elif until is not None and until > now:
                reason, field = _LIMIT_REASONS[type(limit)]
                why = {
                    **params.named(self),
                    field: params.number(metric.value),
                    "position_pct": top,
                    "until": params.local_time(until, tz),
                }
                found.append(_Limit(max_position_pct=limit.max_position_pct, reason=reason, reason_params=why))
        return min(found, key=lambda limit: limit.max_position_pct, default=None)

    def _ventilate(
        self,
        previous: ClimateState,
        temp_c: float,
        setpoints: Setpoints,
        limit: _Limit | None,
        inputs: dict[str, float],
    ) -> tuple[float, list[Decision]]:
        """The vents' new position, and the decisions asking for it."""
        vent = self.ventilation
        assert vent is not None
        # Proportional control: open by the share of the P-band the air is above the ventilation setpoint.
        share = (temp_c - setpoints.ventilation_c) / vent.p_band_c
        wanted = min(max(share * vent.max_position_pct, 0.0), vent.max_position_pct)
        top = min(vent.max_position_pct, limit.max_position_pct) if limit else vent.max_position_pct
        target = min(wanted, top)
        was = previous.vent_position_pct
        moves = was > top or target in (0.0, top) or abs(target - was) >= vent.deadband_pct
        position = float(round(target)) if moves else was
        if position == 0 and was == 0 and limit is None:
            return 0.0, []  # closed and not wanted: leave the vents to the default or to other rules
        # Held by the weather: below what is wanted, or asked for only to keep lower-priority rules out.
        if limit is not None and (wanted > limit.max_position_pct or wanted == 0):
            reason, why = limit.reason, limit.reason_params
        else:
            reason = Reason.RULE_CLIMATE_VENTING
            why = {
                **params.named(self),
                "temp_c": params.number(temp_c),
                "setpoint_c": params.number(setpoints.ventilation_c),
                "position_pct": params.number(position),
            }
        decisions = [
            Decision.run(
                self, Action(actuator=a, on_for_s=self.hold_s, position_pct=position), reason, why, inputs, held=True
            )
            for a in vent.actuators
        ]
        return position, decisions

    def _shade(
        self, shade: Shade, was_drawn: bool, secondary: dict[str, MetricValue], inputs: dict[str, float]
    ) -> tuple[bool, list[Decision]]:
        solar = secondary[shade.metric.label].value
        if solar is None:
            return was_drawn, []  # unknown sun: the screen goes back to its default when its hold ends
        release_w_m2 = shade.above_w_m2 - (shade.hysteresis_w_m2 if was_drawn else 0.0)
        drawn = solar > release_w_m2
        if not drawn and not was_drawn:
            return False, []
        why = {
            **params.named(self),
            "solar_w_m2": params.number(solar),
            "limit_w_m2": params.number(release_w_m2 if not drawn else shade.above_w_m2),
        }
        reason = Reason.RULE_CLIMATE_SHADE if drawn else Reason.RULE_CLIMATE_SHADE_OPEN
        position = shade.position_pct if drawn else 0.0
        action = Action(actuator=shade.actuator, on_for_s=self.hold_s, position_pct=position)
        return drawn, [Decision.run(self, action, reason, why, inputs, held=True)]


_UNKNOWN = Reason.RULE_CLIMATE_WEATHER_UNKNOWN
_LIMIT_REASONS: dict[type[WeatherLimit], tuple[Reason, str]] = {
    RainLimit: (Reason.RULE_CLIMATE_RAIN_LIMIT, "rain_mm_h"),
    WindLimit: (Reason.RULE_CLIMATE_WIND_LIMIT, "wind_m_s"),
}
