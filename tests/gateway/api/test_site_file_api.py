"""The site file from the set-up page: read, checked at its lines (and against the rules each greenhouse runs),
saved in place of the old one — kept beside it — and only by the cooperative's technicians and admins."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from contract.site_file import load_site
from gateway.accounts.roles import Role
from tests.support.mosquitto import Mosquitto
from tests.support.phone import Phone, serve_phone

GH = "ca-chua-1"
USERS: dict[str, tuple[Role, str, list[str] | None]] = {
    "ky-thuat": (Role.TECHNICIAN, "htx-moc-chau", None),
    "nong-dan": (Role.FARMER, "htx-moc-chau", [GH]),
    "bac-ha": (Role.TECHNICIAN, "htx-bac-ha", None),
}
HOT = {
    "id": "qua-nong",
    "kind": "threshold",
    "metric": {"sensors": ["leaf-temp"]},  # read by this rule only (the heater's interlock reads air-temp)
    "above": 35,
    "for_s": 300,
    "action": {"actuator": "fan", "on_for_s": 600},
}


@pytest.fixture
def phone(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Phone]:
    with serve_phone(tmp_path, mosquitto, [HOT], USERS) as phone:
        yield phone


def _site_path(phone: Phone) -> Path:
    return phone.stack.tmp / "site.yaml"


def _without_sensor(text: str, sensor: str) -> str:
    data = yaml.safe_load(text)
    for node in data["greenhouses"][0]["nodes"]:
        if "sensors" in node:
            node["sensors"] = [s for s in node["sensors"] if s["id"] != sensor]
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def test_a_technician_checks_and_saves_a_safety_limit_and_the_old_file_is_kept(phone: Phone) -> None:
    tech = phone.login("ky-thuat", lang="en")
    now = tech.get("/api/v1/site/file").json()
    old = _site_path(phone).read_text(encoding="utf-8")
    assert (now["yaml"], now["running"], now["writable"]) == (old, True, True)

    wrong = re.sub(r"max_on_s: [\d.]+", "max_on_s: -5", old, count=1)
    check = tech.post("/api/v1/site/file/check", json={"yaml": wrong}).json()
    assert check["ok"] is False
    [problem] = check["problems"]
    assert problem["field"].endswith(".safety.max_on_s")
    assert "max_on_s: -5" in wrong.splitlines()[problem["line"] - 1]
    assert (problem["hint_vi"], problem["hint_en"]) == ("Cần từ 0 trở lên", "Must be 0 or more")
    refused = tech.put("/api/v1/site/file", json={"yaml": wrong, "base_sha256": now["sha256"]}).json()
    assert (refused["saved"], refused["text_en"]) == (False, None)
    assert _site_path(phone).read_text(encoding="utf-8") == old  # nothing written

    shorter = re.sub(r"max_on_s: [\d.]+", "max_on_s: 1200.0", old, count=1)
    saved = tech.put("/api/v1/site/file", json={"yaml": shorter, "base_sha256": now["sha256"]}).json()
    assert saved["saved"] is True
    assert saved["text_en"] == "Saved. The gateway and the greenhouses' controllers run it from their next start."
    assert _site_path(phone).read_text(encoding="utf-8") == shorter
    assert (phone.stack.tmp / "site.yaml.prev").read_text(encoding="utf-8") == old
    first_limited = next(
        a for n in load_site(_site_path(phone)).greenhouses[0].nodes for a in n.actuators if a.safety.max_on_s == 1200
    )
    assert first_limited is not None
    after = tech.get("/api/v1/site/file").json()
    assert (after["yaml"], after["running"]) == (shorter, False)  # saved, not yet running

    stale = tech.put("/api/v1/site/file", json={"yaml": old, "base_sha256": now["sha256"]})
    assert stale.status_code == 409 and "saved by someone else" in stale.json()["detail"]


def test_taking_away_a_sensor_a_running_rule_reads_or_changing_the_cooperative_is_refused(phone: Phone) -> None:
    tech = phone.login("ky-thuat", lang="en")
    phone.stack.probe.wait(lambda: tech.get(f"/api/v1/greenhouses/{GH}/rules").json()["report"] is not None, 20, "")
    old = tech.get("/api/v1/site/file").json()["yaml"]
    check = tech.post("/api/v1/site/file/check", json={"yaml": _without_sensor(old, "leaf-temp")}).json()
    [problem] = check["problems"]
    assert (problem["greenhouse"], problem["rule"], problem["field"]) == (GH, "qua-nong", "greenhouses[0]")
    assert "leaf-temp" in problem["message"] and "no longer fit" in problem["message"]

    moved = old.replace("id: htx-moc-chau", "id: htx-khac", 1)
    [problem] = tech.post("/api/v1/site/file/check", json={"yaml": moved}).json()["problems"]
    assert (problem["field"], problem["line"]) == ("cooperative.id", 3)
    assert problem["hint_vi"] == "Giữ mã hợp tác xã là htx-moc-chau: tài khoản và lịch sử số liệu đi theo mã này"

    broken = tech.post("/api/v1/site/file/check", json={"yaml": "cooperative: [unclosed"}).json()
    assert broken["ok"] is False and "not valid YAML" in broken["problems"][0]["message"]


def test_only_the_cooperatives_technicians_edit_its_site_file(phone: Phone) -> None:
    body = {"yaml": "version: 1\n"}
    farmer = phone.login("nong-dan")
    assert farmer.get("/api/v1/site/file").status_code == 403
    assert farmer.post("/api/v1/site/file/check", json=body).status_code == 403
    other = phone.login("bac-ha")
    assert other.get("/api/v1/site/file").status_code == 404
    assert other.put("/api/v1/site/file", json={**body, "base_sha256": "0" * 64}).status_code == 404
    assert _site_path(phone).read_text(encoding="utf-8").startswith("version: 1\ncooperative:\n")
