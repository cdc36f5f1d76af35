"""A rule whose inputs are unusable does not act on them: it raises an alert once, waters by its declared
fallback timer instead, and clears the alert when its inputs are back."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from contract.kinds import Quality
from contract.messages import Reading
from contract.reasons import Reason
from tests.rules.builders import DRY_SOIL_A, SIX_AM, Replay, assert_exact_params, every, ruleset, soil_a


def _dead_probes(now: datetime) -> dict[str, Reading]:
    return soil_a(25.0, 25.0, now, Quality.FLATLINE)


def test_every_s_fallback_waters_on_its_interval_while_the_probes_are_dead() -> None:
    rule = {**DRY_SOIL_A, "fallback": {"every_s": 4 * 3600}}
    replay = Replay(ruleset(rule))
    results = {now: replay.step(now, _dead_probes(now)) for now in every(60, 10 * 3600, start=SIX_AM)}
    fired = [now for now, r in results.items() if r.decisions]
    # Counted from when the inputs became unusable, then from each fallback run.
    assert fired == [SIX_AM + timedelta(hours=4), SIX_AM + timedelta(hours=8)]
    decision = results[fired[0]].decisions[0]
    assert (decision.actuator, decision.duration_s, decision.reason) == ("valve-a", 480, Reason.RULE_FALLBACK)
    assert_exact_params(decision)
    alerts = [a for r in results.values() for a in r.alerts]
    assert [(a.raised, a.reason) for a in alerts] == [(True, Reason.RULE_INPUT_UNUSABLE)]


def test_cron_fallback_with_its_own_action() -> None:
    rule = {**DRY_SOIL_A, "fallback": {"cron": "0 7 * * *", "action": {"actuator": "valve-a", "on_for_s": 300}}}
    replay = Replay(ruleset(rule))
    results = {now: replay.step(now, _dead_probes(now)) for now in every(60, 3 * 3600, start=SIX_AM)}
    [(at, result)] = [(now, r) for now, r in results.items() if r.decisions]
    assert at == SIX_AM + timedelta(hours=1)
    assert result.decisions[0].duration_s == 300


def test_the_fallback_stops_and_the_alert_clears_when_the_probes_work_again() -> None:
    rule = {**DRY_SOIL_A, "fallback": {"every_s": 1800}}
    replay = Replay(ruleset(rule))
    for now in every(60, 1500, start=SIX_AM):
        replay.step(now, _dead_probes(now))
    back = SIX_AM + timedelta(seconds=1560)
    result = replay.step(back, soil_a(35.0, 35.0, back))  # moist and good: nothing to do
    assert [(a.raised, a.reason) for a in result.alerts] == [(False, Reason.RULE_INPUT_RESTORED)]
    later = [replay.step(now, soil_a(35.0, 35.0, now)) for now in every(60, 7200, start=back + timedelta(minutes=1))]
    assert not any(r.decisions for r in later), "no fallback run once the rule can judge again"
    assert "dry-soil-khu-a" not in replay.state.unusable


def test_a_fallback_needs_exactly_one_timer() -> None:
    with pytest.raises(ValidationError, match="give the fallback one timer: cron or every_s"):
        ruleset({**DRY_SOIL_A, "fallback": {"cron": "0 7 * * *", "every_s": 3600}})
    with pytest.raises(ValidationError, match="give the fallback one timer"):
        ruleset({**DRY_SOIL_A, "fallback": {}})
