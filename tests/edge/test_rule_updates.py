"""An edge judging a rule-set offer that arrives over the broker: a hostile text is refused with its reason,
and the set the greenhouse runs stays."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from contract.messages import RuleSetOffer, RulesOutcome, text_sha256
from contract.site_file import load_site
from edge.rule_updates import RuleUpdates
from rules.model import load_rules
from tests.conftest import EXAMPLE_SITE
from tests.support.hostile_yaml import DEEP, LAUGHS

SITE = load_site(EXAMPLE_SITE)
GH = SITE.greenhouses[0]
NOW = datetime(2026, 1, 15, 6, 0, tzinfo=UTC)


def _offer(text: str) -> bytes:
    return RuleSetOffer(
        site=SITE.cooperative.id,
        greenhouse=GH.id,
        version=9,
        sha256=text_sha256(text),
        rules_yaml=text,
        published_at=NOW,
        published_by="ai-do",
    ).to_json()


def test_an_offer_of_billions_of_aliases_or_deep_nesting_is_refused_and_the_running_set_stays(
    tmp_path: Path,
) -> None:
    assert GH.rules_file is not None
    running = load_rules(GH.rules_file)
    updates = RuleUpdates(SITE.cooperative.id, GH, tmp_path, running)
    for text, why in ((LAUGHS, "too large once its aliases"), (DEEP, "nested too deeply")):
        report = updates.offer(_offer(text), NOW)
        assert report.outcome is RulesOutcome.REFUSED
        assert any(why in p for p in report.problems_en), report.problems_en
        assert (updates.active.ruleset, updates.active.source) == (running, "file")
        assert (report.active_version, report.active_source) == (running.version, "file")


def test_an_offer_that_does_not_fit_the_greenhouse_is_refused_in_vietnamese_and_english(tmp_path: Path) -> None:
    # The rain gauge cannot sum solar radiation: the rule's own site check refuses it.
    text = """\
version: 9
rules:
  - id: radiation
    kind: radiation
    priority: 45
    metric: {sensors: [rain]}
    radiation_j_cm2: 180
    min_interval_s: 1800
    action: {actuator: valve-a, on_for_s: 180}
"""
    report = RuleUpdates(SITE.cooperative.id, GH, tmp_path, None).offer(_offer(text), NOW)
    assert report.outcome is RulesOutcome.REFUSED
    assert report.problems_en == [
        "rule 'radiation': 'rain' is a rain_mm_h sensor: a radiation sum needs solar_w_m2 sensors"
    ]
    assert report.problems_vi == [
        "luật 'radiation': 'rain' là cảm biến rain_mm_h: việc cộng dồn bức xạ cần cảm biến solar_w_m2"
    ]
