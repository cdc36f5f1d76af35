"""Schedules settled together while none of their crontabs fires (``schedule._Settler``'s quiet spell): what the engine
decides, says and keeps stays what stepping every rule gives when the clock stands still or goes back (an edge whose
clock was set back, a replay given an evaluation twice), and the spell ends at the first fire time of any of them."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from rules.engine import EngineState, evaluate
from rules.timing import cron_trigger, next_fire_utc
from tests.rules.builders import SAPA, SIX_AM
from tests.rules.test_settle import _latest, _rules, _said


def test_settled_schedules_say_what_stepped_ones_say_when_the_clock_stands_or_goes_back() -> None:
    rules = _rules()
    every_rule_stepped = rules.model_copy()
    every_rule_stepped.__dict__["settlers"] = ()  # as test_settle: no settler, every rule stepped
    rnd = random.Random(29)
    settled, stepped = EngineState(), EngineState()
    now = SIX_AM - timedelta(hours=1)
    fired: dict[str, list[datetime]] = {}
    for _ in range(2000):
        now += timedelta(seconds=rnd.choice([-900, -60, 0, 0, 30, 60, 60, 60, 120, 420]))
        latest = _latest(rnd, now, light=True)
        fast = evaluate(rules, settled, latest, now, SAPA)
        slow = evaluate(every_rule_stepped, stepped, latest, now, SAPA)
        assert _said(fast) == _said(slow), now
        settled, stepped = fast.state, slow.state
        for d in fast.decisions:
            if d.rule.startswith("cron-"):
                fired.setdefault(d.rule, []).append(now)
    # Every crontab fired, and some fired again after the clock went back past one of their fire times.
    assert set(fired) == {"cron-0", "cron-1", "cron-2"}, fired
    assert any(
        later <= earlier for times in fired.values() for i, earlier in enumerate(times) for later in times[i + 1 :]
    )


def test_the_next_fire_time_is_the_first_after_the_time_given_in_utc() -> None:
    trigger = cron_trigger("30 6 * * *", SAPA.tz)  # 06:30 at Sa Pa (UTC+7) is 23:30 UTC the day before
    assert next_fire_utc(trigger, datetime(2026, 1, 14, 23, 29, tzinfo=UTC)) == datetime(
        2026, 1, 14, 23, 30, tzinfo=UTC
    )
    # A fire time is not after itself: the next is a day later.
    assert next_fire_utc(trigger, datetime(2026, 1, 14, 23, 30, tzinfo=UTC)) == datetime(
        2026, 1, 15, 23, 30, tzinfo=UTC
    )
    fire = next_fire_utc(trigger, datetime(2026, 1, 15, tzinfo=UTC))
    assert fire is not None and fire.utcoffset() == timedelta(0)
