"""Which rule set each greenhouse runs, and its text: from the edges' retained reports and the retained
offers on the rules topic, for the technician's page; and the edge's answer to an offer the web desk deploys,
waited for here rather than on a broker connection of the request's own."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel

from contract.messages import RuleSetOffer, RulesReport
from contract.site import Greenhouse, SiteConfig
from desk.deploy import answers
from rules.model import rules_file_text


class RulesNow(BaseModel):
    greenhouse: str
    report: RulesReport | None  # what the edge runs, and its answer to the last offer; None: not heard yet
    yaml: str | None  # the text of the set it runs, when the gateway can know it
    yaml_source: Literal["published", "file"] | None


class OfferAnswer:
    """The edge's first answer to one offer, once the feed has it."""

    def __init__(self, offer: RuleSetOffer) -> None:
        self.offer = offer
        self._report: RulesReport | None = None
        self._done = threading.Event()

    def take(self, report: RulesReport) -> None:
        if not self._done.is_set():
            self._report = report
            self._done.set()

    def wait(self, timeout_s: float) -> RulesReport | None:
        """The answer, or None when none came within ``timeout_s``."""
        self._done.wait(timeout_s)
        return self._report


class RulesBoard:
    """Thread-safe: the feed applies reports and offers, the API reads and waits for answers."""

    def __init__(self, site: SiteConfig) -> None:
        self._site = site
        self._reports: dict[str, RulesReport] = {}
        self._offers: dict[str, RuleSetOffer] = {}
        self._waiting: list[OfferAnswer] = []
        self._lock = threading.Lock()

    def apply(self, message: RulesReport | RuleSetOffer) -> None:
        with self._lock:
            if isinstance(message, RulesReport):
                self._reports[message.greenhouse] = message
                for waiter in self._waiting:
                    if answers(waiter.offer, message):
                        waiter.take(message)
            else:
                self._offers[message.greenhouse] = message

    @contextlib.contextmanager
    def answer_to(self, offer: RuleSetOffer) -> Iterator[OfferAnswer]:
        """Waits for a report the edge sends about ``offer`` from now on: enter before publishing it (the edge may
        answer at once). The edge answers every offer, the same text again too ("unchanged"), so a report already
        on the board is not taken: it answered an earlier offer, perhaps before the edge's rule set changed."""
        waiter = OfferAnswer(offer)
        with self._lock:
            self._waiting.append(waiter)
        try:
            yield waiter
        finally:
            with self._lock:
                self._waiting.remove(waiter)

    def now(self, gh: Greenhouse) -> RulesNow:
        with self._lock:
            report, offer = self._reports.get(gh.id), self._offers.get(gh.id)
        if report is not None and report.active_source == "published":
            known = offer is not None and offer.sha256 == report.active_sha256
            text = offer.rules_yaml if known and offer is not None else None
            return RulesNow(greenhouse=gh.id, report=report, yaml=text, yaml_source="published" if text else None)
        # Not heard yet, or running its file: the site's rule file as the gateway has it.
        text = rules_file_text(gh)
        if text is not None:
            return RulesNow(greenhouse=gh.id, report=report, yaml=text, yaml_source="file")
        return RulesNow(greenhouse=gh.id, report=report, yaml=None, yaml_source=None)
