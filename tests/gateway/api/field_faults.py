"""A greenhouse with two bad field devices, as the technician's field-devices page and its endpoint meet it: the
whole stack (Mosquitto, the simulator over real RTU framing, the edge agent, the gateway, its API and web app),
the water node dead on its bus and the first soil probe answering with broken CRCs, waited for until the edge's
counts have reached the gateway."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from firmware_sim.faults import CorruptCrcFault, DeadNodeFault
from gateway.accounts.roles import Role
from tests.support.mosquitto import Mosquitto
from tests.support.phone import Phone, serve_phone

GH = "ca-chua-1"
URL = f"/api/v1/greenhouses/{GH}/field-devices"
DEAD, NOISY = "water", "soil-1"
Users = dict[str, tuple[Role, str, list[str] | None]]


def field_answer(client: httpx.Client) -> dict[str, Any]:
    response = client.get(URL)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def devices_of(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["node"]: d for b in answer["buses"] for d in b["devices"]}


@contextmanager
def faulty_field(tmp: Path, mosquitto: Mosquitto, users: Users, technician: str) -> Iterator[Phone]:
    with serve_phone(tmp, mosquitto, [], users) as phone:
        phone.stack.sim.inject(DeadNodeFault(greenhouse=GH, node=DEAD))
        phone.stack.sim.inject(CorruptCrcFault(greenhouse=GH, node=NOISY))
        client = phone.login(technician)

        def counted() -> bool:
            devices = devices_of(field_answer(client))
            dead, noisy = devices[DEAD]["link"], devices[NOISY]["link"]
            return bool(dead and dead["quarantined"] and noisy and noisy["crc_errors"] >= 3)

        phone.stack.probe.wait(counted, 60, "the edge reports the dead and the noisy device")
        yield phone
