"""Arbitration per actuator: safety > manual override > rules by priority > default state; the loser is
reported, once per spell of losing, even when a controller re-asks at every poll."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contract.kinds import ControlSource, Quality, SensorKind
from contract.messages import AckOutcome, Command, CommandAction, Event, EventKind, Reading
from contract.reasons import Reason
from contract.site_file import load_site
from edge.control import Controller
from rules.engine import Decision
from tests.conftest import EXAMPLE_SITE

SITE = load_site(EXAMPLE_SITE)
GH = SITE.greenhouse("ca-chua-1")
T0 = datetime(2026, 1, 15, 5, 0, tzinfo=UTC)
NO_READINGS: dict[str, Reading] = {}


def _ask(
    rule: str,
    actuator: str,
    priority: int,
    position_pct: float | None = None,
    hold_s: float = 120,
    held: bool = False,
) -> Decision:
    return Decision(
        rule=rule,
        actuator=actuator,
        duration_s=hold_s,
        position_pct=position_pct,
        priority=priority,
        reason=Reason.RULE_THRESHOLD,
        reason_params={},
        inputs={},
        held=held,
    )


def _poll(
    controller: Controller, now: datetime, *decisions: Decision, latest: dict[str, Reading] = NO_READINGS
) -> list[Event]:
    controller.tick(latest, now)
    controller.decide(list(decisions), latest, now)
    return [e for e in controller.take_events() if e.kind is not EventKind.ACTUATION]


def _cool_air(now: datetime) -> dict[str, Reading]:
    """A fresh, good 15 °C: the example heater runs only on a trusted air temperature below its 30 °C interlock."""
    return {
        "air-temp": Reading(sensor="air-temp", kind=SensorKind.AIR_TEMP_C, value=15.0, ts=now, quality=Quality.GOOD)
    }


def _said(events: list[Event]) -> list[tuple[str | None, str | None, str | None]]:
    return [(e.rule, e.actuator, e.action) for e in events]


def _controller() -> Controller:
    controller = Controller(SITE.cooperative.id, GH, T0)
    controller.take_events()
    return controller


def test_the_higher_priority_rule_wins_and_the_loser_is_told_once_per_spell_of_losing() -> None:
    controller = _controller()
    climate, humidity = _ask("climate", "roof-vent", 60, 40), _ask("humidity", "roof-vent", 30, 20)

    first = _poll(controller, T0, humidity, climate)
    assert _said(first) == [("climate", "roof-vent", "on"), ("humidity", "roof-vent", "lost to climate")]
    assert controller.output("roof-vent") == (True, 40)
    # Both re-ask every poll: the vent stays with the winner and nothing more is said.
    for s in (10, 20, 30):
        assert _poll(controller, T0 + timedelta(seconds=s), humidity, climate) == []
    assert controller.runs["roof-vent"].rule == "climate"

    # The winner stops asking: its last hold (asked at 30 s) still keeps the vent until 150 s, then the
    # loser gets it; when the winner asks again, it takes the vent back at once.
    assert _poll(controller, T0 + timedelta(seconds=140), humidity) == []
    assert controller.output("roof-vent") == (True, 40)
    assert _said(_poll(controller, T0 + timedelta(seconds=150), humidity)) == [("humidity", "roof-vent", "on")]
    assert controller.output("roof-vent") == (True, 20)
    again = _poll(controller, T0 + timedelta(seconds=160), humidity, climate)
    assert _said(again) == [("climate", "roof-vent", "on"), ("humidity", "roof-vent", "lost to climate")]


def test_a_lower_priority_rule_does_not_cut_a_running_watering_short() -> None:
    controller = _controller()
    full = Reading(sensor="tank-level", kind=SensorKind.TANK_LEVEL_PCT, value=80, ts=T0, quality=Quality.GOOD)
    tank = {"tank-level": full}
    controller.decide([_ask("dry-soil", "valve-a", 50, hold_s=480)], tank, T0)
    controller.take_events()
    later = T0 + timedelta(seconds=120)
    controller.decide([_ask("schedule", "valve-a", 40, hold_s=360)], tank, later)
    assert _said(controller.take_events()) == [("schedule", "valve-a", "lost to dry-soil")]
    assert controller.runs["valve-a"].until == T0 + timedelta(seconds=480)


def test_equal_priorities_are_settled_by_rule_id_whatever_order_they_come_in() -> None:
    for order in (
        (_ask("b-rule", "fan", 50), _ask("a-rule", "fan", 50)),
        (_ask("a-rule", "fan", 50), _ask("b-rule", "fan", 50)),
    ):
        controller = _controller()
        events = _poll(controller, T0, *order)
        assert controller.runs["fan"].rule == "a-rule"
        assert ("b-rule", "fan", "lost to a-rule") in _said(events)


def test_a_manual_override_beats_every_rule_until_it_ends() -> None:
    controller = _controller()
    cmd = Command(
        id="c-1",
        actuator="roof-vent",
        action=CommandAction.ON,
        duration_s=60,
        position_pct=100,
        issued_at=T0,
        expires_at=T0 + timedelta(minutes=5),
        reason="farmer opens the roof",
    )
    assert controller.command(cmd, NO_READINGS, T0).outcome is AckOutcome.ACCEPTED
    controller.take_events()

    climate = _ask("climate", "roof-vent", 100, 10)
    assert _said(_poll(controller, T0 + timedelta(seconds=10), climate)) == [
        ("climate", "roof-vent", "manual override active")
    ]
    assert _poll(controller, T0 + timedelta(seconds=20), climate) == []
    assert controller.output("roof-vent") == (True, 100)
    assert controller.runs["roof-vent"].source is ControlSource.OVERRIDE

    # Over at 60 s: the rule takes the vent at the same poll.
    assert _said(_poll(controller, T0 + timedelta(seconds=60), climate)) == [("climate", "roof-vent", "on")]
    assert (controller.output("roof-vent"), controller.runs["roof-vent"].source) == ((True, 10), ControlSource.RULE)


def test_safety_refuses_rules_and_overrides_alike_and_a_refusal_is_reported_once() -> None:
    controller = _controller()
    # The heater ran and stopped: its 300 s minimum off-time holds whoever asks.
    heat = _ask("climate", "heater", 60, hold_s=60)
    _poll(controller, T0, heat, latest=_cool_air(T0))
    assert _poll(controller, T0 + timedelta(seconds=60), latest=_cool_air(T0 + timedelta(seconds=60))) == []
    assert controller.output("heater") == (False, None)  # hold over, nobody asks: off

    refused = _poll(controller, T0 + timedelta(seconds=70), heat, latest=_cool_air(T0 + timedelta(seconds=70)))
    assert [(e.kind, e.action, e.reason) for e in refused] == [
        (EventKind.DECISION, "on", Reason.RULE_THRESHOLD),
        (EventKind.SAFETY, "refused", Reason.MIN_OFF_TIME),
    ]
    at_80 = T0 + timedelta(seconds=80)
    assert _poll(controller, at_80, heat, latest=_cool_air(at_80))[1:] == [], "the same refusal is not repeated"
    cmd = Command(
        id="c-2",
        actuator="heater",
        action=CommandAction.ON,
        duration_s=600,
        issued_at=T0 + timedelta(seconds=90),
        expires_at=T0 + timedelta(minutes=5),
    )
    at_90 = T0 + timedelta(seconds=90)
    assert controller.command(cmd, _cool_air(at_90), at_90).reason is Reason.MIN_OFF_TIME
    assert controller.output("heater") == (False, None)
    # Rested: the rule's next ask starts it.
    _poll(controller, T0 + timedelta(seconds=360), heat, latest=_cool_air(T0 + timedelta(seconds=360)))
    assert controller.output("heater") == (True, None)


def test_without_any_ask_an_actuator_returns_to_its_fail_safe_default() -> None:
    controller = _controller()
    _poll(controller, T0, _ask("climate", "side-curtain", 50, 70, hold_s=120))
    assert controller.output("side-curtain") == (True, 70)
    _poll(controller, T0 + timedelta(seconds=119))
    assert controller.output("side-curtain") == (True, 70)
    _poll(controller, T0 + timedelta(seconds=120))
    assert controller.output("side-curtain") == (False, 0)
    assert controller.runs["side-curtain"].reason is Reason.RUN_FINISHED


def test_a_reading_of_the_tank_interlock_is_needed_before_a_rule_waters() -> None:
    controller = _controller()
    low = Reading(sensor="tank-level", kind=SensorKind.TANK_LEVEL_PCT, value=5, ts=T0, quality=Quality.GOOD)
    controller.decide([_ask("dry-soil", "valve-a", 50, hold_s=300)], {"tank-level": low}, T0)
    events = controller.take_events()
    assert controller.running() == set()
    assert [(e.kind, e.action) for e in events if e.rule == "dry-soil"] == [
        (EventKind.DECISION, "on"),
        (EventKind.SAFETY, "refused"),
    ]


def _state(controller: Controller, actuator: str) -> tuple[bool, Reason, datetime | None]:
    state = next(s for s in controller.states(set()) if s.actuator == actuator)
    return state.on, state.reason, state.until


def test_once_the_rules_have_spoken_a_device_at_rest_is_not_needed_rather_than_just_started() -> None:
    controller = _controller()
    assert _state(controller, "fan") == (False, Reason.FAIL_SAFE_START, None)
    assert _poll(controller, T0 + timedelta(seconds=30)) == []  # nothing changed, nothing to tell
    assert _state(controller, "fan") == (False, Reason.NOT_NEEDED, None)
    assert [e for e in controller.take_events() if e.actuator == "fan"] == []


def test_a_run_a_rule_holds_shows_no_end_and_ends_as_not_needed_a_timed_one_as_finished() -> None:
    controller = _controller()
    now = T0 + timedelta(seconds=30)
    heat = _ask("climate", "heater", 60, held=True)
    airing = _ask("fan-timer", "fan", 50, hold_s=480)  # a timed run, as a watering is
    _poll(controller, now, heat, airing, latest=_cool_air(now))
    # The heater runs while the rule wants it: "Sưởi đang chạy", not "còn 2 phút" that the next ask renews.
    assert _state(controller, "heater") == (True, Reason.RULE_THRESHOLD, None)
    assert _state(controller, "fan") == (True, Reason.RULE_THRESHOLD, now + timedelta(seconds=480))
    later = now + timedelta(seconds=600)  # the climate rule stopped asking, the fan did its time
    _poll(controller, later, latest=_cool_air(later))
    assert _state(controller, "heater") == (False, Reason.NOT_NEEDED, None)
    assert _state(controller, "fan") == (False, Reason.RUN_FINISHED, None)


def test_events_are_made_as_they_leave_in_the_order_they_happened_with_the_agents_own_among_them() -> None:
    """The controller keeps what it says as records and makes each ``Event`` when it leaves: ``take_records`` and
    ``event`` (the backtest's way, models only when asked for) give what ``take_events`` gives, event for event."""
    agents = Event(site=SITE.cooperative.id, greenhouse=GH.id, ts=T0, kind=EventKind.ALERT, reason=Reason.OUTBOX_LOST)
    taken: list[list[Event]] = []
    for way in ("events", "records"):
        controller = Controller(SITE.cooperative.id, GH, T0)
        controller.events.append(agents)  # as the agent adds an alert of its own after the start-up fail-safe
        controller.decide([_ask("climate", "roof-vent", 60, 40), _ask("humidity", "roof-vent", 30, 20)], {}, T0)
        if way == "events":
            taken.append(controller.take_events())
        else:
            taken.append([controller.event(record) for record in controller.take_records()])
        assert controller.take_events() == []
    by_events, by_records = taken
    assert by_events == by_records
    kinds = [e.kind for e in by_events]
    assert by_events[kinds.index(EventKind.ALERT)] is agents and kinds.index(EventKind.ALERT) > 0
    assert [(e.rule, e.action) for e in by_events if e.kind is EventKind.SUPPRESSED] == [
        ("humidity", "lost to climate")
    ]
