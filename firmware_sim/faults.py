"""Field faults the simulator can inject: what technicians meet on real RS485 sensor buses.

A fault targets one sensor (or one node) of one greenhouse, from ``start_s`` simulated seconds
after the simulator started, for ``duration_s`` (None: until cleared). Plans are YAML::

    faults:
      - {kind: stuck, greenhouse: ca-chua-1, sensor: soil-a1, start_s: 3600, duration_s: 7200}
      - {kind: spike, greenhouse: ca-chua-1, sensor: air-temp, probability: 0.05, offset: 50}
      - {kind: dropout, greenhouse: ca-chua-2, sensor: par, start_s: 600}
      - {kind: node_offline, greenhouse: rau-la-1, node: relays, start_s: 1800, duration_s: 900}
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from contract.config_file import load_model
from contract.messages import Id
from contract.site import SiteConfig


class _Fault(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    greenhouse: Id
    start_s: float = Field(default=0.0, ge=0)
    duration_s: float | None = Field(default=None, gt=0)

    def active(self, elapsed_s: float) -> bool:
        return self.start_s <= elapsed_s and (self.duration_s is None or elapsed_s < self.start_s + self.duration_s)


class StuckFault(_Fault):
    """The sensor keeps reporting the value it had when the fault began."""

    kind: Literal["stuck"] = "stuck"
    sensor: Id


class SpikeFault(_Fault):
    """Each read returns value × factor + offset with this probability (1: every read while active)."""

    kind: Literal["spike"] = "spike"
    sensor: Id
    probability: float = Field(default=1.0, gt=0, le=1)
    factor: float = 1.0
    offset: float = 50.0


class DropoutFault(_Fault):
    """The sensor answers NaN: the node is fine, the probe is not."""

    kind: Literal["dropout"] = "dropout"
    sensor: Id


class NodeOfflineFault(_Fault):
    """The whole node stops answering (power, RS485 wiring); the gateway reports it as not responding."""

    kind: Literal["node_offline"] = "node_offline"
    node: Id


Fault = Annotated[StuckFault | SpikeFault | DropoutFault | NodeOfflineFault, Field(discriminator="kind")]
SensorFault = StuckFault | SpikeFault | DropoutFault


class FaultPlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    faults: list[Fault] = []

    def check(self, site: SiteConfig) -> None:
        """Raise ValueError naming every fault whose greenhouse, sensor or node is not in the site."""
        problems = [p for i, f in enumerate(self.faults) if (p := _problem(site, f, i))]
        if problems:
            raise ValueError("; ".join(problems))


def _problem(site: SiteConfig, fault: Fault, index: int) -> str | None:
    try:
        gh = site.greenhouse(fault.greenhouse)
    except KeyError as exc:
        return f"faults[{index}]: {exc.args[0]}"
    if isinstance(fault, NodeOfflineFault):
        if all(n.id != fault.node for n in gh.nodes):
            return f"faults[{index}]: greenhouse {gh.id!r} has no node {fault.node!r}"
    elif fault.sensor not in gh.sensors:
        return f"faults[{index}]: greenhouse {gh.id!r} has no sensor {fault.sensor!r}"
    return None


def load_fault_plan(path: Path) -> FaultPlan:
    """Parse a fault plan; errors name file, line and field (contract.config_file.ConfigError)."""
    return load_model(path, FaultPlan)


class FaultInjector:
    """The faults in force on a running simulator, applied to node answers and sensor values."""

    def __init__(self, plan: FaultPlan, seed: int) -> None:
        self.faults: list[Fault] = list(plan.faults)
        self._rng = random.Random(f"{seed}/faults")
        # Value each stuck fault froze at, by its position in self.faults.
        self._frozen: dict[int, float] = {}

    def add(self, fault: Fault) -> None:
        self.faults.append(fault)

    def clear(self, greenhouse_id: str | None = None) -> None:
        kept = [(i, f) for i, f in enumerate(self.faults) if greenhouse_id not in (None, f.greenhouse)]
        self._frozen = {new: self._frozen[old] for new, (old, _) in enumerate(kept) if old in self._frozen}
        self.faults = [f for _, f in kept]

    def node_offline(self, greenhouse_id: str, node_id: str, elapsed_s: float) -> bool:
        return any(
            isinstance(f, NodeOfflineFault)
            and (f.greenhouse, f.node) == (greenhouse_id, node_id)
            and f.active(elapsed_s)
            for f in self.faults
        )

    def freeze(self, greenhouse_id: str, readings: dict[str, float], elapsed_s: float) -> None:
        """Catch the value of stuck sensors at the moment their fault begins (called after each physics step)."""
        for i, f in enumerate(self.faults):
            if (
                isinstance(f, StuckFault)
                and f.greenhouse == greenhouse_id
                and i not in self._frozen
                and f.active(elapsed_s)
            ):
                self._frozen[i] = readings[f.sensor]

    def sensor_value(self, greenhouse_id: str, sensor_id: str, value: float, elapsed_s: float) -> float:
        """What the probe reports, given the true reading ``value``."""
        for i, f in enumerate(self.faults):
            if isinstance(f, NodeOfflineFault) or f.greenhouse != greenhouse_id or f.sensor != sensor_id:
                continue
            if not f.active(elapsed_s):
                continue
            if isinstance(f, DropoutFault):
                return math.nan
            if isinstance(f, StuckFault):
                value = self._frozen.setdefault(i, value)
            elif self._rng.random() < f.probability:
                value = value * f.factor + f.offset
        return value
