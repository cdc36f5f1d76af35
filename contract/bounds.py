"""The base of every configuration model (no unknown fields, frozen, finite numbers) and a physical range: shared
by the site file and the device profiles."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, model_validator

from contract.validation_words import Mistake, number


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class PhysicalRange(Strict):
    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> PhysicalRange:
        if self.min >= self.max:
            raise Mistake(
                f"min ({number(self.min, 'vi')}) phải nhỏ hơn max ({number(self.max, 'vi')})",
                f"min ({self.min}) must be below max ({self.max})",
            )
        return self

    def contains(self, value: float) -> bool:
        return self.min <= value <= self.max
