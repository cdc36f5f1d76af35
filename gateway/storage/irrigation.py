"""Water per zone: each valve run, from the edge's actuation events, as its open time and the litres its
nominal flow lets through, stored when the valve closes.

InfluxQL cannot turn on/off events into durations, so the gateway does: the irrigation dashboard sums these
points per zone and day. A run whose opening the gateway did not see (it restarted in between) is not counted.
"""

from __future__ import annotations

from datetime import datetime

from contract.messages import Event, EventKind
from contract.site import SiteConfig
from gateway.storage.model import Point

IRRIGATION = "irrigation"


class IrrigationTally:
    def __init__(self, site: SiteConfig) -> None:
        # (greenhouse, valve) → (zone, nominal l/min)
        self._valves = {
            (g.id, z.valve): (z.id, g.actuators[z.valve].flow_l_min) for g in site.greenhouses for z in g.zones
        }
        self._opened: dict[tuple[str, str], datetime] = {}

    def __call__(self, event: Event) -> list[Point]:
        key = (event.greenhouse, event.actuator or "")
        if event.kind is not EventKind.ACTUATION or key not in self._valves:
            return []
        if event.action == "on":
            self._opened.setdefault(key, event.ts)  # a repeated "on" does not restart the run
            return []
        opened = self._opened.pop(key, None)
        if event.action != "off" or opened is None:
            return []
        zone, flow_l_min = self._valves[key]
        open_s = (event.ts - opened).total_seconds()
        fields: dict[str, float | int | bool | str] = {"open_s": open_s}
        if flow_l_min is not None:
            fields["water_l"] = open_s / 60 * flow_l_min
        tags = {"site": event.site, "greenhouse": event.greenhouse, "zone": zone, "valve": key[1]}
        return [Point(measurement=IRRIGATION, tags=tags, fields=fields, ts=event.ts)]
