"""The whole loop through a real Mosquitto: dry soil → rule → valve → water flows → soil wets → valve closes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from contract.kinds import ControlSource
from contract.messages import EventKind
from contract.reasons import Reason
from firmware_sim.physics import InitialConditions
from tests.support.mosquitto import Mosquitto
from tests.support.stack import EdgeThread, one_greenhouse_site, rules_yaml, stack

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DRY_SOIL_RULE = rules_yaml(
    [
        {
            "id": "dry-soil-khu-a",
            "name": "Đất khô khu A",
            "kind": "threshold",
            "priority": 50,
            "metric": {"sensors": ["soil-a1", "soil-a2"]},
            "below": 28,
            "hysteresis": 2,
            "for_s": 300,
            "action": {"actuator": "valve-a", "on_for_s": 1200},
        }
    ]
)


def test_dry_soil_is_watered_until_wet_then_the_valve_closes(tmp_path: Path, mosquitto: Mosquitto) -> None:
    site = one_greenhouse_site(tmp_path, rules=DRY_SOIL_RULE)
    # A small zone, so that one 20-minute run visibly wets it (25 L/min on 50 m²: 10 mm of water).
    zones = [site.greenhouses[0].zones[0].model_copy(update={"area_m2": 50}), site.greenhouses[0].zones[1]]
    site = one_greenhouse_site(tmp_path, rules=DRY_SOIL_RULE, zones=zones)
    initial = InitialConditions(soil_vwc_pct_by_zone={"khu-a": 27.0, "khu-b": 34.0}, tank_level_pct=90)
    with stack(tmp_path, mosquitto, site, datetime(2026, 3, 10, 9, 0, tzinfo=TZ), speed=150, initial=initial) as s:
        edge = EdgeThread(s)
        try:
            p = s.probe
            p.wait(
                lambda: any(e.kind is EventKind.DECISION and e.actuator == "valve-a" for e in p.events),
                30,
                "the dry-soil rule decides to water zone A",
            )
            decision = next(e for e in p.events if e.kind is EventKind.DECISION)
            assert decision.rule == "dry-soil-khu-a" and decision.reason is Reason.RULE_THRESHOLD
            # Whole per cent, as the tiles show them: the rule fired below 28 % and holds within its 2 % hysteresis.
            assert decision.inputs["mean(soil-a1, soil-a2)"] < 28 + 2
            assert float(decision.reason_params["value"]) < float(decision.reason_params["threshold"])
            assert {"soil-a1", "soil-a2"} <= decision.inputs.keys()
            soil_before = s.sim.state("ca-chua-1").soil_vwc_pct["khu-a"]

            p.wait(
                lambda: p.actuator_on("ca-chua-1", "valve-a") and p.actuator_on("ca-chua-1", "pump"),
                10,
                "valve A and the pump that feeds it are on",
            )
            state = p.latest_state("ca-chua-1")
            assert state is not None
            valve = next(a for a in state.actuators if a.actuator == "valve-a")
            assert valve.source is ControlSource.RULE and valve.until is not None
            assert s.sim.state("ca-chua-1").actuators["valve-a"].on  # the relay really closed

            def flow_seen() -> bool:
                return any(r.sensor == "water-flow" and (r.value or 0) > 20 for b in p.batches for r in b.readings)

            p.wait(flow_seen, 10, "the flow meter shows water")

            p.wait(
                lambda: any(
                    e.kind is EventKind.ACTUATION
                    and e.actuator == "valve-a"
                    and e.action == "off"
                    and e.reason is Reason.RUN_FINISHED
                    for e in p.events
                ),
                30,
                "valve A closes",
            )
            # The relays follow the event within the writes' round trip on the bus.
            p.wait(
                lambda: not any(s.sim.state("ca-chua-1").actuators[a].on for a in ("valve-a", "pump")),
                5,
                "the valve and the pump relays open",
            )
            after = s.sim.state("ca-chua-1")
            assert after.soil_vwc_pct["khu-a"] > soil_before + 2.5
            assert after.soil_vwc_pct["khu-a"] > 30  # wet past the hysteresis band: the rule is released
            assert after.soil_vwc_pct["khu-b"] < 34.5  # zone B got no water
            decisions_so_far = sum(1 for e in p.events if e.kind is EventKind.DECISION)
            last_seq = max(p.unique_seqs("ca-chua-1"))
            p.wait(lambda: max(p.unique_seqs("ca-chua-1")) >= last_seq + 10, 20, "ten more polls")
            assert sum(1 for e in p.events if e.kind is EventKind.DECISION) == decisions_so_far
            assert not s.sim.state("ca-chua-1").actuators["valve-a"].on
        finally:
            edge.stop()
