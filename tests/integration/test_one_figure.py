"""One figure, one meaning, through the real edge cycle (simulated field devices, a real Mosquitto): the tank level the
phone's tile shows is the value the pump's interlock judged and the value the refusal names, at the boundary too."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contract.kinds import SensorKind
from contract.messages import AckOutcome
from contract.reasons import Reason, render
from contract.wording import number
from firmware_sim.physics import InitialConditions
from tests.support.mosquitto import Mosquitto
from tests.support.stack import EdgeThread, one_greenhouse_site, rules_yaml, stack

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
GH = "ca-chua-1"
MIN_PCT = 15  # the example pump's interlock: tank-level min 15


@pytest.mark.parametrize("tank_pct", [14.96, 15.04, 14.4])
def test_the_tile_the_interlock_and_the_refusal_agree_at_the_boundary(
    tmp_path: Path, mosquitto: Mosquitto, tank_pct: float
) -> None:
    site = one_greenhouse_site(tmp_path, rules=rules_yaml([]))
    gh = site.greenhouse(GH)
    initial = InitialConditions(tank_level_pct=tank_pct)
    with stack(tmp_path, mosquitto, site, datetime(2026, 3, 10, 9, 0, tzinfo=TZ), speed=30, initial=initial) as s:
        edge = EdgeThread(s)
        p = s.probe
        try:

            def tank_readings() -> list[float]:
                return [r.value for b in p.batches for r in b.readings if r.sensor == "tank-level" and r.value]

            p.wait(lambda: tank_readings() != [], 20, "a tank-level reading")
            ack = p.command(GH, "valve-a", s.clock.now(), duration_s=600)
            tile = tank_readings()[-1]  # what the phone shows: the edge's telemetry, as sent
        finally:
            edge.stop()

    digits = SensorKind.TANK_LEVEL_PCT.digits
    assert tile == round(tile, digits), "the edge sends the figure as it is shown"
    shown = f"{number(tile, digits, 'vi')} %"
    if tile < MIN_PCT:
        assert (ack.outcome, ack.reason) == (AckOutcome.REFUSED, Reason.INTERLOCK_SENSOR)
        said_vi = render(ack.reason, ack.reason_params, "vi", gh)
        assert said_vi == f"Mực nước bể đang {shown}, dưới ngưỡng an toàn 15 % — không chạy được"
        assert float(ack.reason_params["value"]) == tile
    else:
        # A tank the tile shows at 15 % is not refused as below 15.
        assert ack.outcome is AckOutcome.ACCEPTED, render(ack.reason, ack.reason_params, "en", gh)
    if tank_pct != 14.4:
        assert shown == "15 %"
