"""Users as stored and as given: the pydantic models every boundary of the accounts goes through."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, field_serializer, model_validator

from contract.messages import Id
from gateway.accounts.roles import Role

# Long enough to resist guessing with the rate limit; the cap keeps argon2 from being fed megabytes.
Password = Annotated[str, Field(min_length=10, max_length=256)]


class UserSpec(BaseModel):
    """Who a user is, as an admin or ``greenhouse users add`` describes them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Id
    role: Role
    cooperative: Id
    # None: every greenhouse of the cooperative. Only a farmer may be limited to some.
    greenhouses: frozenset[Id] | None = None

    @model_validator(mode="after")
    def _only_farmers_are_limited(self) -> Self:
        if self.greenhouses is not None and self.role is not Role.FARMER:
            raise ValueError(f"greenhouses: only a farmer is limited to some greenhouses, not a {self.role}")
        if self.greenhouses is not None and not self.greenhouses:
            raise ValueError("greenhouses: give at least one, or none at all for every greenhouse")
        return self

    @field_serializer("greenhouses")
    def _in_order(self, greenhouses: frozenset[str] | None) -> list[str] | None:
        # A set has no order: every answer lists them the same way.
        return None if greenhouses is None else sorted(greenhouses)


class User(UserSpec):
    disabled: bool = False
    created_at: datetime
