"""The control cycle — the rules decide on a poll, the controller arbitrates under safety, and time ends runs —
written once, for the edge agent, the simulation (``desk.simulate``) and the backtest (``desk.backtest``): what a
technician tries at the desk is what the greenhouse does."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import BaseModel

from contract.messages import Observed
from edge.control import Controller
from rules.engine import EngineState, Judged, Place, judge
from rules.model import RuleSet
from rules.state import FallbackState


class ControlCycle:
    """One greenhouse's rules and controller. ``poll`` when a poll's readings are in; ``tick`` as time passes (the
    edge on every pass, the simulation every physics step); ``advance`` to a later time without a poll, ending
    each run at the moment it is due, as the edge's passes would (the backtest, between recorded polls)."""

    def __init__(self, controller: Controller, ruleset: RuleSet | None, place: Place, state: EngineState) -> None:
        self.controller = controller
        self.ruleset = ruleset
        self.place = place
        self._state: EngineState | None = state
        self._rules: Mapping[str, BaseModel] = state.rules
        self._unusable: Mapping[str, FallbackState] = state.unusable
        self._judged: Judged | None = None

    @property
    def state(self) -> EngineState:
        """What the rules remember, as the edge keeps it: made from the last evaluation when it is asked for."""
        if self._state is None:
            assert self._judged is not None  # only a poll forgets the state it made
            self._state = self._judged.state()
        return self._state

    def poll(self, latest: Mapping[str, Observed], now: datetime) -> None:
        """The rules see the poll's readings; their decisions, suppressions and alerts go to the controller."""
        if self.ruleset is None:
            return
        judged = judge(self.ruleset, self._rules, self._unusable, latest, now, self.place)
        self._judged, self._state = judged, None
        self._rules, self._unusable = judged.rules, judged.unusable
        if judged.suppressions or judged.alerts:
            self.controller.report(judged.suppressions, judged.alerts, now)
        self.controller.decide(judged.decisions, latest, now)

    def tick(self, latest: Mapping[str, Observed], now: datetime) -> None:
        self.controller.tick(latest, now)

    def advance(self, latest: Mapping[str, Observed], until: datetime) -> None:
        """Every run end and safety limit due by ``until``, each at its own time."""
        due = self.controller.next_due()
        while due is not None and due <= until:
            self.controller.tick(latest, due)
            later = self.controller.next_due()
            due = later if later is not None and later > due else None
