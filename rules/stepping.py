"""A rule kind paired with its own state model, so that the engine steps every kind with the state it expects."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Generic, Self

from pydantic import BaseModel

from rules.context import Context
from rules.outcome import RuleOutcome, S

# Given the states the engine kept by rule id and the evaluation's context, puts the states of the rules it settles in
# the dict under their ids (``Steps.settler``).
Settler = Callable[[Mapping[str, BaseModel], Context, dict[str, BaseModel | None]], None]


class Steps(ABC, Generic[S]):
    """Mixed into each rule kind (rules/kinds/) with its state model as ``S``."""

    @classmethod
    @abstractmethod
    def state_model(cls) -> type[S]:
        """The kind's state model; its defaults are the state of a rule that has not run yet."""

    @abstractmethod
    def step(self, previous: S, ctx: Context) -> RuleOutcome[S]:
        """One evaluation at ``ctx.now`` from the state the previous one left."""

    @classmethod
    def settler(cls, rules: Sequence[Self]) -> Settler | None:
        """What tells, at an evaluation, which of ``rules`` (this kind's, in file order) a step would leave saying
        nothing at all (no decision, suppression or alert) on usable inputs: it puts each one's state, as that step
        would leave it, in the dict it is given under the rule's id, and the engine steps only the others. At most
        evaluations most rules change nothing, and telling so for a kind's rules together costs a fraction of
        stepping each. Made once per rule set; None for a kind that cannot tell cheaply (every rule is stepped)."""
        return None

    def advance(self, kept: BaseModel | None, ctx: Context) -> RuleOutcome[S]:
        """A step from what the engine kept under this rule's id: a fresh state when it kept none, or one left by
        a rule of another kind under the same id."""
        model = self.state_model()
        return self.step(kept if isinstance(kept, model) else model(), ctx)
