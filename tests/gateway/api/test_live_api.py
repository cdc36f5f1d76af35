"""The phone's live endpoints over HTTP, against a real uvicorn, Mosquitto, gateway and edge agent: the picture
now, the event stream, manual commands and alert acknowledgements, each for the roles and cooperatives that may."""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from firmware_sim.physics import InitialConditions
from gateway.accounts.roles import Role
from tests.support.mosquitto import Mosquitto
from tests.support.phone import Phone, serve_phone
from tests.support.sse import Pictures, events

GH = "ca-chua-1"
USERS = {
    "nong-dan": (Role.FARMER, "htx-moc-chau", [GH]),
    "nong-dan-2": (Role.FARMER, "htx-moc-chau", ["ca-chua-2"]),
    "nong-hoc": (Role.AGRONOMIST, "htx-moc-chau", None),
    "bac-ha": (Role.ADMIN, "htx-bac-ha", None),
}


@pytest.fixture
def phone(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Phone]:
    # An alert rule that holds from the first poll (the tank is at 60 %), and drives nothing.
    tank = {"id": "tank-low", "name": "Bể thấp", "kind": "alert", "metric": {"sensors": ["tank-level"]}, "below": 70}
    with serve_phone(tmp_path, mosquitto, [tank], USERS, InitialConditions(tank_level_pct=60)) as phone:
        yield phone


def _greenhouse(client: httpx.Client) -> dict[str, object]:
    response = client.get("/api/v1/live/greenhouses")
    assert response.status_code == 200, response.text
    [gh] = response.json()
    return gh


def _valve_on(client: httpx.Client) -> bool:
    actuators = _greenhouse(client)["actuators"]
    assert isinstance(actuators, list)
    return next(a["on"] for a in actuators if a["actuator"] == "valve-a")


def test_a_farmer_waters_a_zone_from_the_phone_and_the_stream_shows_it(phone: Phone) -> None:
    farmer = phone.login("nong-dan")
    p = phone.stack.probe
    p.wait(lambda: _greenhouse(farmer)["state_ts"] is not None, 20, "the greenhouse's state reaches the gateway")
    with farmer.stream("GET", "/api/v1/live/stream") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        received = events(stream.iter_lines())
        pictures = Pictures()
        assert pictures.take(next(received)) == GH
        answer = farmer.post(
            f"/api/v1/greenhouses/{GH}/commands", json={"actuator": "valve-a", "action": "on", "duration_s": 300}
        )
        assert answer.status_code == 200, answer.text
        assert (answer.json()["outcome"], answer.json()["text_vi"]) == ("accepted", "Đã nhận lệnh của nong-dan")
        # The stream sends the valve open, without the phone asking.
        opened = None
        for event in received:
            actuators = pictures.by_id[pictures.take(event)]["actuators"]
            assert isinstance(actuators, list)
            valve = next(a for a in actuators if isinstance(a, dict) and a["actuator"] == "valve-a")
            if valve["on"]:
                opened = valve
                break
        assert opened is not None and opened["source"] == "override" and opened["until"] is not None
    assert _valve_on(farmer)


def test_a_refusal_comes_back_in_the_phones_language_and_bad_requests_are_named(phone: Phone) -> None:
    farmer = phone.login("nong-dan", lang="en")
    phone.stack.probe.wait(lambda: _greenhouse(farmer)["state_ts"] is not None, 20, "state")
    # The site's interlock: the pump never runs against closed valves.
    pump = {"actuator": "pump", "action": "on", "duration_s": 60}
    refused = farmer.post(f"/api/v1/greenhouses/{GH}/commands", json=pump).json()
    assert (refused["outcome"], refused["reason"]) == ("refused", "interlock_actuator")
    assert refused["text_en"] == "Needs Zone A valve or Zone B valve running first"
    unknown = farmer.post(f"/api/v1/greenhouses/{GH}/commands", json={"actuator": "sprinkler", "action": "on"})
    assert (unknown.status_code, unknown.json()["detail"]) == (422, "No actuator 'sprinkler'")
    absurd = farmer.post(
        f"/api/v1/greenhouses/{GH}/commands", json={"actuator": "valve-a", "action": "on", "duration_s": 10**9}
    )
    assert absurd.status_code == 422 and "duration_s" in absurd.text


def test_the_audit_says_which_farmer_watered(phone: Phone) -> None:
    farmer, agronomist = phone.login("nong-dan"), phone.login("nong-hoc", lang="en")
    phone.stack.probe.wait(lambda: _greenhouse(farmer)["state_ts"] is not None, 20, "state")
    run = {"actuator": "valve-a", "action": "on", "duration_s": 300}
    assert farmer.post(f"/api/v1/greenhouses/{GH}/commands", json=run).json()["outcome"] == "accepted"

    def valve_said() -> object:
        actuators = _greenhouse(farmer)["actuators"]
        return next(a for a in actuators if a["actuator"] == "valve-a")["text_vi"]  # type: ignore[union-attr]

    # Accepted is not yet run: the picture says so once the edge has reported the valve on.
    phone.stack.probe.wait(lambda: valve_said() == "Điều khiển tay: nong-dan", 20, "the manual run shown")

    def who() -> str | None:
        at = phone.stack.clock.now().isoformat()
        answer = agronomist.get(f"/api/v1/greenhouses/{GH}/audit", params={"zone": "khu-a", "at": at})
        return answer.json().get("who") if answer.status_code == 200 else None

    phone.stack.probe.wait(lambda: who() == "nong-dan", 20, "the audit names who watered zone A")


def test_who_may_see_command_and_acknowledge(phone: Phone) -> None:
    other_house, agronomist, other_coop = (phone.login(n) for n in ("nong-dan-2", "nong-hoc", "bac-ha"))
    run = {"actuator": "fan", "action": "on", "duration_s": 60}
    # A farmer of another greenhouse, and another cooperative's admin, see nothing of this one.
    for client in (other_house, other_coop):
        assert client.get("/api/v1/live/greenhouses").json() == []
        assert client.post(f"/api/v1/greenhouses/{GH}/commands", json=run).status_code == 404
        assert client.get(f"/api/v1/greenhouses/{GH}/alerts").status_code == 404
    # An agronomist reads, but neither commands nor acknowledges.
    assert [g["greenhouse"] for g in agronomist.get("/api/v1/live/greenhouses").json()] == [GH]
    assert agronomist.post(f"/api/v1/greenhouses/{GH}/commands", json=run).status_code == 403
    assert agronomist.post(f"/api/v1/greenhouses/{GH}/alerts/x/ack").status_code == 403
    # Without a session, or without the CSRF token, nothing at all.
    anonymous = httpx.Client(base_url=phone.url)
    assert anonymous.get("/api/v1/live/stream").status_code == 401
    farmer = phone.login("nong-dan")
    del farmer.headers["X-CSRF-Token"]
    assert farmer.post(f"/api/v1/greenhouses/{GH}/commands", json=run).status_code == 403


def test_an_alert_is_listed_and_acknowledged_by_name(phone: Phone) -> None:
    farmer = phone.login("nong-dan")

    def listed() -> list[dict[str, object]]:
        return farmer.get(f"/api/v1/greenhouses/{GH}/alerts").json()

    phone.stack.probe.wait(lambda: any(a["source"] == "rule:tank-low" for a in listed()), 20, "the alert listed")
    [alert] = [a for a in listed() if a["source"] == "rule:tank-low"]
    assert (alert["active"], alert["severity"], alert["acked_by"]) == (True, "warning", None)
    # The tank is at about 60 % (the simulated level moves a little with the water drawn).
    assert re.fullmatch(r"Mực nước bể \d+ % — dưới 70 %, từ \d\d:\d\d", str(alert["text_vi"]))
    assert _greenhouse(farmer)["active_alerts"] == 1
    acked = farmer.post(f"/api/v1/greenhouses/{GH}/alerts/{alert['id']}/ack")
    assert acked.status_code == 200, acked.text
    assert acked.json()["acked_by"] == "nong-dan"
    assert [a["acked_by"] for a in listed() if a["id"] == alert["id"]] == ["nong-dan"]
    unknown = farmer.post(f"/api/v1/greenhouses/{GH}/alerts/nope/ack")
    assert unknown.status_code == 404 and unknown.json()["detail"] == "Không có cảnh báo 'nope'"


def test_open_streams_hold_no_worker_thread(phone: Phone) -> None:
    # The server runs in this process: a stream that held a worker thread while it waited for a change would
    # show as one more thread per phone, and past the pool's 40 the other requests would wait.
    farmer = phone.login("nong-dan")
    phone.edge.stop()  # a quiet greenhouse: every stream waits
    farmer.get("/api/v1/live/greenhouses")
    before = threading.active_count()
    with contextlib.ExitStack() as streams:
        for _ in range(30):
            stream = streams.enter_context(farmer.stream("GET", "/api/v1/live/stream"))
            assert next(events(stream.iter_lines())).name == "greenhouse"
        time.sleep(1)
        assert threading.active_count() - before < 5
        answer = farmer.get("/api/v1/live/greenhouses", timeout=5)
        assert answer.status_code == 200 and answer.json()[0]["greenhouse"] == GH
