"""GET /api/v1/greenhouses/{id}/field-devices: each bus of a greenhouse as the site wires it, each device on it by
its profile's name with what it reads and drives, and how it answers as its edge counts — for technicians and
admins only. The counts come from a real edge agent polling the simulator over real RTU framing, with one device
dead on its bus and another answering with broken CRCs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.accounts.roles import Role
from tests.gateway.api.conftest import Api, serve
from tests.gateway.api.field_faults import DEAD, NOISY, URL, devices_of, faulty_field, field_answer
from tests.support.mosquitto import Mosquitto
from tests.support.phone import Phone

TECHNICIAN = "ky-thuat"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One gateway for the module's two tests of it: they only sign in and read."""
    yield from serve(tmp_path_factory.mktemp("field-api"))


def test_only_technicians_and_admins_of_the_cooperative_see_the_field_devices(api: Api) -> None:
    for name in (TECHNICIAN, "quan-tri"):
        assert api.login(name).get(URL).status_code == 200, name
    for name in ("nong-dan", "nong-hoc"):  # node ids and wiring are not a farmer's nor an agronomist's
        response = api.login(name).get(URL)
        assert response.status_code == 403, (name, response.text)
    assert api.login("bac-ha-ky-thuat").get(URL).status_code == 404  # another cooperative's greenhouse
    assert api.anonymous().get(URL).status_code == 401


def test_each_bus_lists_its_devices_by_profile_name_with_what_they_read_and_drive(api: Api) -> None:
    answer = field_answer(api.login(TECHNICIAN))
    assert answer["availability"] is None  # no edge has spoken yet
    buses = {b["bus"]["id"]: b for b in answer["buses"]}
    assert buses["cam-bien"]["bus"] == {
        "protocol": "rtu_serial",
        "id": "cam-bien",
        "port": "/dev/ttyUSB0",
        "baud": 9600,
        "parity": "N",
        "stop_bits": 1,
        "timeout_s": 0.5,
    }
    assert (buses["role"]["bus"]["protocol"], buses["role"]["bus"]["host"]) == ("rtu_over_tcp", "192.168.1.50")
    assert [d["address"] for d in buses["cam-bien"]["devices"]] == [1, 2, 3, 4, 45]  # in address order
    climate = devices_of(answer)["climate"]
    assert climate["profile_name"] == "Cảm biến nhiệt độ và độ ẩm không khí XY-MD02 (SHT20/SHT40)"
    in_english = devices_of(field_answer(api.login(TECHNICIAN, "en")))["climate"]["profile_name"]
    assert in_english == "XY-MD02 air temperature and humidity (SHT20/SHT40)"
    assert [(s["id"], s["name"], s["kind"]) for s in climate["sensors"]] == [
        ("air-temp", "Nhiệt độ", "air_temp_c"),
        ("air-rh", "Độ ẩm", "air_rh_pct"),
    ]
    assert (climate["link"], climate["problems"], climate["in_site"]) == (None, [], True)
    relays = devices_of(answer)["relays"]
    assert relays["profile_name"].startswith("Bo rơ-le 16 kênh Eletechsup R4D3B16")
    assert "side-curtain" in [a["id"] for a in relays["actuators"]]
    assert devices_of(answer)["canopy"]["profile_name"] is None  # registers given in the site file
    assert answer["unknown"] == []


@pytest.fixture
def field(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Phone]:
    with faulty_field(tmp_path, mosquitto, {TECHNICIAN: (Role.TECHNICIAN, "htx-moc-chau", None)}, TECHNICIAN) as p:
        yield p


def test_a_dead_device_is_quarantined_and_a_noisy_one_shows_its_crc_errors(field: Phone) -> None:
    answer = field_answer(field.login(TECHNICIAN))
    assert answer["availability"] == "online"
    devices = devices_of(answer)
    water, soil, climate = devices[DEAD], devices[NOISY], devices["climate"]
    assert water["problems"] == ["quarantined", "timeouts"]
    link = water["link"]  # it may have answered a first poll before the fault began
    assert link["timeouts"] >= 2 and water["answer_pct"] == pytest.approx(100 * link["answers"] / link["requests"])
    assert "crc_errors" in soil["problems"]
    assert soil["link"]["bus"] == "dat"
    # The rest of the bus carries on: the XY-MD02 beside the dead device answers every request.
    assert climate["problems"] == [] and climate["answer_pct"] == 100
