"""Rule sets published over the real broker: a good set is taken up and kept across a restart while the
broker is down; a bad one is refused with its problems named, and the running set stays."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contract import topics
from contract.messages import RulesOutcome, RulesReport
from greenhouse.cli import main
from greenhouse.runtime_site import write_site
from tests.support.mosquitto import Mosquitto
from tests.support.stack import EdgeThread, one_greenhouse_site, rules_yaml, stack

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
GH = "ca-chua-1"
WATER_A = {
    "id": "water-a",
    "name": "Tưới khu A",
    "kind": "schedule",
    "cron": "0 6 * * *",
    "action": {"actuator": "valve-a", "on_for_s": 300},
}
# Line 9 of this file is the misspelt field of the second rule.
BAD = """\
version: 3
rules:
  - id: water-a
    kind: schedule
    cron: "0 6 * * *"
    action: {actuator: valve-a, on_for_s: 300}
  - id: fan-hot
    kind: threshold
    metric: {sensors: [air-temp]}
    abov: 30
    for_s: 60
    action: {actuator: fan, on_for_s: 600}
"""


def _deploy(site_file: Path, rules: Path, mosquitto: Mosquitto, *extra: str) -> int:
    args = ["rules", "deploy", str(rules), "--site", str(site_file), "--greenhouse", GH]
    return main([*args, "--mqtt-url", mosquitto.url, "--wait", "20", "--by", "kỹ thuật viên", *extra])


def test_published_rule_sets_are_checked_kept_and_reported(
    tmp_path: Path, mosquitto: Mosquitto, capsys: pytest.CaptureFixture[str]
) -> None:
    site = one_greenhouse_site(tmp_path, rules=rules_yaml([]))
    site_file = write_site(site, tmp_path / "site.yaml")
    v2 = tmp_path / "v2.yaml"
    v2.write_text(rules_yaml([WATER_A]).replace("version: 1", "version: 2"), encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD, encoding="utf-8")
    with stack(tmp_path, mosquitto, site, datetime(2026, 1, 15, 5, 0, tzinfo=TZ), speed=60) as s:
        edge = EdgeThread(s)
        p = s.probe
        try:
            p.wait(lambda: p.latest_state(GH) is not None, 30, "the agent is up")
            assert edge.agent.ruleset is not None and edge.agent.ruleset.rules == []

            assert _deploy(site_file, v2, mosquitto) == 0
            assert "ca-chua-1: đang chạy phiên bản 2" in capsys.readouterr().out
            assert edge.agent.ruleset is not None and edge.agent.ruleset.version == 2
            assert [r.id for r in edge.agent.ruleset.rules] == ["water-a"]

            # Changed but still version 2: refused here, before anything is published. The same text again is not.
            shorter = tmp_path / "v2-shorter.yaml"
            shorter.write_text(v2.read_text(encoding="utf-8").replace("300", "240"), encoding="utf-8")
            assert _deploy(site_file, shorter, mosquitto) == 1
            assert "ca-chua-1: version: Tăng phiên bản lên 3: nhà kính đang chạy phiên bản 2" in capsys.readouterr().err
            assert edge.agent.ruleset.rules[0].action.on_for_s == 300
            assert _deploy(site_file, v2, mosquitto) == 0
            assert "phiên bản 2" in capsys.readouterr().out

            # Checked before it is published: nothing goes out.
            assert _deploy(site_file, bad, mosquitto) == 1
            assert "dòng 10, mục abov" in capsys.readouterr().err

            # Published anyway (by another tool): the edge refuses it, names the problem, keeps version 2.
            text = BAD
            from desk.deploy import offer_for  # the same offer the CLI builds
            from rules.model import RuleSet

            offer = offer_for(
                site.cooperative.id, GH, text, RuleSet(version=3), "test", datetime(2026, 1, 15, tzinfo=TZ)
            )
            report_topic = topics.topic(site.cooperative.id, GH, topics.Channel.RULES_STATUS)
            reports: list[RulesReport] = []
            p.client.message_callback_add(
                report_topic, lambda _c, _u, m: reports.append(RulesReport.model_validate_json(m.payload))
            )
            p.client.subscribe(report_topic, qos=1)
            p.client.publish(topics.topic(site.cooperative.id, GH, topics.Channel.RULES), offer.to_json(), 1, True)
            p.wait(lambda: any(r.offered_sha256 == offer.sha256 for r in reports), 20, "the edge answers")
            [refusal] = [r for r in reports if r.offered_sha256 == offer.sha256]
            assert (refusal.outcome, refusal.active_version, refusal.active_source) == (
                RulesOutcome.REFUSED,
                2,
                "published",
            )
            assert any("'fan-hot'" in line and "dòng 10, mục abov" in line for line in refusal.problems_vi)
            assert "Hint: did you mean 'above'?" in "\n".join(refusal.problems_en)
            assert edge.agent.ruleset.version == 2

            # Restarted with the broker down: it runs the last good set from its disk.
            edge.stop()
            mosquitto.stop()
            edge = EdgeThread(s)
            assert edge.agent.ruleset is not None and edge.agent.ruleset.version == 2
            assert edge.agent.rule_updates.active.source == "published"
            mosquitto.start()
        finally:
            edge.stop()
