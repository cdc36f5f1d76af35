"""A simulated January day of the demo's tomato house, as the farmer's phone would judge it: the shipped rules
drive the house through the edge's own control cycle (``desk.simulate``), what the edge would publish is
fed to the gateway's registry, and the picture the phone is sent — with its verdict — is built every ten minutes.

The house is kept in band by its own rules, so the phone says "all is well" for most of the day; when it does
not, it says why, in words, and never in a code."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import yaml

from contract.messages import Availability, Reading, StateSnapshot, Status, TelemetryBatch
from contract.site_file import load_site
from desk.simulate import simulate
from edge.control import Controller
from gateway.live.models import GreenhouseNow, VerdictLevel
from gateway.live.now import greenhouse_now
from gateway.live.registry import Registry
from rules.model import RuleSet, load_rules
from tests.conftest import EXAMPLE_SITE

SITE = load_site(EXAMPLE_SITE)
GH = SITE.greenhouse("ca-chua-1")
# The demo's start and weather (greenhouse/demo/runner.py, greenhouse demo --seed).
DEMO_START = datetime(2026, 1, 15, 5, 45, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
DEMO_SEED = 7
TOMATO = EXAMPLE_SITE.parent / "rules" / "tomato.yaml"


def _a_day_of_pictures(ruleset: RuleSet) -> list[GreenhouseNow]:
    registry = Registry(SITE)
    numbers = itertools.count(1)
    pictures: list[GreenhouseNow] = []
    coop = SITE.cooperative.id

    def watch(now: datetime, latest: dict[str, Reading], controller: Controller) -> None:
        # What the edge agent publishes after each poll: it is online, its readings, its actuators' states.
        registry.apply(Status(site=coop, greenhouse=GH.id, state=Availability.ONLINE, ts=now), now)
        batch = TelemetryBatch(site=coop, greenhouse=GH.id, seq=next(numbers), sent_at=now, readings=[*latest.values()])
        registry.apply(batch, now)
        registry.apply(StateSnapshot(site=coop, greenhouse=GH.id, ts=now, actuators=controller.states(set())), now)
        if now.minute % 10 == 0 and now.second < GH.poll_interval_s:
            state_ts, states = registry.actuators(GH.id)
            health = registry.house_health(GH.id, now)
            pictures.append(greenhouse_now(GH, SITE.cooperative, health, state_ts, states, [], now))

    simulate(SITE, GH.id, ruleset, DEMO_START, 1, seed=DEMO_SEED, watch=watch)
    return pictures


def test_the_demo_tomato_house_reads_all_is_well_for_most_of_a_january_day() -> None:
    pictures = _a_day_of_pictures(load_rules(TOMATO))
    assert len(pictures) >= 140  # every ten minutes of the day
    levels = Counter(p.verdict.level for p in pictures)
    assert levels[VerdictLevel.OK] > 0.6 * len(pictures), levels
    assert levels[VerdictLevel.DANGER] == 0, [p.verdict for p in pictures if p.verdict.level is VerdictLevel.DANGER]
    for picture in pictures:
        if picture.verdict.level is VerdictLevel.OK:
            assert picture.verdict.reasons == []
        for reason in picture.verdict.reasons:
            # In words, with the site's names: no ids, no formulas.
            for text in (reason.text_vi, reason.text_en):
                assert not re.search(r"air-temp|soil-a1|tank-level|[<>=]", text), text


def test_without_its_climate_rules_the_same_house_is_not_all_right() -> None:
    """The verdict is earned by the rules: the same day with irrigation and alerts only reads cold."""
    data = yaml.safe_load(TOMATO.read_text(encoding="utf-8"))
    data["rules"] = [r for r in data["rules"] if r["kind"] not in {"climate", "vpd", "frost"}]
    pictures = _a_day_of_pictures(RuleSet.model_validate(data))
    levels = Counter(p.verdict.level for p in pictures)
    assert levels[VerdictLevel.OK] < 0.4 * len(pictures), levels
    assert any(r.text_en.startswith("Cold") for p in pictures for r in p.verdict.reasons)
