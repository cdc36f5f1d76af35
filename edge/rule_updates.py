"""Rule sets published centrally (retained MQTT): checked, stored, and switched to — or refused.

An offer must name this greenhouse, match its sha256, parse as a rule file and fit
the greenhouse (every sensor and actuator it names exists). A good one is written to
disk before it runs, so the last good set survives a restart and keeps running
while the uplink is down; it is preferred at start-up over the rule file given on
the command line. A bad one changes nothing: the running set stays, and the report
(retained, so the central side always sees it) names each problem by rule and field.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from contract.config_file import ConfigError, parse_model
from contract.durable import write_atomically
from contract.messages import MAX_RULES_YAML_CHARS, RuleSetOffer, RulesOutcome, RulesReport, text_sha256
from contract.site import Greenhouse
from contract.wire import WireError, decode
from rules.model import RuleSet, ruleset_misfits
from rules.problems import explain

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActiveRules:
    ruleset: RuleSet | None
    source: Literal["file", "published", "none"]
    sha256: str | None = None  # of the published text


@dataclass(frozen=True)
class _Refusal:
    problems_vi: list[str]
    problems_en: list[str]


# The YAML at its longest, each character escaped or four UTF-8 bytes, and the offer's other fields.
_MAX_OFFER_BYTES = 4 * MAX_RULES_YAML_CHARS + 4096


class RuleUpdates:
    def __init__(self, site_id: str, greenhouse: Greenhouse, data_dir: Path, local: RuleSet | None) -> None:
        self._site_id = site_id
        self._gh = greenhouse
        self._path = data_dir / f"{site_id}-{greenhouse.id}-rules.json"
        self.active = self._stored() or ActiveRules(local, "file" if local is not None else "none")

    def _stored(self) -> ActiveRules | None:
        """The last published set that was accepted here, if it is still readable and still fits."""
        try:
            offer = RuleSetOffer.model_validate_json(self._path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValidationError) as exc:
            log.warning("stored rule set unreadable; using the rule file", extra={"detail": str(exc)})
            return None
        checked = self._check(offer)
        if isinstance(checked, _Refusal):
            log.warning("stored rule set no longer fits; using the rule file", extra={"detail": checked.problems_en})
            return None
        log.info("running the published rule set", extra={"version": offer.version})
        return ActiveRules(checked, "published", offer.sha256)

    def offer(self, payload: bytes, now: datetime) -> RulesReport:
        """Take an offer: on ``accepted``, ``active`` has the new set (already on disk)."""
        offer = decode(RuleSetOffer, payload, _MAX_OFFER_BYTES)
        if isinstance(offer, WireError):
            refusal = _Refusal([f"không phải một bản luật: {offer.detail}"], [f"not a rule-set offer: {offer.detail}"])
            return self._report(now, RulesOutcome.REFUSED, None, refusal)
        if offer.sha256 == self.active.sha256:
            return self._report(now, RulesOutcome.UNCHANGED, offer)
        checked = self._check(offer)
        if isinstance(checked, _Refusal):
            log.warning("rule set refused", extra={"version": offer.version, "problems": checked.problems_en})
            return self._report(now, RulesOutcome.REFUSED, offer, checked)
        self._write(offer)
        self.active = ActiveRules(checked, "published", offer.sha256)
        log.info("rule set accepted", extra={"version": offer.version})
        return self._report(now, RulesOutcome.ACCEPTED, offer)

    def _check(self, offer: RuleSetOffer) -> RuleSet | _Refusal:
        if (offer.site, offer.greenhouse) != (self._site_id, self._gh.id):
            offered, here = f"{offer.site}/{offer.greenhouse}", f"{self._site_id}/{self._gh.id}"
            return _Refusal(
                [f"bản luật gửi cho {offered}, máy này là {here}"], [f"offer is for {offered}, this is {here}"]
            )
        if text_sha256(offer.rules_yaml) != offer.sha256:
            damaged = _Refusal(["sha256 không khớp: bản luật bị hỏng khi truyền"], ["sha256 mismatch: text damaged"])
            return damaged
        name = Path(f"rules-v{offer.version}.yaml")
        try:
            ruleset = parse_model(offer.rules_yaml, name, RuleSet)
        except ConfigError as exc:
            return _Refusal(explain(exc, offer.rules_yaml, "vi"), explain(exc, offer.rules_yaml, "en"))
        if ruleset.version != offer.version:
            return _Refusal(
                [f"tệp ghi version {ruleset.version}, còn bản gửi đến là {offer.version}"],
                [f"the file says version {ruleset.version}, the offer {offer.version}"],
            )
        misfits = ruleset_misfits(ruleset, self._gh)
        return _Refusal([m.vi for m in misfits], [m.en for m in misfits]) if misfits else ruleset

    def _write(self, offer: RuleSetOffer) -> None:
        write_atomically(self._path, offer.to_json())  # a power cut leaves the old set or the new one

    def _report(
        self, now: datetime, outcome: RulesOutcome, offer: RuleSetOffer | None, refusal: _Refusal | None = None
    ) -> RulesReport:
        active = self.active.ruleset
        return RulesReport(
            site=self._site_id,
            greenhouse=self._gh.id,
            ts=now,
            outcome=outcome,
            offered_version=offer.version if offer else None,
            offered_sha256=offer.sha256 if offer else None,
            active_version=active.version if active else None,
            active_sha256=self.active.sha256,
            active_source=self.active.source,
            problems_vi=refusal.problems_vi if refusal else [],
            problems_en=refusal.problems_en if refusal else [],
        )

    def report(self, now: datetime) -> RulesReport:
        """What runs now, without an offer: sent at start-up."""
        return self._report(now, RulesOutcome.UNCHANGED, None)
