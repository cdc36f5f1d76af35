"""The control cycle — the rules decide on a poll, the controller arbitrates under safety, and time ends runs —
written once, for the edge agent, the simulation (``desk.simulate``) and the backtest (``desk.backtest``): what a
technician tries at the desk is what the greenhouse does."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from contract.messages import Observed
from edge.control import Controller
from rules.engine import EngineState, Place, evaluate
from rules.model import RuleSet


class ControlCycle:
    """One greenhouse's rules and controller. ``poll`` when a poll's readings are in; ``tick`` as time passes (the
    edge on every pass, the simulation every physics step); ``advance`` to a later time without a poll, ending
    each run at the moment it is due, as the edge's passes would (the backtest, between recorded polls)."""

    def __init__(self, controller: Controller, ruleset: RuleSet | None, place: Place, state: EngineState) -> None:
        self.controller = controller
        self.ruleset = ruleset
        self.place = place
        self.state = state

    def poll(self, latest: Mapping[str, Observed], now: datetime) -> None:
        """The rules see the poll's readings; their decisions, suppressions and alerts go to the controller."""
        if self.ruleset is None:
            return
        result = evaluate(self.ruleset, self.state, latest, now, self.place)
        self.state = result.state
        self.controller.report(result.suppressions, result.alerts, now)
        self.controller.decide(result.decisions, latest, now)

    def tick(self, latest: Mapping[str, Observed], now: datetime) -> None:
        self.controller.tick(latest, now)

    def advance(self, latest: Mapping[str, Observed], until: datetime) -> None:
        """Every run end and safety limit due by ``until``, each at its own time."""
        due = self.controller.next_due()
        while due is not None and due <= until:
            self.controller.tick(latest, due)
            later = self.controller.next_due()
            due = later if later is not None and later > due else None
