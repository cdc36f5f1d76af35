"""Durations, clipping and the end of a run reported as what they are, and who did a manual act."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contract.kinds import Quality, SensorKind
from contract.messages import AckOutcome, Command, CommandAction, Event, EventKind, Reading
from contract.reasons import Reason, render
from contract.site_file import load_site
from edge.control import Controller
from rules.engine import Decision
from tests.conftest import EXAMPLE_SITE

GH = load_site(EXAMPLE_SITE).greenhouse("ca-chua-1")
T0 = datetime(2026, 1, 15, 5, 0, 7, 300000, tzinfo=UTC)
THIRTY_MIN_S = 1800.0  # valve-a's max_on_s in the example site


def _tank(now: datetime) -> dict[str, Reading]:
    full = Reading(sensor="tank-level", kind=SensorKind.TANK_LEVEL_PCT, value=80, ts=now, quality=Quality.GOOD)
    return {"tank-level": full}


def _water(controller: Controller, now: datetime, seconds: float, by: str = "lan") -> tuple[AckOutcome, str, str]:
    cmd = Command(
        id=f"c-{now.timestamp()}",
        actuator="valve-a",
        action=CommandAction.ON,
        duration_s=seconds,
        issued_at=now,
        expires_at=now + timedelta(minutes=2),
        issued_by=by,
    )
    result = controller.command(cmd, _tank(now), now)
    reason, params = result.reason, result.params
    return result.outcome, render(reason, params, "vi", GH), render(reason, params, "en", GH)


def _controller() -> Controller:
    controller = Controller("htx-moc-chau", GH, T0)
    controller.take_events()
    return controller


def _polls(controller: Controller, until_s: float) -> list[Event]:
    events = []
    for s in range(30, int(until_s) + 60, 30):
        now = T0 + timedelta(seconds=s)
        controller.tick(_tank(now), now)
        events += controller.take_events()
    return events


def test_a_30_minute_watering_against_a_30_minute_max_on_runs_its_time_and_ends_as_finished() -> None:
    controller = _controller()
    outcome, vi, en = _water(controller, T0, THIRTY_MIN_S)
    assert (outcome, vi, en) == (AckOutcome.ACCEPTED, "Đã nhận lệnh của lan", "Command from lan accepted")
    started = controller.take_events()
    assert [(e.actuator, e.reason, e.reason_params) for e in started] == [
        ("valve-a", Reason.MANUAL_RUN, {"by": "lan"}),
        ("pump", Reason.MANUAL_RUN, {"by": "lan"}),
    ]

    events = _polls(controller, THIRTY_MIN_S)
    assert [e for e in events if e.kind is EventKind.SAFETY] == [], "a run that did its time is no safety stop"
    ended = {e.actuator: (e.ts - T0, e.reason) for e in events if e.action == "off"}
    assert ended == {
        "valve-a": (timedelta(seconds=THIRTY_MIN_S), Reason.RUN_FINISHED),
        # The pump follows its valves: it stops because no zone is watered any more.
        "pump": (timedelta(seconds=THIRTY_MIN_S), Reason.NO_ZONE_WATERING),
    }
    assert render(Reason.NO_ZONE_WATERING, {}, "en", GH) == "No zone is being watered — pump off"


def test_a_clip_says_what_the_run_was_shortened_to_never_the_length_asked_for() -> None:
    controller = _controller()
    ask = Decision(
        rule="dry",
        actuator="valve-a",
        duration_s=60,
        priority=50,
        reason=Reason.RULE_THRESHOLD,
        reason_params={},
        inputs={},
    )
    controller.decide([ask], _tank(T0), T0)
    later = T0 + timedelta(seconds=1)
    outcome, vi, en = _water(controller, later, THIRTY_MIN_S)
    # One second of max on-time is gone: the run is 29 min 59 s, and the answer does not round it up to "30".
    assert outcome is AckOutcome.CLIPPED
    assert vi == "Đã nhận lệnh của lan, nhưng chỉ chạy 29 phút 59 giây (giới hạn an toàn)"
    assert en == "Command from lan accepted, but it runs only 29 min 59 s (safety limit)"
    assert controller.runs["valve-a"].until == T0 + timedelta(seconds=THIRTY_MIN_S)

