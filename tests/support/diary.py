"""Record book entries as a phone sends them, for the tests of the book, its API and its pages."""

from __future__ import annotations

from datetime import date
from typing import Any


def spray(entry_id: str, day: date, greenhouse: str = "ca-chua-1", phi_days: int = 7, **more: Any) -> dict[str, Any]:
    """Abatox 1.8EC (abamectin, 7 days' interval on its label) sprayed on zone A by Chị Lan."""
    detail = {
        "kind": "protection",
        "product": "Abatox 1.8EC",
        "active_ingredient": "abamectin",
        "dose": {"value": 10, "unit": "ml"},
        "water_l": 16,
        "target_pest": "sâu xanh",
        "phi_days": phi_days,
        "sprayed_by": "Chị Lan",
    }
    return {"id": entry_id, "day": day.isoformat(), "greenhouse": greenhouse, "zone": "khu-a", "detail": detail, **more}


def harvest(entry_id: str, day: date, kg: float = 80, **more: Any) -> dict[str, Any]:
    """A harvest of tomatoes from zone A of ca-chua-1."""
    detail = {"kind": "harvest", "crop": "Cà chua", "quantity_kg": kg}
    place = {"greenhouse": "ca-chua-1", "zone": "khu-a"}
    return {"id": entry_id, "day": day.isoformat(), **place, "detail": detail, **more}
