"""The edge agent with the example greenhouse's real devices — an XY-MD02, soil probes, an Eletechsup relay board with
a motorised side curtain — served by the simulator over Modbus RTU (a pty pair and RTU over TCP): what a technician
and a farmer rely on when a device misbehaves."""

from __future__ import annotations

import itertools
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from contract.devices.profile import Baud
from contract.kinds import Quality
from contract.messages import Event, EventKind
from contract.reasons import Reason
from contract.site import RtuTcpBus, SiteConfig
from firmware_sim.faults import DeadNodeFault, IgnoredWriteFault, MotorStallFault
from tests.support.mosquitto import Mosquitto
from tests.support.stack import EdgeProcess, EdgeThread, Stack, one_greenhouse_site, rules_yaml, stack

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
GH = "ca-chua-1"
START = datetime(2026, 3, 10, 9, 0, tzinfo=TZ)


def _alerts(events: list[Event], reason: Reason) -> list[Event]:
    return [e for e in events if e.kind is EventKind.ALERT and e.reason is reason]


def _run_valve_a(s: Stack, duration_s: float) -> datetime:
    """Valve A opened from the phone for ``duration_s``: when its run is to end, as the edge says."""
    p = s.probe
    assert p.command(GH, "valve-a", s.clock.now(), duration_s=duration_s).outcome == "accepted"
    p.wait(lambda: s.sim.state(GH).actuators["valve-a"].on, 10, "the valve opens")
    state = p.latest_state(GH)
    ends = next(a for a in state.actuators if a.actuator == "valve-a").until if state is not None else None
    assert ends is not None
    return ends


def test_a_dead_probe_is_set_aside_told_and_taken_back_while_the_rest_keeps_its_pace(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    site = one_greenhouse_site(tmp_path, rules=rules_yaml([]))
    with stack(tmp_path, mosquitto, site, START, speed=60) as s:
        edge = EdgeThread(s)
        p = s.probe
        try:
            p.wait(lambda: len(p.batches) >= 2, 20, "telemetry flowing")
            s.sim.inject(DeadNodeFault(greenhouse=GH, node="soil-3"))
            p.wait(lambda: _alerts(p.events, Reason.NODE_QUARANTINED) != [], 20, "the dead probe is set aside")
            [aside] = _alerts(p.events, Reason.NODE_QUARANTINED)
            assert aside.reason_params == {"node": "soil-3"}
            # The others keep their cadence: every batch after it was set aside has a good air temperature, and
            # batches keep coming about once per poll interval.
            p.wait(lambda: sum(b.sent_at > aside.ts for b in p.batches) >= 6, 20, "polls go on")
            after = sorted((b for b in p.batches if b.sent_at > aside.ts), key=lambda b: b.sent_at)
            for batch in after:
                by_sensor = {r.sensor: r for r in batch.readings}
                assert by_sensor["air-temp"].quality is Quality.GOOD
                assert by_sensor["soil-b1"].quality is Quality.STALE
            gaps = [(b.sent_at - a.sent_at).total_seconds() for a, b in itertools.pairwise(after)]
            assert max(gaps) <= 2 * site.greenhouses[0].poll_interval_s
            s.sim.clear_faults()
            p.wait(
                lambda: any(e.reason is Reason.NODE_ANSWERING and e.action == "cleared" for e in p.events),
                30,
                "the probe is taken back once it answers",
            )
            p.wait(
                lambda: any(r.sensor == "soil-b1" and r.quality is Quality.GOOD for b in p.batches for r in b.readings
                            if b.sent_at > aside.ts),
                30,
                "its readings are good again",
            )
            # The heartbeat's status tells the technician how the probe answered.
            p.wait(
                lambda: any(n.node == "soil-3" and n.timeouts >= 2 for st in p.statuses for n in st.nodes),
                20,
                "the timeouts counted in the status",
            )
        finally:
            edge.stop()


def test_a_relay_that_ignores_its_command_is_told_and_one_switched_by_hand_is_put_back(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    site = one_greenhouse_site(tmp_path, rules=rules_yaml([]))
    with stack(tmp_path, mosquitto, site, START, speed=60) as s:
        edge = EdgeThread(s)
        p = s.probe
        try:
            p.wait(lambda: p.latest_state(GH) is not None, 20, "state published")
            s.sim.inject(IgnoredWriteFault(greenhouse=GH, node="relays"))
            assert p.command(GH, "fan", s.clock.now(), duration_s=600).outcome == "accepted"
            p.wait(lambda: _alerts(p.events, Reason.OUTPUT_DID_NOT_SWITCH) != [], 20, "the ignored write is told")
            assert not s.sim.state(GH).actuators["fan"].on
            s.sim.clear_faults()
            p.wait(lambda: s.sim.state(GH).actuators["fan"].on, 20, "written again, the fan runs")

            # Someone switches the heater on at the board (its own buttons): the board's register changes as if
            # written, without the edge.
            heater = site.greenhouses[0].actuators["heater"].on_off
            assert heater is not None
            [board] = [n for n in s.sim.simulator.greenhouses[GH].nodes if n.node.id == "relays"]
            by_hand = bytes([6]) + heater.address.to_bytes(2, "big") + heater.on_value.to_bytes(2, "big")
            s.sim.call(lambda: board.answer(by_hand))
            assert s.sim.state(GH).actuators["heater"].on
            p.wait(lambda: _alerts(p.events, Reason.OUTPUT_SWITCHED_ELSEWHERE) != [], 20, "the hand switch is told")
            [elsewhere] = _alerts(p.events, Reason.OUTPUT_SWITCHED_ELSEWHERE)
            # An id in the message: each reader is told the name in their own language.
            assert elsewhere.reason_params == {"actuator": "heater"}
            p.wait(lambda: not s.sim.state(GH).actuators["heater"].on, 20, "put back as the controller has it")
        finally:
            edge.stop()


def test_a_valve_run_ends_on_time_on_the_board_itself_when_the_edge_dies(tmp_path: Path, mosquitto: Mosquitto) -> None:
    site = one_greenhouse_site(tmp_path, rules=rules_yaml([]))
    with stack(tmp_path, mosquitto, site, START, speed=60) as s:
        edge = EdgeProcess(s)
        p = s.probe
        try:
            p.wait(lambda: p.latest_state(GH) is not None, 30, "state published")
            ends = _run_valve_a(s, 180)
            edge.kill()  # mid-run: nothing on the edge will close it
            p.wait(lambda: not s.sim.state(GH).actuators["valve-a"].on, 20, "the board closes the valve itself")
            closed_at = s.clock.now()
            # At the run's end (within a poll and the pass that saw it), not after the relay watchdog's hour.
            assert closed_at <= ends + timedelta(seconds=2 * site.greenhouses[0].poll_interval_s)
        finally:
            edge.stop()


def test_a_motorised_curtain_reaches_twenty_positions_and_its_fail_safe(tmp_path: Path, mosquitto: Mosquitto) -> None:
    site = one_greenhouse_site(tmp_path, rules=rules_yaml([]))
    curtain = site.greenhouses[0].actuators["side-curtain"]
    assert curtain.motor is not None
    # At 10× a full stroke takes 9 s, and the relay board's line runs at 38400 baud: the agent's pass and the bus's
    # few milliseconds stay a small part of a move, as they are on site at 1×. (At 20× a stop a quarter of a second
    # late, the edge's thread kept waiting on a loaded test machine, was already 5 % of a stroke.)
    site = _relays_at(site, Baud.B38400)
    with stack(tmp_path, mosquitto, site, START, speed=10) as s:
        edge = EdgeThread(s)
        p = s.probe
        try:
            p.wait(lambda: p.latest_state(GH) is not None, 20, "state published")
            targets = [30, 45, 60, 40, 25, 50, 70, 55, 35, 20, 40, 65, 80, 60, 45, 30, 50, 70, 55, 35]
            for target in targets:
                ack = p.command(GH, "side-curtain", s.clock.now(), duration_s=3600, position_pct=target)
                assert ack.outcome == "accepted", ack
                # A full stroke is 90 simulated seconds (9 s here), plus dead time, homing and the bus.
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    moving = s.sim.state(GH).actuators["side-curtain"]
                    if abs(moving.position_pct - target) <= 5:
                        break
                    time.sleep(0.05)
                time.sleep(0.5)  # it must stop there, not pass through
                where = s.sim.state(GH).actuators["side-curtain"].position_pct
                assert abs(where - target) <= 5, f"commanded {target} %, the curtain is at {where:.1f} %"
            assert set(s.sim.motor_conflicts(GH).values()) == {0}, "both relays were never on together"
        finally:
            edge.stop()  # the agent drives it to its fail-safe position (closed) before it stops
        assert s.sim.state(GH).actuators["side-curtain"].position_pct <= 1


def _relays_at(site: SiteConfig, baud: Baud) -> SiteConfig:
    """The site with the relay board's line (RTU over TCP) at ``baud``."""
    gh = site.greenhouses[0]
    buses = [b.model_copy(update={"baud": baud}) if isinstance(b, RtuTcpBus) else b for b in gh.buses]
    return site.model_copy(update={"greenhouses": [gh.model_copy(update={"buses": buses})]})


def _with_limit_switch(site: SiteConfig) -> SiteConfig:
    """The side curtain with a limit switch at its closed end, wired to the relay board's first digital input."""
    data = site.model_dump()
    for node in data["greenhouses"][0]["nodes"]:
        for actuator in node["actuators"]:
            if actuator["id"] == "side-curtain":
                actuator["motor"]["closed_limit"] = {"table": "discrete_input", "address": 0, "data_type": "bit"}
    return SiteConfig.model_validate(data)


def test_a_curtain_with_a_limit_switch_stops_on_it_and_a_stalled_one_is_told(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    site = _relays_at(_with_limit_switch(one_greenhouse_site(tmp_path, rules=rules_yaml([]))), Baud.B38400)
    with stack(tmp_path, mosquitto, site, START, speed=20) as s:
        edge = EdgeThread(s)
        p = s.probe
        try:
            p.wait(lambda: p.latest_state(GH) is not None, 30, "state published")
            assert p.command(GH, "side-curtain", s.clock.now(), duration_s=3600, position_pct=60).outcome == "accepted"
            p.wait(lambda: abs(s.sim.state(GH).actuators["side-curtain"].position_pct - 60) <= 5, 30, "opened")
            assert p.command(GH, "side-curtain", s.clock.now(), duration_s=3600, position_pct=0).outcome == "accepted"
            p.wait(lambda: s.sim.state(GH).actuators["side-curtain"].position_pct <= 0.5, 30, "closed")
            time.sleep(1.5)  # 15 simulated seconds: its switch read, the motor is off, no stall is told
            assert _alerts(p.events, Reason.CURTAIN_STALLED) == []

            assert p.command(GH, "side-curtain", s.clock.now(), duration_s=3600, position_pct=70).outcome == "accepted"
            p.wait(lambda: s.sim.state(GH).actuators["side-curtain"].position_pct >= 40, 30, "opening again")
            # Jammed on its way back: the switch never reads closed.
            s.sim.inject(MotorStallFault(greenhouse=GH, actuator="side-curtain"))
            assert p.command(GH, "side-curtain", s.clock.now(), duration_s=3600, position_pct=0).outcome == "accepted"
            p.wait(lambda: _alerts(p.events, Reason.CURTAIN_STALLED) != [], 30, "the stuck curtain is told")
            [stuck] = _alerts(p.events, Reason.CURTAIN_STALLED)
            assert stuck.reason_params == {"actuator": "side-curtain"}
        finally:
            s.sim.clear_faults()
            edge.stop()


def test_a_valve_closes_on_time_while_a_device_on_its_line_is_dead(tmp_path: Path, mosquitto: Mosquitto) -> None:
    site = one_greenhouse_site(tmp_path, rules=rules_yaml([]))
    with stack(tmp_path, mosquitto, site, START, speed=60) as s:
        edge = EdgeThread(s)
        p = s.probe
        try:
            p.wait(lambda: p.latest_state(GH) is not None, 20, "state published")
            # The roof vent's positioner shares the relay board's line; it stops answering.
            s.sim.inject(DeadNodeFault(greenhouse=GH, node="positioners"))
            ends = _run_valve_a(s, 300)
            p.wait(lambda: not s.sim.state(GH).actuators["valve-a"].on, 20, "the valve closes")
            # Within a poll of its end, the dead positioner's timeouts notwithstanding.
            assert s.clock.now() <= ends + timedelta(seconds=site.greenhouses[0].poll_interval_s)
            p.wait(lambda: _alerts(p.events, Reason.NODE_QUARANTINED) != [], 10, "the positioner is set aside")
        finally:
            edge.stop()
