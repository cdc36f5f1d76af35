"""Radiation rules: water when the solar radiation summed since the last watering reaches a threshold.

Plants in substrate drink roughly in proportion to the light they get, so growers water per so many J/cm²
of global radiation. The sum is a trapezoid integral of W/m² between successive evaluations, with a gap
between two usable readings counted for at most ``max_gap_s`` so that an outage does not invent light.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import AwareDatetime, BeforeValidator, Field, model_validator

from contract.bounds import Strict
from contract.kinds import SensorKind
from contract.reasons import Reason
from contract.site import Greenhouse
from contract.validation_words import Mistake, Words, number
from rules import params
from rules.base import Action, Duration, Metric, RuleBase
from rules.context import Context, Place
from rules.inputs import read_metric
from rules.outcome import Decision, RuleOutcome, Suppression
from rules.site_checks import sensor_kind_problems
from rules.stepping import Steps
from rules.triggers import DaylightWindow, daylight_switch

_RADIATION_SUM = Words("việc cộng dồn bức xạ", "a radiation sum")  # what needs a solar sensor

# 1 W/m² for 1 s is 1 J/m², and 1 m² is 10⁴ cm² (SI definitions).
J_CM2_PER_W_M2_S = 1e-4


class RadiationState(Strict):
    kind: Literal["radiation"] = "radiation"
    # Solar radiation summed since the last watering by this rule.
    sum_j_cm2: float = Field(default=0.0, ge=0)
    last_watered_at: AwareDatetime | None = None
    # The rule's first evaluation: until it has watered, the max interval counts from here.
    watching_since: AwareDatetime | None = None
    # The last usable reading, the left end of the next trapezoid.
    last_sample_at: AwareDatetime | None = None
    last_sample_w_m2: float | None = None
    # A reached sum held back (too soon, or outside daylight) has been reported; reset when it waters.
    held_reported: bool = False


class RadiationRule(RuleBase, Steps[RadiationState]):
    """Water with ``action`` each time ``radiation_j_cm2`` of solar radiation has been summed."""

    kind: Literal["radiation"]
    metric: Metric  # solar radiation sensors, W/m² (kind solar_w_m2)
    max_input_age_s: Duration = 300
    radiation_j_cm2: float = Field(gt=0)  # about 100-300 for tomatoes in substrate; soil beds more
    action: Action
    min_interval_s: Duration = 1800  # never sooner after the last watering
    max_interval_s: Duration | None = None  # at the latest this long after it, during daylight
    # A gap between two usable readings counts for at most this long.
    max_gap_s: Duration = 600
    daylight_only: Annotated[DaylightWindow | None, BeforeValidator(daylight_switch)] = DaylightWindow()

    @classmethod
    def state_model(cls) -> type[RadiationState]:
        return RadiationState

    @model_validator(mode="after")
    def _max_after_min(self) -> RadiationRule:
        if self.max_interval_s is not None and self.max_interval_s <= self.min_interval_s:
            longest, shortest = self.max_interval_s, self.min_interval_s
            raise Mistake(
                f"max_interval_s ({number(longest, 'vi')} giây) phải dài hơn min_interval_s "
                f"({number(shortest, 'vi')} giây)",
                f"max_interval_s ({longest:g} s) must be longer than min_interval_s ({shortest:g} s)",
            )
        return self

    def metrics(self) -> list[Metric]:
        return [self.metric]

    def site_problems(self, greenhouse: Greenhouse) -> list[Words]:
        return sensor_kind_problems(self.metric, greenhouse, SensorKind.SOLAR_W_M2, _RADIATION_SUM)

    def actions(self) -> list[Action]:
        return [self.action]

    def step(self, previous: RadiationState, ctx: Context) -> RuleOutcome[RadiationState]:
        now = ctx.now
        watching = previous.model_copy(update={"watching_since": previous.watching_since or now})
        metric = read_metric(self.metric, ctx.latest, now, self.max_input_age_s)
        if metric.value is None:
            # The sum and the last sample are kept: the gap is capped once readings are back.
            return RuleOutcome(watching, unusable=metric)
        # A pyranometer reads a few W/m² below zero at night (thermal offset): that is no light, not less.
        w_m2 = max(metric.value, 0.0)
        state = watching.model_copy(
            update={
                "sum_j_cm2": previous.sum_j_cm2 + self._gained_j_cm2(previous, now, w_m2),
                "last_sample_at": now,
                "last_sample_w_m2": w_m2,
            }
        )
        reason = self._why_water(state, now, ctx.place)
        if reason is not None:
            decision = Decision.run(self, self.action, reason, self._params(reason, state, now), metric.inputs)
            watered = state.model_copy(update={"sum_j_cm2": 0.0, "last_watered_at": now, "held_reported": False})
            return RuleOutcome(watered, decisions=(decision,))
        if state.sum_j_cm2 >= self.radiation_j_cm2 and not state.held_reported:
            held = self._held(state, now, ctx, metric.inputs)
            return RuleOutcome(state.model_copy(update={"held_reported": True}), suppressions=(held,))
        return RuleOutcome(state)

    def _gained_j_cm2(self, previous: RadiationState, now: datetime, w_m2: float) -> float:
        if previous.last_sample_at is None or previous.last_sample_w_m2 is None or now <= previous.last_sample_at:
            return 0.0  # the first sample, or the clock stepped back: nothing to integrate over
        gap_s = min((now - previous.last_sample_at).total_seconds(), self.max_gap_s)
        # Trapezoid rule: the mean of the two readings times the time between them.
        return (previous.last_sample_w_m2 + w_m2) / 2 * gap_s * J_CM2_PER_W_M2_S

    def _why_water(self, state: RadiationState, now: datetime, place: Place) -> Reason | None:
        """Why the rule waters now, or None if it does not."""
        if self._too_soon(state, now) or not self._in_daylight(now, place):
            return None
        if state.sum_j_cm2 >= self.radiation_j_cm2:
            return Reason.RULE_RADIATION
        if self.max_interval_s is not None and self._since(state, now) >= timedelta(seconds=self.max_interval_s):
            return Reason.RULE_RADIATION_MAX_INTERVAL
        return None

    def _in_daylight(self, now: datetime, place: Place) -> bool:
        return self.daylight_only is None or self.daylight_only.contains(now, place)

    def _too_soon(self, state: RadiationState, now: datetime) -> bool:
        if state.last_watered_at is None:
            return False  # nothing known of the watering before the rule's first look
        return now - state.last_watered_at < timedelta(seconds=self.min_interval_s)

    def _since(self, state: RadiationState, now: datetime) -> timedelta:
        """Since the last watering, or since the rule's first look when it has not watered yet."""
        since = state.last_watered_at or state.watching_since
        assert since is not None  # step sets watching_since first
        return now - since

    def _held(self, state: RadiationState, now: datetime, ctx: Context, inputs: dict[str, float]) -> Suppression:
        """A sum that has reached the threshold and may not water yet, with when it may."""
        too_soon = self._too_soon(state, now)
        earliest = now
        if too_soon and state.last_watered_at is not None:
            earliest = state.last_watered_at + timedelta(seconds=self.min_interval_s)
        opens = self.daylight_only.opens_at(earliest, ctx.place) if self.daylight_only is not None else earliest
        held = {
            **params.named(self),
            "sum_j_cm2": params.number(state.sum_j_cm2),
            "threshold_j_cm2": params.number(self.radiation_j_cm2),
            "at": params.local_time(opens, ctx.tz) if opens is not None else "--:--",
        }
        reason = Reason.RULE_RADIATION_OUTSIDE_DAYLIGHT
        if too_soon:
            reason = Reason.RULE_RADIATION_TOO_SOON
            held["since_min"] = params.number(self._since(state, now).total_seconds() / 60)
        return Suppression(rule=self.id, reason=reason, reason_params=held, inputs=inputs)

    def _params(self, reason: Reason, state: RadiationState, now: datetime) -> dict[str, str]:
        watered = {
            **params.named(self),
            "sum_j_cm2": params.number(state.sum_j_cm2),
            "threshold_j_cm2": params.number(self.radiation_j_cm2),
        }
        if reason is Reason.RULE_RADIATION_MAX_INTERVAL:
            watered["interval_min"] = params.number(self._since(state, now).total_seconds() / 60)
        return watered
