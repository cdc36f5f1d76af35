"""Sequence rules: one zone after another, never two valves at once, timed by the clock, restart-proof."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from contract.messages import Reading
from contract.reasons import Reason
from contract.site_file import load_site
from edge.control import Controller
from rules.engine import Evaluation
from rules.model import check_against_site
from tests.conftest import EXAMPLE_SITE
from tests.rules.builders import assert_exact_params, reading, ruleset
from tests.rules.irrigation_builders import SOIL_WET, local, outputs, polls, refusal, replay_of, restarted, run, weather

SEQUENCE_AB: dict[str, Any] = {
    "id": "sequence-a-b",
    "kind": "sequence",
    "priority": 40,
    "cron": "0 6 * * *",
    "steps": [{"actuator": "valve-a", "on_for_s": 300}, {"actuator": "valve-b", "on_for_s": 240}],
    "pause_s": 10,
    "skip_if": [SOIL_WET],
}
SIX = local(1, 15, 6)


def _rule(**changes: object) -> dict[str, Any]:
    return {**SEQUENCE_AB, **changes}


def _wanted(results: list[Evaluation]) -> list[tuple[str, datetime]]:
    """Each distinct (valve, until when) the rule asked for, in order."""
    wanted: list[tuple[str, datetime]] = []
    for e, now in results:
        assert len(e.decisions) <= 1, "two valves at once"
        for d in e.decisions:
            run_ = (d.actuator, now + timedelta(seconds=d.duration_s))
            if run_ not in wanted:
                wanted.append(run_)
    return wanted


def _round(replay: Any, times: list[datetime], soil_vwc_pct: float = 30.0) -> list[Any]:
    return [(e, now) for e, now in zip(run(replay, times, lambda t: weather(t, soil_vwc_pct)), times, strict=True)]


def test_the_valves_run_in_order_each_for_its_time_with_the_pause_between_and_never_together() -> None:
    replay = replay_of(_rule())
    results = _round(replay, polls(SIX - timedelta(minutes=1), SIX + timedelta(minutes=15), 10))

    # Every poll asks again for the rest of the step, always to the same end: 06:05:00 for A, 06:09:10 for B.
    assert _wanted(results) == [("valve-a", SIX + timedelta(minutes=5)), ("valve-b", SIX + timedelta(seconds=550))]
    asking = [(now, e.decisions[0].actuator) for e, now in results if e.decisions]
    assert asking[0] == (SIX, "valve-a")
    assert max(t for t, a in asking if a == "valve-a") == SIX + timedelta(seconds=290)
    assert min(t for t, a in asking if a == "valve-b") == SIX + timedelta(seconds=310)  # after the 10 s pause
    assert max(t for t, a in asking if a == "valve-b") == SIX + timedelta(seconds=540)
    # After the round: nothing more, and no round running in the state.
    assert replay.state.rules["sequence-a-b"].started_at is None


def test_each_step_says_which_of_how_many_and_when_the_round_started() -> None:
    replay = replay_of(_rule())
    replay.step(SIX - timedelta(seconds=30), weather(SIX))
    [first] = replay.step(SIX + timedelta(seconds=5), weather(SIX)).decisions
    # Started at 06:00:05: step 2 runs from 06:05:15 to 06:09:15.
    [second] = replay.step(SIX + timedelta(seconds=400), weather(SIX)).decisions

    assert (first.rule, first.actuator, first.duration_s, first.priority) == ("sequence-a-b", "valve-a", 300, 40)
    assert first.reason is Reason.RULE_SEQUENCE_STEP
    assert first.reason_params == {"rule": "sequence-a-b", "step": "1", "steps": "2", "at": "06:00"}
    assert_exact_params(first)
    assert first.inputs == {"soil-a1": 30.0, "soil-a2": 30.0, "mean(soil-a1, soil-a2)": 30.0}
    assert (second.actuator, second.duration_s) == ("valve-b", 155)
    assert second.reason_params == {"rule": "sequence-a-b", "step": "2", "steps": "2", "at": "06:00"}
    assert replay.state.rules["sequence-a-b"].step == 1


@pytest.mark.parametrize(
    ("start", "valve_a_from"),
    # 30 minutes after sunrise in Sa Pa (rules.sun; see test_sun.py): 07:12:22 in January, 05:45:58 in June.
    [(local(1, 15, 7), local(1, 15, 7, 12, 30)), (local(6, 15, 5, 30), local(6, 15, 5, 46))],
    ids=["january", "june"],
)
def test_a_round_started_by_the_sun_begins_at_the_first_poll_after_its_time(
    start: datetime, valve_a_from: datetime
) -> None:
    replay = replay_of(_rule(cron=None, sun={"event": "sunrise", "offset_min": 30}))
    results = _round(replay, polls(start, start + timedelta(hours=1), 30))
    first = next(now for e, now in results if e.decisions)
    assert first == valve_a_from
    assert _wanted(results) == [
        ("valve-a", valve_a_from + timedelta(seconds=300)),
        ("valve-b", valve_a_from + timedelta(seconds=550)),
    ]


def test_wet_soil_at_the_start_skips_the_round_and_wet_soil_later_does_not_stop_it() -> None:
    wet = replay_of(_rule())
    results = _round(wet, polls(SIX - timedelta(minutes=1), SIX + timedelta(minutes=15), 30), soil_vwc_pct=41)
    assert _wanted(results) == []
    [skipped] = [s for e, _ in results for s in e.suppressions]
    assert (skipped.reason, skipped.reason_params["at"], skipped.reason_params["value"]) == (
        Reason.RULE_SCHEDULE_SKIPPED,
        "06:00",
        "41",
    )

    dry_then_wet = replay_of(_rule())
    _round(dry_then_wet, polls(SIX - timedelta(minutes=1), SIX + timedelta(minutes=2), 30))
    later = _round(dry_then_wet, polls(SIX + timedelta(minutes=2, seconds=30), SIX + timedelta(minutes=15), 30), 41)
    assert [valve for valve, _ in _wanted(later)] == ["valve-a", "valve-b"]


def test_a_start_time_during_a_round_is_not_made_and_the_round_goes_on_unchanged() -> None:
    replay = replay_of(_rule(cron="*/5 * * * *"))
    results = _round(replay, polls(SIX - timedelta(seconds=30), SIX + timedelta(minutes=10), 30))
    # 06:05 comes while the 06:00 round runs (it ends at 06:09:10); 06:10 starts the next.
    [busy] = [s for e, _ in results for s in e.suppressions]
    assert busy.reason is Reason.RULE_SEQUENCE_BUSY
    assert busy.reason_params == {"rule": "sequence-a-b", "at": "06:05", "started": "06:00"}
    assert_exact_params(busy)
    assert _wanted(results) == [
        ("valve-a", SIX + timedelta(minutes=5)),
        ("valve-b", SIX + timedelta(seconds=550)),
        ("valve-a", SIX + timedelta(minutes=15)),
    ]


def test_a_start_caught_up_within_grace_runs_every_step_in_full_from_then() -> None:
    replay = replay_of(_rule())
    replay.step(SIX - timedelta(minutes=5), weather(SIX))
    late = SIX + timedelta(minutes=10)
    results = _round(replay, polls(late, late + timedelta(minutes=15), 10))
    assert _wanted(results) == [("valve-a", late + timedelta(seconds=300)), ("valve-b", late + timedelta(seconds=550))]
    assert results[0][0].decisions[0].reason_params["at"] == "06:10"


def test_an_outage_past_the_end_of_the_round_leaves_nothing_running() -> None:
    replay = replay_of(_rule())
    _round(replay, polls(SIX - timedelta(seconds=30), SIX + timedelta(minutes=2), 30))
    after = replay.step(SIX + timedelta(minutes=30), weather(SIX + timedelta(minutes=30)))
    assert (after.decisions, replay.state.rules["sequence-a-b"].started_at) == ([], None)


@pytest.mark.parametrize("stop_at_s", [150, 305, 400], ids=["in-step-1", "in-the-pause", "in-step-2"])
def test_a_restart_mid_round_through_stored_json_gives_the_same_decisions_as_running_on(stop_at_s: int) -> None:
    before_stop = polls(SIX - timedelta(seconds=30), SIX + timedelta(seconds=stop_at_s), 10)
    after_stop = polls(before_stop[-1] + timedelta(seconds=10), SIX + timedelta(minutes=15), 10)

    straight = replay_of(_rule())
    _round(straight, before_stop)
    expected = outputs([e for e, _ in _round(straight, after_stop)])

    before = replay_of(_rule())
    _round(before, before_stop)
    assert before.state.rules["sequence-a-b"].started_at == SIX
    after = restarted(before)
    assert outputs([e for e, _ in _round(after, after_stop)]) == expected
    assert any(d for d, _, _ in expected)


def test_with_the_edge_controller_the_zone_valves_are_never_open_together() -> None:
    site = load_site(EXAMPLE_SITE)
    greenhouse = site.greenhouse("ca-chua-1")
    # A pause longer than the pump's rest (min_off_s 60 s): the pump stops between zones and must be let start.
    replay = replay_of(_rule(pause_s=90))
    controller = Controller(site.cooperative.id, greenhouse, SIX - timedelta(minutes=5))
    open_together: list[datetime] = []
    valve_on: dict[str, list[datetime]] = {"valve-a": [], "valve-b": []}
    for now in polls(SIX - timedelta(minutes=1), SIX + timedelta(minutes=15), 10):
        latest: dict[str, Reading] = {**weather(now), "tank-level": reading("tank-level", 80.0, now)}
        controller.decide(replay.step(now, latest).decisions, latest, now)
        controller.tick(latest, now)
        running = controller.running()
        if {"valve-a", "valve-b"} <= running:
            open_together.append(now)
        for valve, times in valve_on.items():
            if valve in running:
                times.append(now)
    assert open_together == []
    # A from 06:00 until 06:05:00 closes it; B from 06:06:30 (after the pause) until 06:10:30.
    assert (valve_on["valve-a"][0], valve_on["valve-a"][-1]) == (SIX, SIX + timedelta(seconds=290))
    assert (valve_on["valve-b"][0], valve_on["valve-b"][-1]) == (
        SIX + timedelta(seconds=390),
        SIX + timedelta(seconds=620),
    )


def test_a_sequence_naming_the_pump_or_running_longer_than_safety_allows_is_reported() -> None:
    steps = [{"actuator": "pump", "on_for_s": 60}, {"actuator": "valve-b", "on_for_s": 3600}]
    problems = check_against_site(
        ruleset(_rule(steps=steps, pause_s=60)), load_site(EXAMPLE_SITE).greenhouse("ca-chua-1")
    )
    assert problems == [
        "rule 'sequence-a-b': pump 'pump' follows its zones' valves; name a valve instead",
        "rule 'sequence-a-b': action.on_for_s 3600 s is longer than 'valve-b' may run (safety max_on_s 1800 s)",
    ]


@pytest.mark.parametrize(
    ("changes", "loc", "why"),
    [
        ({"steps": []}, ("steps",), "at least 1 item"),
        ({"cron": None}, (), "give the rule a timer: cron or sun"),
        ({"sun": {"event": "dusk"}}, (), "only one timer of cron or sun; this rule has cron and sun"),
        ({"every_s": 3600}, ("every_s",), "Extra inputs"),
        ({"pause_s": -1}, ("pause_s",), "greater than or equal to 0"),
    ],
)
def test_a_bad_sequence_is_refused_naming_the_field(changes: dict[str, object], loc: tuple[str, ...], why: str) -> None:
    where, message = refusal(_rule(**changes))
    assert where == ("rules", 0, *loc)
    assert why in message
