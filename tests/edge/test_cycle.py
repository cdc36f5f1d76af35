"""The control cycle's time: what is due is known (a run's end, a max on-time, a hold by hand), and a replay
between recorded polls ends each run at its own time, as the edge's passes do, not at the next poll."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contract.kinds import Quality, SensorKind
from contract.messages import Command, CommandAction, EventKind, Reading
from contract.reasons import Reason
from contract.site_file import load_site
from edge.control import Controller
from edge.cycle import ControlCycle
from rules.engine import EngineState, Place
from tests.conftest import EXAMPLE_SITE

SITE = load_site(EXAMPLE_SITE)
GH = SITE.greenhouse("ca-chua-1")
T0 = datetime(2026, 1, 15, 5, 0, 0, tzinfo=UTC)


def _tank(now: datetime) -> dict[str, Reading]:
    return {"tank-level": Reading(sensor="tank-level", kind=SensorKind.TANK_LEVEL_PCT, value=80, ts=now,
                                  quality=Quality.GOOD)}


def _command(actuator: str, action: CommandAction, seconds: float, now: datetime) -> Command:
    return Command(id=f"c-{actuator}-{now.timestamp()}", actuator=actuator, action=action, duration_s=seconds,
                   issued_at=now, expires_at=now + timedelta(minutes=2), issued_by="lan")


def _cycle() -> ControlCycle:
    controller = Controller(SITE.cooperative.id, GH, T0)
    controller.take_events()
    return ControlCycle(controller, None, Place.of(SITE.cooperative), EngineState())


def test_what_is_due_next_is_the_earliest_run_end_max_on_time_or_hand_hold() -> None:
    cycle = _cycle()
    assert cycle.controller.next_due() is None  # nothing timed at rest
    cycle.controller.command(_command("valve-a", CommandAction.ON, 100, T0), _tank(T0), T0)
    assert cycle.controller.next_due() == T0 + timedelta(seconds=100)
    # The fan held off by hand for ten minutes is handed back to the rules then: that is due too.
    held = T0 + timedelta(seconds=5)
    cycle.controller.command(_command("fan", CommandAction.OFF, 600, held), _tank(held), held)
    cycle.advance(_tank(held), held + timedelta(seconds=200))
    assert cycle.controller.next_due() == held + timedelta(seconds=600)


def test_advancing_between_polls_ends_a_run_at_its_own_time_not_at_the_next_poll() -> None:
    cycle = _cycle()
    cycle.controller.command(_command("valve-a", CommandAction.ON, 95, T0), _tank(T0), T0)
    cycle.controller.take_events()
    cycle.advance(_tank(T0), T0 + timedelta(seconds=120))  # the next poll, 25 s after the run's end
    ended = [e for e in cycle.controller.take_events() if e.kind is EventKind.ACTUATION]
    assert [(e.actuator, e.action, e.reason, e.ts) for e in ended] == [
        ("valve-a", "off", Reason.RUN_FINISHED, T0 + timedelta(seconds=95)),
        ("pump", "off", Reason.NO_ZONE_WATERING, T0 + timedelta(seconds=95)),
    ]
    assert cycle.controller.next_due() is None
