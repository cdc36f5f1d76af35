"""Derived agronomic metrics, per greenhouse, as points next to the readings they come from."""

from __future__ import annotations

from contract.messages import TelemetryBatch
from contract.site import SiteConfig
from gateway import points
from gateway.agronomy.derive import DerivationState, GreenhouseDerivation
from gateway.storage.model import Point


class Deriver:
    """Keeps each greenhouse's running totals (DLI, degree days) between batches."""

    def __init__(self, site: SiteConfig, base_temp_c: float = 10.0) -> None:
        self._derivation = GreenhouseDerivation.for_cooperative(site.cooperative, base_temp_c=base_temp_c)
        self._states: dict[str, DerivationState] = {}

    def __call__(self, batch: TelemetryBatch) -> list[Point]:
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
