"""Outages against a real Mosquitto and a real edge-agent process: nothing lost, nothing reordered, safe restarts."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contract.kinds import ControlSource
from contract.messages import ActuatorState, Event, EventKind, StateSnapshot
from contract.reasons import Reason
from edge.outbox import Outbox
from firmware_sim.physics import InitialConditions
from tests.support.mosquitto import Mosquitto
from tests.support.probe import Probe
from tests.support.stack import EdgeProcess, EdgeThread, one_greenhouse_site, rules_yaml, stack

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = datetime(2026, 3, 10, 9, 0, tzinfo=TZ)
NO_RULES = rules_yaml([])
GH = "ca-chua-1"

pytestmark = pytest.mark.slow


def test_broker_restart_loses_nothing_and_keeps_order(tmp_path: Path, mosquitto: Mosquitto) -> None:
    site = one_greenhouse_site(tmp_path, rules=NO_RULES)
    with stack(tmp_path, mosquitto, site, START, speed=60) as s:
        edge = EdgeProcess(s)
        try:
            p = s.probe
            p.wait(lambda: len(p.unique_seqs(GH)) >= 5, 30, "telemetry flowing")
            mosquitto.stop()
            outage_from = s.clock.now()
            time.sleep(6)  # 6 wall seconds: 6 simulated minutes, about 12 polls, only on the agent's disk
            outage_to = s.clock.now()
            mosquitto.start()
            p.wait(
                lambda: any(b.sent_at > outage_to + timedelta(minutes=2) for b in p.batches),
                40,
                "telemetry from after the outage",
            )
        finally:
            assert edge.stop() == 0
    seqs = p.unique_seqs(GH)
    assert seqs == list(range(1, len(seqs) + 1)), "a consumer that drops repeated seqs sees every batch, in order"
    during = [b for b in p.batches if outage_from < b.sent_at < outage_to]
    assert len({b.seq for b in during}) >= 8, "the batches read while the broker was down were delivered"
    for b in during:  # each reading keeps the time it was taken, not the time it arrived
        assert all(outage_from < r.ts < outage_to for r in b.readings)
    assert len(p.batches) - len(seqs) <= 60, "duplicates are rare repeats, not a flood"


def test_sigkilled_agent_keeps_its_outbox_and_its_irrigation_ends_on_time(tmp_path: Path, mosquitto: Mosquitto) -> None:
    site = one_greenhouse_site(tmp_path, rules=NO_RULES)
    with stack(tmp_path, mosquitto, site, START, speed=60) as s:
        edge = EdgeProcess(s)
        p = s.probe
        try:
            p.wait(lambda: p.latest_state(GH) is not None, 30, "the agent publishes its state")
            ack = p.command(GH, "valve-a", s.clock.now(), duration_s=900)
            assert ack.outcome == "accepted"
            p.wait(lambda: s.sim.state(GH).actuators["valve-a"].on, 10, "the valve relay closes")
            p.wait(lambda: _valve_a(p).on, 10, "the agent reports the run")
            until = _valve_a(p).until
            assert until is not None

            mosquitto.stop()
            time.sleep(3)  # polls pile up in the outbox
            edge.kill()
            killed_at = s.clock.now()
            box = Outbox(tmp_path / "edge" / f"htx-moc-chau-{GH}-outbox.sqlite3")
            stranded = box.depth()
            box.close()
            assert stranded >= 3, "the killed agent's unsent batches are on disk"
            # Killed, nobody switches the relay off until its watchdog trips.
            assert s.sim.state(GH).actuators["valve-a"].on

            mosquitto.start()
            edge.start()
            p.wait(lambda: any(e.action == "resumed" and e.actuator == "valve-a" for e in p.events), 20, "resumed")
            resumed = _valve_a(p)
            assert (resumed.on, resumed.until, resumed.source) == (True, until, ControlSource.OVERRIDE)
            on = {a.actuator for a in _state(p).actuators if a.on}
            assert on == {"valve-a", "pump"}, "the zone pump follows its valve; the rest restart fail-safe"

            def ends() -> list[Event]:
                return [e for e in p.events if e.actuator == "valve-a" and e.reason is Reason.RUN_FINISHED]

            p.wait(lambda: ends() != [], 30, "the run ends")
            [ended] = ends()
            p.wait(lambda: not s.sim.state(GH).actuators["valve-a"].on, 5, "the valve relay opens")
            poll = timedelta(seconds=s.gh.poll_interval_s)
            assert until <= ended.ts <= until + poll, "closed when the run was due to end, not a new full run"
            assert killed_at < until, "the kill fell inside the run"
            seqs_before_kill = stranded
            p.wait(lambda: len(p.unique_seqs(GH)) > seqs_before_kill + 5, 30, "backlog and new telemetry delivered")
        finally:
            edge.stop()
    seqs = p.unique_seqs(GH)
    assert seqs == list(range(1, len(seqs) + 1)), "the outbox survived the kill: no gap in sequence numbers"


def test_a_run_that_ended_while_the_agent_was_down_is_closed_at_restart(tmp_path: Path, mosquitto: Mosquitto) -> None:
    site = one_greenhouse_site(tmp_path, rules=NO_RULES)
    with stack(tmp_path, mosquitto, site, START, speed=60) as s:
        edge = EdgeProcess(s)
        p = s.probe
        try:
            p.wait(lambda: p.latest_state(GH) is not None, 30, "the agent publishes its state")
            assert p.command(GH, "valve-a", s.clock.now(), duration_s=120).outcome == "accepted"
            p.wait(lambda: s.sim.state(GH).actuators["valve-a"].on, 10, "the valve relay closes")
            edge.kill()
            time.sleep(3)  # three simulated minutes: the two-minute run is over
            edge.start()

            def restarted_safe() -> bool:
                state = p.latest_state(GH)
                # Started in its fail-safe state; once the rules have spoken, at rest because none asks.
                at_rest = {(ControlSource.SAFETY, Reason.FAIL_SAFE_START), (ControlSource.DEFAULT, Reason.NOT_NEEDED)}
                return state is not None and all((a.source, a.reason) in at_rest and not a.on for a in state.actuators)

            p.wait(restarted_safe, 15, "retained state: every actuator in its fail-safe state after the restart")
            p.wait(lambda: not s.sim.state(GH).actuators["valve-a"].on, 5, "the restarted agent closes the valve")
            assert not any(e.action == "resumed" for e in p.events)
        finally:
            edge.stop()


def _state(p: Probe) -> StateSnapshot:
    state = p.latest_state(GH)
    assert state is not None
    return state


def _valve_a(p: Probe) -> ActuatorState:
    [valve] = [a for a in _state(p).actuators if a.actuator == "valve-a"]
    return valve


def test_irrigation_goes_on_while_the_uplink_is_down(tmp_path: Path, mosquitto: Mosquitto) -> None:
    rules = rules_yaml(
        [
            {
                "id": "dry-soil-khu-a",
                "kind": "threshold",
                "priority": 50,
                "metric": {"sensors": ["soil-a1", "soil-a2"]},
                "below": 28,
                "for_s": 300,
                "action": {"actuator": "valve-a", "on_for_s": 600},
            }
        ]
    )
    site = one_greenhouse_site(tmp_path, rules=rules)
    initial = InitialConditions(soil_vwc_pct_by_zone={"khu-a": 25.0, "khu-b": 34.0})
    with stack(tmp_path, mosquitto, site, START, speed=60, initial=initial) as s:
        mosquitto.stop()  # the agent starts with no uplink at all
        edge = EdgeThread(s)
        p = s.probe
        try:
            deadline = time.monotonic() + 20
            # The valve and its pump are switched in the same pass, one write after the other on the bus.
            while time.monotonic() < deadline and not all(
                s.sim.state(GH).actuators[a].on for a in ("valve-a", "pump")
            ):
                time.sleep(0.1)
            opened_at = s.clock.now()
            assert s.sim.state(GH).actuators["valve-a"].on, "the rule watered zone A with the broker down"
            assert s.sim.state(GH).actuators["pump"].on
            mosquitto.start()
            p.wait(
                lambda: any(e.kind is EventKind.DECISION for e in p.events),
                30,
                "the decision taken offline reaches the central side",
            )
            decision = next(e for e in p.events if e.kind is EventKind.DECISION)
            assert decision.ts <= opened_at  # stamped when it was taken, not when it was delivered
        finally:
            edge.stop()
