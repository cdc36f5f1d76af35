"""Which rule set each greenhouse runs, and its text: from the edges' retained reports and the retained
offers on the rules topic, for the technician's page."""

from __future__ import annotations

import threading
from typing import Literal

from pydantic import BaseModel

from contract.messages import RuleSetOffer, RulesReport
from contract.site import Greenhouse, SiteConfig
from rules.model import rules_file_text


class RulesNow(BaseModel):
    greenhouse: str
    report: RulesReport | None  # what the edge runs, and its answer to the last offer; None: not heard yet
    yaml: str | None  # the text of the set it runs, when the gateway can know it
    yaml_source: Literal["published", "file"] | None


class RulesBoard:
    """Thread-safe: the feed applies reports and offers, the API reads."""

    def __init__(self, site: SiteConfig) -> None:
        self._site = site
        self._reports: dict[str, RulesReport] = {}
        self._offers: dict[str, RuleSetOffer] = {}
        self._lock = threading.Lock()

    def apply(self, message: RulesReport | RuleSetOffer) -> None:
        with self._lock:
            if isinstance(message, RulesReport):
                self._reports[message.greenhouse] = message
            else:
                self._offers[message.greenhouse] = message

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
