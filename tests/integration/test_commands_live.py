"""Manual commands over a real Mosquitto: bad ones refused with a reason, the agent keeps running."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from contract.messages import AckOutcome, Command
from contract.reasons import Reason, render
from firmware_sim.physics import InitialConditions
from tests.support.mosquitto import Mosquitto
from tests.support.stack import EdgeThread, one_greenhouse_site, rules_yaml, stack

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
GH = "ca-chua-1"


def test_bad_commands_are_refused_and_telemetry_keeps_flowing(tmp_path: Path, mosquitto: Mosquitto) -> None:
    site = one_greenhouse_site(tmp_path, rules=rules_yaml([]))
    with stack(tmp_path, mosquitto, site, datetime(2026, 3, 10, 9, 0, tzinfo=TZ), speed=30) as s:
        edge = EdgeThread(s)
        p = s.probe
        try:
            p.wait(lambda: len(p.unique_seqs(GH)) >= 2, 20, "telemetry flowing")
            now = s.clock.now()
            good = Command(
                id="x",
                actuator="valve-a",
                action="on",
                duration_s=60,
                issued_at=now,
                expires_at=now + timedelta(minutes=5),
            )
            cases: list[tuple[str, bytes, Reason]] = [
                ("valve-a", b"open the valve please", Reason.BAD_PAYLOAD),
                (
                    "valve-a",
                    json.dumps({**json.loads(good.to_json()), "id": "t-types", "duration_s": "ten"}).encode(),
                    Reason.INVALID_DURATION,
                ),
                (
                    "valve-a",
                    json.dumps({**json.loads(good.to_json()), "id": "t-absurd", "duration_s": 10_000_000}).encode(),
                    Reason.INVALID_DURATION,
                ),
                (
                    "sprinkler",
                    json.dumps({**json.loads(good.to_json()), "id": "t-unknown", "actuator": "sprinkler"}).encode(),
                    Reason.UNKNOWN_ACTUATOR,
                ),
                (
                    "valve-a",
                    json.dumps(
                        {
                            **json.loads(good.to_json()),
                            "id": "t-expired",
                            "expires_at": (now - timedelta(hours=1)).isoformat(),
                        }
                    ).encode(),
                    Reason.EXPIRED,
                ),
                (
                    "valve-a",
                    json.dumps({**json.loads(good.to_json()), "id": "t-admin", "role": "admin"}).encode(),
                    Reason.BAD_PAYLOAD,
                ),
            ]
            for actuator, payload, _ in cases:
                p.send_raw(GH, actuator, payload)
            p.wait(lambda: len(p.acks) >= len(cases), 15, "one ack per bad command")
            assert all(a.outcome is AckOutcome.REFUSED for a in p.acks)
            assert sorted(a.reason for a in p.acks) == sorted(r for _, _, r in cases)
            assert not s.sim.state(GH).actuators["valve-a"].on

            seq_now = max(p.unique_seqs(GH))
            p.wait(lambda: max(p.unique_seqs(GH)) >= seq_now + 3, 20, "the agent keeps publishing telemetry")

            clipped = p.command(GH, "valve-a", s.clock.now(), duration_s=3 * 3600)
            assert clipped.outcome is AckOutcome.CLIPPED
            assert clipped.effective_duration_s == 1800  # valve-a's max_on_s
            assert "30" in render(clipped.reason, clipped.reason_params, "vi")
            p.wait(lambda: s.sim.state(GH).actuators["valve-a"].on, 10, "the clipped command still opens the valve")
        finally:
            edge.stop()


def test_pump_refused_when_the_tank_is_low(tmp_path: Path, mosquitto: Mosquitto) -> None:
    site = one_greenhouse_site(tmp_path, rules=rules_yaml([]))
    initial = InitialConditions(tank_level_pct=8.0)
    with stack(tmp_path, mosquitto, site, datetime(2026, 3, 10, 9, 0, tzinfo=TZ), speed=30, initial=initial) as s:
        edge = EdgeThread(s)
        p = s.probe
        try:
            p.wait(
                lambda: any(r.sensor == "tank-level" and r.value is not None for b in p.batches for r in b.readings),
                20,
                "a tank-level reading",
            )
            pump = p.command(GH, "pump", s.clock.now(), duration_s=600)
            assert pump.outcome is AckOutcome.REFUSED and pump.reason is Reason.INTERLOCK_SENSOR
            gh = site.greenhouse(GH)
            assert render(pump.reason, pump.reason_params, "vi", gh).startswith("Mực nước bể đang 8 %, dưới")
            assert "cannot run" in render(pump.reason, pump.reason_params, "en", gh)
            # Watering the zone needs the pump too, so the farmer is told why it cannot happen.
            valve = p.command(GH, "valve-a", s.clock.now(), duration_s=600)
            assert valve.outcome is AckOutcome.REFUSED and valve.reason is Reason.INTERLOCK_SENSOR
            state = s.sim.state(GH)
            assert not state.actuators["pump"].on and not state.actuators["valve-a"].on
        finally:
            edge.stop()


def test_hostile_and_replayed_commands_neither_stop_the_agent_nor_cut_a_running_irrigation(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    site = one_greenhouse_site(tmp_path, rules=rules_yaml([]))
    with stack(tmp_path, mosquitto, site, datetime(2026, 3, 10, 9, 0, tzinfo=TZ), speed=30) as s:
        edge = EdgeThread(s)
        p = s.probe
        try:
            p.wait(lambda: len(p.unique_seqs(GH)) >= 2, 20, "telemetry flowing")
            watering = p.command(GH, "valve-a", s.clock.now(), duration_s=1200)
            assert watering.outcome is AckOutcome.ACCEPTED
            p.wait(lambda: s.sim.state(GH).actuators["valve-a"].on, 10, "the valve opens")
            acks_before = len(p.acks)
            # 4 KB of '[' on cmd/fan made json.loads raise RecursionError: the agent exited, every relay dropped.
            p.send_raw(GH, "fan", b"[" * 4000)
            now = s.clock.now()
            expires = now + timedelta(minutes=14)  # within the edge's horizon, and past the restart below
            replay = Command(
                id="replayed", actuator="fan", action="on", duration_s=60, issued_at=now, expires_at=expires
            )
            p.send_raw(GH, "fan", replay.to_json())
            p.send_raw(GH, "fan", replay.to_json())  # the same id again: carried out once
            # Retained, a command would run again at every restart of the agent.
            topic = f"gh/v1/{s.site.cooperative.id}/{GH}/cmd/fan"
            kept = replay.model_copy(update={"id": "kept"})
            p.client.publish(topic, kept.to_json(), qos=1, retain=True).wait_for_publish(5)
            p.wait(lambda: len(p.acks) >= acks_before + 4, 15, "an answer to each")
            answers = {(a.command_id, a.outcome, a.reason) for a in p.acks[acks_before:]}
            assert ("?", AckOutcome.REFUSED, Reason.BAD_PAYLOAD) in answers
            assert ("replayed", AckOutcome.ACCEPTED, Reason.ACCEPTED) in answers
            assert ("replayed", AckOutcome.REFUSED, Reason.DUPLICATE_COMMAND) in answers
            seq_now = max(p.unique_seqs(GH))
            p.wait(lambda: max(p.unique_seqs(GH)) >= seq_now + 3, 20, "the agent keeps publishing telemetry")
            assert s.sim.state(GH).actuators["valve-a"].on, "the running irrigation was not cut"
            assert edge.agent.errors == 0
            # Sent while the agent was connected, the retained command came live and ran once. At the next start
            # the broker hands it over again, flagged retained: refused, not run a second time.
            edge.stop()
            acks_before = len(p.acks)
            edge = EdgeThread(s)
            p.wait(lambda: any(a.command_id == "kept" for a in p.acks[acks_before:]), 15, "the retained one answered")
            again = next(a for a in p.acks[acks_before:] if a.command_id == "kept")
            assert (again.outcome, again.reason) == (AckOutcome.REFUSED, Reason.RETAINED_COMMAND)
            # The ids carried out are remembered across the restart: a replay now is still a replay.
            p.send_raw(GH, "fan", replay.to_json())
            p.wait(lambda: sum(a.command_id == "replayed" for a in p.acks) == 3, 15, "the replay answered")
            assert [a for a in p.acks if a.command_id == "replayed"][-1].reason is Reason.DUPLICATE_COMMAND
        finally:
            edge.stop()
