"""Derived points, per greenhouse: agronomic metrics next to the readings they come from, and water per zone."""

from __future__ import annotations

from contract.messages import Event, TelemetryBatch
from contract.site import SiteConfig
from gateway.ingest.derive import DerivationState, GreenhouseDerivation
from gateway.storage import points
from gateway.storage.irrigation import IrrigationTally
from gateway.storage.model import Point


class Deriver:
    """Keeps each greenhouse's running totals (DLI, degree days) between batches, and its valves' runs."""

    def __init__(self, site: SiteConfig, base_temp_c: float = 10.0) -> None:
        self._derivation = GreenhouseDerivation.for_cooperative(site.cooperative, base_temp_c=base_temp_c)
        self._states: dict[str, DerivationState] = {}
        self._irrigation = IrrigationTally(site)

    def __call__(self, message: TelemetryBatch | Event) -> list[Point]:
        if isinstance(message, Event):
            return self._irrigation(message)
        return self._metrics(message)

    def _metrics(self, batch: TelemetryBatch) -> list[Point]:
        result = self._derivation.step(self._states.get(batch.greenhouse, DerivationState()), batch)
        self._states[batch.greenhouse] = result.state
        fields = {k: v for k, v in result.metrics.model_dump().items() if v is not None}
        if not fields:
            return []
        return [
            Point(
                measurement=points.DERIVED,
                tags={"site": batch.site, "greenhouse": batch.greenhouse},
                fields=fields,
                ts=batch.sent_at,
            )
        ]
