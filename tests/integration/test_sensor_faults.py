"""Faults injected in the simulator are flagged by the edge agent and never drive an actuator."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from contract.kinds import Quality
from contract.messages import EventKind
from contract.reasons import Reason
from firmware_sim.faults import DropoutFault, NodeOfflineFault, SpikeFault, StuckFault
from firmware_sim.physics import InitialConditions
from tests.support.mosquitto import Mosquitto
from tests.support.probe import Probe
from tests.support.stack import EdgeThread, one_greenhouse_site, rules_yaml, stack, with_sensor_changes

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
GH = "ca-chua-1"
RULES = rules_yaml(
    [
        {
            "id": "dry-soil-khu-a",
            "kind": "threshold",
            "priority": 50,
            "metric": {"sensors": ["soil-a1", "soil-a2"]},
            "below": 28,
            "hysteresis": 2,
            "for_s": 120,
            "action": {"actuator": "valve-a", "on_for_s": 300},
        }
    ]
)


def _flags(p: Probe, sensor: str) -> set[Quality]:
    return {r.quality for b in p.batches for r in b.readings if r.sensor == sensor}


def test_faulty_sensors_are_flagged_and_never_water(tmp_path: Path, mosquitto: Mosquitto) -> None:
    site = one_greenhouse_site(tmp_path, rules=RULES)
    site = with_sensor_changes(site, "air-rh", flatline_after_s=300)
    initial = InitialConditions(soil_vwc_pct_by_zone={"khu-a": 24.0, "khu-b": 34.0})
    with stack(tmp_path, mosquitto, site, datetime(2026, 3, 10, 9, 0, tzinfo=TZ), speed=60, initial=initial) as s:
        # Zone A is dry, but both of its probes have failed: the rule must not act on nothing.
        for sensor in ("soil-a1", "soil-a2"):
            s.sim.inject(DropoutFault(greenhouse=GH, sensor=sensor))
        s.sim.inject(NodeOfflineFault(greenhouse=GH, node="weather"))
        s.sim.inject(StuckFault(greenhouse=GH, sensor="air-rh"))
        s.sim.inject(SpikeFault(greenhouse=GH, sensor="air-temp", start_s=600, duration_s=120, offset=25))
        edge = EdgeThread(s)
        p = s.probe
        try:
            p.wait(lambda: Quality.FLATLINE in _flags(p, "air-rh"), 30, "the stuck humidity sensor is flagged")
            # The probes hold integers: one that has no value serves its register's largest, which is out of range.
            assert _flags(p, "soil-a1") == {Quality.OUT_OF_RANGE} == _flags(p, "soil-a2")
            assert _flags(p, "out-temp") == {Quality.STALE}
            p.wait(lambda: Quality.SPIKE in _flags(p, "air-temp"), 30, "the spike is flagged")
            assert all(r.value is None for b in p.batches for r in b.readings if r.sensor == "out-temp")
            unusable = [e for e in p.events if e.kind is EventKind.ALERT and e.rule == "dry-soil-khu-a"]
            assert [(e.reason, e.action) for e in unusable] == [(Reason.RULE_INPUT_UNUSABLE, "raised")]  # once
            assert not any(e.kind is EventKind.DECISION for e in p.events)
            assert not s.sim.state(GH).actuators["valve-a"].on

            # With the probes repaired, the same dry soil is watered: it was the faults that held the rule back.
            s.sim.clear_faults()
            p.wait(
                lambda: any(e.kind is EventKind.DECISION and e.actuator == "valve-a" for e in p.events),
                30,
                "the rule waters zone A once its probes work",
            )
            assert s.sim.state(GH).soil_vwc_pct["khu-a"] < 28
        finally:
            edge.stop()


def test_lost_relay_node_gets_the_fail_safe_state_when_it_answers_again(tmp_path: Path, mosquitto: Mosquitto) -> None:
    site = one_greenhouse_site(tmp_path, rules=rules_yaml([]))
    with stack(tmp_path, mosquitto, site, datetime(2026, 3, 10, 9, 0, tzinfo=TZ), speed=60) as s:
        edge = EdgeThread(s)
        p = s.probe
        try:
            p.wait(lambda: p.latest_state(GH) is not None, 20, "state published")
            assert p.command(GH, "valve-a", s.clock.now(), duration_s=1800).outcome == "accepted"
            p.wait(lambda: s.sim.state(GH).actuators["valve-a"].on, 10, "valve open")
            s.sim.inject(NodeOfflineFault(greenhouse=GH, node="relays"))
            # contact_timeout_s is 120 simulated seconds: 2 s of wall time at 60×.
            p.wait(
                lambda: any(e.reason is Reason.FAIL_SAFE_CONTACT and e.actuator == "valve-a" for e in p.events),
                15,
                "the agent gives up on the lost relay board",
            )
            assert any(e.kind is EventKind.ALERT and e.reason is Reason.NODE_UNREACHABLE for e in p.events)
            s.sim.clear_faults()
            p.wait(
                lambda: not s.sim.state(GH).actuators["valve-a"].on,
                15,
                "the board, back, is put in its fail-safe state rather than the old command",
            )
            # The alert is cleared, for the farmer's alerts list, once the board answers.
            p.wait(
                lambda: any(e.reason is Reason.NODE_ANSWERING and e.action == "cleared" for e in p.events),
                10,
                "the node's alert cleared",
            )
            [lost] = [e for e in p.events if e.reason is Reason.NODE_UNREACHABLE]
            assert (lost.action, lost.reason_params) == ("raised", {"node": "relays"})
        finally:
            edge.stop()
