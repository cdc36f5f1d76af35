"""The benchmark's greenhouse (the example's ca-chua-1 with three more probes: 20 sensors), its 30 rules,
and a season of one-minute polls made on the fly, so that 180 days never sit in memory at once."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from contract.kinds import Quality
from contract.messages import Sample
from contract.site import Greenhouse, SiteConfig
from contract.site_file import load_site
from rules.model import RuleSet
from tests.conftest import EXAMPLE_SITE

GREENHOUSE = "ca-chua-1"
_EXTRA = {"soil-a1": "soil-a3", "soil-b1": "soil-b3", "air-temp": "air-temp-2"}


def bench_site() -> SiteConfig:
    data = load_site(EXAMPLE_SITE).model_dump()
    gh = next(g for g in data["greenhouses"] if g["id"] == GREENHOUSE)
    data["greenhouses"] = [gh]
    for node in list(gh["nodes"]):
        for sensor in list(node["sensors"]):
            if sensor["id"] not in _EXTRA:
                continue
            extra = {**sensor, "id": _EXTRA[sensor["id"]]}
            if sensor["point"] is None:  # a raw register map: one more register on the same device
                extra["input_register"] = max(s["input_register"] for s in node["sensors"]) + 2
                node["sensors"].append(extra)
            else:  # a device profile names each point once: a second device of the same model on its bus
                address = max(n["address"] for n in gh["nodes"] if n["bus"] == node["bus"]) + 1
                gh["nodes"].append({**node, "id": f"{node['id']}-x", "address": address, "sensors": [extra]})
    for zone in gh["zones"]:
        zone["soil_sensors"] += [_EXTRA[s] for s in zone["soil_sensors"] if s in _EXTRA]
    return SiteConfig.model_validate(data)


def bench_rules() -> RuleSet:
    """30 rules of the kinds a tomato house runs: soil thresholds per zone, fan and mister thresholds on
    the climate, watering schedules with skip conditions."""
    rules: list[dict[str, Any]] = []
    for zone, probes in (("a", ["soil-a1", "soil-a2", "soil-a3"]), ("b", ["soil-b1", "soil-b2", "soil-b3"])):
        for i, below in enumerate((24, 26, 28, 30, 32)):
            rules.append(
                {
                    "id": f"dry-{zone}-{i}",
                    "kind": "threshold",
                    "priority": 50 + i,
                    "metric": {"sensors": probes, "aggregate": ["mean", "min"][i % 2]},
                    "below": below,
                    "hysteresis": 2,
                    "for_s": 300,
                    "action": {"actuator": f"valve-{zone}", "on_for_s": 300},
                }
            )
        for hour in (6, 10, 14, 17):
            rules.append(
                {
                    "id": f"water-{zone}-{hour}",
                    "kind": "schedule",
                    "priority": 40,
                    "cron": f"0 {hour} * * *",
                    "action": {"actuator": f"valve-{zone}", "on_for_s": 240},
                    "skip_if": [
                        {"metric": {"sensors": probes}, "above": 36},
                        {"metric": {"sensors": ["rain"]}, "above": 2},
                    ],
                }
            )
    for i, above in enumerate((26, 28, 30)):
        rules.append(
            {
                "id": f"hot-{i}",
                "kind": "threshold",
                "priority": 60 + i,
                "metric": {"sensors": ["air-temp", "air-temp-2"], "aggregate": "max"},
                "above": above,
                "hysteresis": 1,
                "for_s": 120,
                "action": {"actuator": "fan", "on_for_s": 600},
            }
        )
    for i, below in enumerate((55, 60, 65)):
        rules.append(
            {
                "id": f"dry-air-{i}",
                "kind": "threshold",
                "metric": {"sensors": ["air-rh"]},
                "below": below,
                "for_s": 300,
                "action": {"actuator": "mister", "on_for_s": 60},
            }
        )
    for i, below in enumerate((8, 10, 12)):
        rules.append(
            {
                "id": f"cold-{i}",
                "kind": "threshold",
                "priority": 70 + i,
                "metric": {"sensors": ["air-temp", "air-temp-2"], "aggregate": "min"},
                "below": below,
                "hysteresis": 1,
                "for_s": 300,
                "action": {"actuator": "heater", "on_for_s": 1800},
            }
        )
    for minute in (0, 20, 40):
        rules.append(
            {
                "id": f"air-out-{minute}",
                "kind": "schedule",
                "cron": f"{minute} 11-14 * * *",
                "action": {"actuator": "fan", "on_for_s": 300},
                "skip_if": [{"metric": {"sensors": ["out-temp"]}, "below": 12}],
            }
        )
    return RuleSet.model_validate({"version": 1, "rules": rules})


def polls(gh: Greenhouse, start: datetime, days: float, seed: int = 3) -> Iterator[list[Sample]]:
    """The season's polls as the replay takes them: plain samples, made at the source as the history reader makes
    them (a diurnal climate, soil drying and wetting, rain every fifth afternoon)."""
    rnd = random.Random(seed)
    gauss = rnd.gauss
    # A Sample made as the tuple it is: its generated ``__new__`` is a Python call per reading, 20 a poll.
    make = tuple.__new__
    sensors = [(s.id, s.kind, *_SHAPES.get(s.kind.value, (_OTHER, 0.0, False))) for s in gh.sensors.values()]
    good = Quality.GOOD
    for minute in range(int(days * 1440)):
        ts = start + timedelta(minutes=minute)
        t_h, day = (minute % 1440) / 60, minute // 1440
        # What the sensors of a shape share at this minute, once per poll; each sensor's noise is its own.
        diurnal = math.sin((t_h - 8) / 24 * 2 * math.pi)
        shared = (
            22 + 14 * abs(math.sin((t_h + day * 24) / 30)),  # soil water
            18 + 9 * diurnal,  # temperatures
            75 - 20 * diurnal,  # humidities
            max(0.0, 900 * diurnal),  # light
            4.0 if day % 5 == 0 and 13 <= t_h < 17 else 0.0,  # rain
            70.0,  # tank
            10.0,  # anything else
        )
        poll = []
        for sid, kind, shape, noise, saturates in sensors:
            value = shared[shape] + gauss(0, noise) if noise else shared[shape]
            poll.append(make(Sample, (sid, kind, min(100.0, value) if saturates else value, ts, good)))
        yield poll


# A kind's shape: which of a poll's shared values it follows, the σ of its noise (0: none), whether it stops at 100.
_SOIL, _TEMP, _RH, _LIGHT, _RAIN, _TANK, _OTHER = range(7)
_SHAPES: dict[str, tuple[int, float, bool]] = {
    "soil_vwc_pct": (_SOIL, 0.2, False),
    **dict.fromkeys(("air_temp_c", "leaf_temp_c", "soil_temp_c", "outdoor_temp_c"), (_TEMP, 0.3, False)),
    **dict.fromkeys(("air_rh_pct", "outdoor_rh_pct"), (_RH, 2.0, True)),
    **dict.fromkeys(("par_umol_m2_s", "solar_w_m2"), (_LIGHT, 0.0, False)),
    "rain_mm_h": (_RAIN, 0.0, False),
    "tank_level_pct": (_TANK, 0.0, False),
}
