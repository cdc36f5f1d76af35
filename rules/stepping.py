"""A rule kind paired with its own state model, so that the engine steps every kind with the state it expects."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Generic

from pydantic import BaseModel

from rules.context import Context
from rules.outcome import RuleOutcome, S


class Steps(ABC, Generic[S]):
    """Mixed into each rule kind (rules/kinds/) with its state model as ``S``."""

    @classmethod
    @abstractmethod
    def state_model(cls) -> type[S]:
        """The kind's state model; its defaults are the state of a rule that has not run yet."""

    @abstractmethod
    def step(self, previous: S, ctx: Context) -> RuleOutcome[S]:
        """One evaluation at ``ctx.now`` from the state the previous one left."""

    def advance(self, kept: BaseModel | None, ctx: Context) -> RuleOutcome[S]:
        """A step from what the engine kept under this rule's id: a fresh state when it kept none, or one left by
        a rule of another kind under the same id."""
        model = self.state_model()
        return self.step(kept if isinstance(kept, model) else model(), ctx)
