"""The technician's rule desk over HTTP, against a real gateway, Mosquitto and edge agent: the rule set the
greenhouse runs, a rule file checked at its fields, simulated, backtested on stored history and deployed, with
the edge's answer; and who may do which."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from gateway.accounts.roles import Role
from tests.support.mosquitto import Mosquitto
from tests.support.phone import START, Phone, serve_phone

GH = "ca-chua-1"
USERS = {
    "ky-thuat": (Role.TECHNICIAN, "htx-moc-chau", None),
    "nong-dan": (Role.FARMER, "htx-moc-chau", [GH]),
    "bac-ha": (Role.TECHNICIAN, "htx-bac-ha", None),
}
WATER = {
    "id": "water-khu-a",
    "kind": "schedule",
    "cron": "0 6 * * *",
    "action": {"actuator": "valve-a", "on_for_s": 300},
}
V2 = yaml.safe_dump({"version": 2, "rules": [WATER]}, sort_keys=False)
BAD = """\
version: 2
rules:
  - id: water-khu-a
    kind: schedule
    cron: "0 6 * * *"
    action: {actuator: valve-a, on_for_s: -5}
"""


@pytest.fixture
def phone(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Phone]:
    with serve_phone(tmp_path, mosquitto, [], USERS) as phone:
        yield phone


def _rules(phone: Phone) -> str:
    return f"/api/v1/greenhouses/{GH}/rules"


def test_a_rule_file_is_checked_at_its_fields_and_against_the_greenhouse(phone: Phone) -> None:
    tech = phone.login("ky-thuat", lang="en")
    bad = tech.post(f"{_rules(phone)}/check", json={"yaml": BAD}).json()
    assert bad["ok"] is False
    [problem] = bad["problems"]
    assert (problem["rule_id"], problem["rule_index"], problem["line"], problem["field"]) == (
        "water-khu-a",
        0,
        6,
        "action.on_for_s",
    )
    assert problem["message"] == "must be greater than 0 (got -5)"
    assert problem["hint_vi"] == "tính bằng giây: 300 = 5 phút, 3600 = 1 giờ"
    elsewhere = V2.replace("valve-a", "valve-z")
    [misfit] = tech.post(f"{_rules(phone)}/check", json={"yaml": elsewhere}).json()["problems"]
    assert (misfit["rule_id"], misfit["field"]) == ("water-khu-a", "(rule)")
    assert misfit["message"] == "ca-chua-1: actuator 'valve-z' is not in greenhouse 'ca-chua-1'"
    good = tech.post(f"{_rules(phone)}/check", json={"yaml": V2}).json()
    assert (good["ok"], good["version"], good["kinds"], good["problems"]) == (True, 2, {"schedule": 1}, [])
    assert tech.post(f"{_rules(phone)}/check", json={"yaml": 5}).status_code == 422


def test_a_rule_file_is_simulated_and_backtested_from_the_page(phone: Phone) -> None:
    tech = phone.login("ky-thuat")
    start = START.isoformat()
    simulated = tech.post(f"{_rules(phone)}/simulate", json={"yaml": V2, "days": 1, "start": start}).json()
    water = {z["zone"]: z for z in simulated["report"]["zones"]}
    # 06:00, 300 s at the valve's 25 l/min, the day after the 09:00 start: one run of 125 litres.
    assert (water["khu-a"]["valve_starts"], round(water["khu-a"]["water_l"])) == (1, 125)
    refused = tech.post(f"{_rules(phone)}/simulate", json={"yaml": BAD, "days": 1}).json()
    assert refused["report"] is None and refused["check"]["ok"] is False
    too_long = tech.post(f"{_rules(phone)}/simulate", json={"yaml": V2, "days": 30})
    assert too_long.status_code == 422 and "days" in too_long.text
    # Stored history is there to replay once the gateway has written some polls.
    p = phone.stack.probe
    p.wait(lambda: len(p.unique_seqs(GH)) >= 6, 30, "polls stored")
    end = phone.stack.clock.now()
    range_ = {"yaml": V2, "start": start, "end": end.isoformat()}
    report = tech.post(f"{_rules(phone)}/backtest", json=range_).json()["report"]
    assert report["polls"] >= 3 and report["greenhouse"] == GH
    wrong = tech.post(f"{_rules(phone)}/backtest", json={**range_, "end": (START + timedelta(days=60)).isoformat()})
    assert wrong.status_code == 422 and "at most 31 days" in wrong.text


def test_a_rule_set_is_deployed_and_the_edge_says_it_runs_it(phone: Phone) -> None:
    tech = phone.login("ky-thuat", lang="en")
    p = phone.stack.probe
    p.wait(lambda: tech.get(_rules(phone)).json()["report"] is not None, 20, "the edge's rules report")
    before = tech.get(_rules(phone)).json()
    assert (before["yaml_source"], before["report"]["active_source"]) == ("file", "file")
    refused = tech.post(f"{_rules(phone)}/deploy", json={"yaml": BAD}).json()
    assert (refused["published"], refused["report"]) == (False, None)
    done = tech.post(f"{_rules(phone)}/deploy", json={"yaml": V2}).json()
    assert done["published"] is True
    assert (done["report"]["outcome"], done["report"]["active_version"]) == ("accepted", 2)
    assert done["text_en"] == ["ca-chua-1: now running version 2"]
    p.wait(lambda: tech.get(_rules(phone)).json()["yaml_source"] == "published", 10, "the page shows the new set")
    assert tech.get(_rules(phone)).json()["yaml"] == V2


def test_a_changed_rule_set_needs_a_higher_version_than_the_one_running(phone: Phone) -> None:
    tech = phone.login("ky-thuat", lang="en")
    phone.stack.probe.wait(lambda: tech.get(_rules(phone)).json()["report"] is not None, 20, "the edge's report")
    from_file = tech.get(_rules(phone)).json()["yaml"]  # run from its file: the report has no sha256 for it
    assert tech.post(f"{_rules(phone)}/check", json={"yaml": from_file}).json()["ok"] is True
    assert tech.post(f"{_rules(phone)}/deploy", json={"yaml": V2}).json()["report"]["active_version"] == 2
    changed = V2.replace("300", "240")  # a shorter run, version left at 2
    check = tech.post(f"{_rules(phone)}/check", json={"yaml": changed}).json()
    assert check["ok"] is False
    [problem] = check["problems"]
    assert (problem["field"], problem["line"], problem["rule_index"]) == ("version", 1, None)
    assert problem["hint_vi"] == "Tăng phiên bản lên 3: nhà kính đang chạy phiên bản 2"
    refused = tech.post(f"{_rules(phone)}/deploy", json={"yaml": changed}).json()
    assert (refused["published"], refused["check"]["problems"][0]["field"]) == (False, "version")
    again = tech.post(f"{_rules(phone)}/deploy", json={"yaml": V2}).json()  # the very same text: no new version
    assert again["published"] is True and again["report"]["active_version"] == 2
    raised = tech.post(f"{_rules(phone)}/deploy", json={"yaml": changed.replace("version: 2", "version: 3")}).json()
    assert raised["report"]["outcome"] == "accepted" and raised["report"]["active_version"] == 3


def test_farmers_and_other_cooperatives_do_not_touch_the_rules(phone: Phone) -> None:
    farmer, other = phone.login("nong-dan"), phone.login("bac-ha")
    assert farmer.get(_rules(phone)).status_code == 200  # a farmer may see which rules run
    body = {"yaml": V2, "days": 1, "start": START.isoformat(), "end": (START + timedelta(hours=1)).isoformat()}
    for path in ("check", "simulate", "backtest", "deploy"):
        assert farmer.post(f"{_rules(phone)}/{path}", json=body).status_code == 403
        assert other.post(f"{_rules(phone)}/{path}", json=body).status_code == 404
    assert other.get(_rules(phone)).status_code == 404
