"""``greenhouse rules diff``: changed rules field by field, and the change in behaviour on simulated days."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk.diff import rule_changes
from greenhouse.cli import main
from rules.model import RuleSet

OLD = """\
version: 1
rules:
  - {id: water-a, kind: schedule, cron: "0 6,16 * * *", action: {actuator: valve-a, on_for_s: 360}}
  - {id: dry-b, kind: threshold, metric: {sensors: [soil-b1, soil-b2]}, below: 28, for_s: 300,
     action: {actuator: valve-b, on_for_s: 300}}
  - {id: fan-hot, kind: threshold, metric: {sensors: [air-temp]}, above: 30, for_s: 60,
     action: {actuator: fan, on_for_s: 600}}
"""
# The same rules reformatted and reordered, one schedule time more, one rule gone, one new.
NEW = """\
version: 2
rules:
  - id: dry-b
    kind: threshold
    for_s: 300
    below: 28
    metric: {sensors: [soil-b1, soil-b2]}
    action: {on_for_s: 300, actuator: valve-b}
  - id: water-a
    kind: schedule
    cron: "0 6,11,16 * * *"
    action: {actuator: valve-a, on_for_s: 360}
  - {id: mist, kind: threshold, metric: {sensors: [air-rh]}, below: 50, for_s: 300,
     action: {actuator: mister, on_for_s: 60}}
"""


def _load(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_changes_are_by_rule_and_field_not_by_text(tmp_path: Path) -> None:
    from rules.model import load_rules

    old, new = load_rules(_load(tmp_path, "old.yaml", OLD)), load_rules(_load(tmp_path, "new.yaml", NEW))
    changes = {c.rule: c for c in rule_changes(old, new)}
    assert set(changes) == {"water-a", "fan-hot", "mist"}, "dry-b was only reformatted: no change"
    assert changes["fan-hot"].change == "removed" and changes["mist"].change == "added"
    assert changes["water-a"].fields == {"cron": ("0 6,16 * * *", "0 6,11,16 * * *")}
    assert rule_changes(old, old) == []
    assert rule_changes(RuleSet(version=1), old)[0].change == "added"


def test_the_cli_shows_the_water_the_new_schedule_time_adds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _load(tmp_path, "old.yaml", OLD), _load(tmp_path, "new.yaml", NEW)
    span = ["--days", "1", "--start", "2026-01-15T00:00+07:00", "--lang", "en"]
    assert main(["rules", "diff", str(old), str(new), "--greenhouse", "ca-chua-1", *span]) == 0
    out = capsys.readouterr().out
    assert "  changed water-a\n         cron: '0 6,16 * * *' → '0 6,11,16 * * *'\n" in out
    assert "  removed fan-hot\n" in out and "  added  mist\n" in out
    # One more 6-minute run at 25 L/min.
    assert "  ≠ water zone khu-a                       300.0 L →     450.0 L  (+150.0)" in out
    assert "  ≠ starts valve-a                             2 →         3  (+1)" in out


def test_a_new_file_that_does_not_fit_is_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _load(tmp_path, "old.yaml", OLD)
    new = _load(tmp_path, "new.yaml", NEW.replace("actuator: mister", "actuator: phun-suong"))
    assert main(["rules", "diff", str(old), str(new), "--greenhouse", "ca-chua-1", "--days", "1"]) == 1
    assert "nhà 'ca-chua-1' không có thiết bị 'phun-suong'" in capsys.readouterr().err
