"""Hostile MQTT input of every family (tests/hostile/families.py) against the gateway and an edge agent, with
good traffic in between (tests/hostile/rig.py). The broker is a real Mosquitto process; the gateway, its live
side and the edge agent run in this process, so that each refusal can be counted where it happens."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.hostile.families import FAMILIES, Hostile, examples, oversized
from tests.hostile.rig import Delivery, Rig, RssSampler


@dataclass
class HostileFigures:
    tried: Counter[str] = field(default_factory=Counter)  # inputs per family
    refused: Counter[str] = field(default_factory=Counter)  # refused with a reason by every consumer they reached
    delivered: Counter[str] = field(default_factory=Counter)  # reached at least one consumer
    problems: list[str] = field(default_factory=list)  # what went wrong in a batch, in words
    dead: set[str] = field(default_factory=set)
    delivery: Delivery | None = None
    rss_growth_mib: float = 0.0
    sent_mib: float = 0.0


def run_hostile(workdir: Path, per_family: int, batch: int, flood_mib: int) -> HostileFigures:
    """``flood_mib``: besides, that much in messages of 2 MiB, over every consumer's limit (for memory)."""
    figures = HostileFigures()
    rig = Rig(workdir)
    try:
        items: list[Hostile] = [h for family in FAMILIES.values() for h in examples(family(rig.place), per_family)]
        items += oversized(rig.place, flood_mib // 2, 2 << 20)
        random.Random(11).shuffle(items)  # interleave the families, the same way at every run
        with RssSampler() as rss:
            for start in range(0, len(items), batch):
                r = rig.run(items[start : start + batch])
                for h, reached in zip(r.items, r.reached, strict=True):
                    figures.tried[h.family] += 1
                    figures.delivered[h.family] += bool(reached)
                figures.refused.update(r.accounted())
                figures.problems += r.problems()
                figures.dead |= r.dead()
        figures.rss_growth_mib = rss.growth_mib
        figures.sent_mib = sum(len(h.payload) for h in items) / (1 << 20)
        figures.delivery = rig.delivery()
    finally:
        rig.close()
    return figures
