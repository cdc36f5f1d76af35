"""Whom the edge texts itself when its uplink is gone: the roster the farm server's notifier last published for this
greenhouse (retained, on its ``roster`` topic), checked strictly and kept on disk, so that it holds across a restart
made while the farm server cannot be reached — which is when it is needed.

A message that does not read as this greenhouse's roster changes nothing: the one kept stays, and the log says what
is wrong and in which field.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import ValidationError

from contract.durable import write_atomically
from contract.messages import EdgeRoster
from contract.wire import WireError, decode

log = logging.getLogger(__name__)

# Ten contacts take under 1 KB; anything far larger is no roster.
_MAX_BYTES = 16 * 1024


class SmsRoster:
    def __init__(self, site_id: str, greenhouse_id: str, data_dir: Path) -> None:
        self._site_id, self._greenhouse_id = site_id, greenhouse_id
        self._path = data_dir / f"{site_id}-{greenhouse_id}-sms-roster.json"
        self.current: EdgeRoster | None = self._stored()

    def _stored(self) -> EdgeRoster | None:
        try:
            return EdgeRoster.model_validate_json(self._path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValidationError) as exc:
            # Nobody to text until the notifier's roster arrives again: told, since it matters only in an outage.
            log.warning("kept sms roster unreadable; set aside", extra={"file": str(self._path), "detail": str(exc)})
            return None

    def take(self, payload: bytes) -> bool:
        """A roster message from the broker: kept (on disk before it is used) if it is this greenhouse's."""
        roster = decode(EdgeRoster, payload, _MAX_BYTES)
        if isinstance(roster, WireError):
            self._refuse(roster.problem.value, roster.detail, roster.field)
            return False
        if (roster.site, roster.greenhouse) != (self._site_id, self._greenhouse_id):
            here, there = f"{self._site_id}/{self._greenhouse_id}", f"{roster.site}/{roster.greenhouse}"
            self._refuse("other_greenhouse", f"roster for {there}, this is {here}", "greenhouse")
            return False
        if roster != self.current:
            write_atomically(self._path, roster.to_json())  # a power cut leaves the old roster or the new one
            self.current = roster
            kept = {"issued_at": roster.issued_at.isoformat(), "people": len(roster.contacts)}
            log.info("sms roster kept", extra=kept)
        return True

    def _refuse(self, problem: str, detail: str, field: str | None) -> None:
        kept = None if self.current is None else self.current.issued_at.isoformat()
        extra = {"problem": problem, "detail": detail, "field": field, "kept_issued_at": kept}
        log.warning("sms roster refused; the one kept stays", extra=extra)
