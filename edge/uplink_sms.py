"""When the farm server cannot help: a greenhouse computer with its own modem texts its critical alerts itself.

The edge follows which alerts stand (raised and not yet cleared, one per source as the gateway's alerts list folds
them), kept on disk so that a restart knows them. When its uplink to the broker has been down for ``after_s`` and a
critical alert stands — raised during the outage, or standing when the uplink went — its SMS goes into the local
Gammu SMSD outbox for each person of the roster the notifier last sent (``edge.sms_roster``), in their language
and form, once per alert per person: the send's key names the alert's occurrence and the number, and SMSD's
folders keep it, so a restart writes nothing twice. An uplink back within ``after_s`` sends nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from contract.alert_sources import alert_source
from contract.durable import write_atomically
from contract.messages import Event, EventKind, Severity, SmsContact
from contract.reasons import Reason, render
from contract.site import Greenhouse
from edge.modem.gammu_sms import Priority, SmsdFolders, SmsdOutbox
from edge.modem.sms_text import SmsForm, fit
from edge.sms_roster import SmsRoster

log = logging.getLogger(__name__)

# Simulated seconds the uplink must have been down before the edge texts anyone: a broker restart or a short 3G
# gap is not an outage, and the farm server's notifier would tell the same alert moments later.
UPLINK_SMS_AFTER_S = 300.0
# A write into the SMSD outbox that failed (the folder missing, the disk full) is tried again after this.
_RETRY = timedelta(minutes=1)

class StandingAlert(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    raised_at: AwareDatetime  # the occurrence's first raise: a repeat or a rise in severity keeps it
    severity: Severity
    reason: Reason
    params: dict[str, str] = Field(default_factory=dict)


class _Standing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    v: Literal[1] = 1
    alerts: list[StandingAlert] = Field(default_factory=list)


class UplinkSms:
    def __init__(
        self,
        site_id: str,
        greenhouse: Greenhouse,
        data_dir: Path,
        smsd_root: Path,
        roster: SmsRoster,
        now: datetime,
        after_s: float = UPLINK_SMS_AFTER_S,
    ) -> None:
        self._site_id, self._gh = site_id, greenhouse
        folders = SmsdFolders.under(smsd_root)
        if not folders.outbox.is_dir():
            # Not created here: a mistyped folder would take alerts that no SMSD ever sends.
            missing = {"folder": str(folders.outbox)}
            log.warning("no SMSD outbox folder: the edge's own SMS cannot be written", extra=missing)
        self._outbox = SmsdOutbox(folders)
        self._roster = roster
        self._after = timedelta(seconds=after_s)
        self._path = data_dir / f"{site_id}-{greenhouse.id}-standing-alerts.json"
        self._standing = {a.source: a for a in self._stored()}
        # Not yet connected at start: an edge that starts during an outage counts it from its own start.
        self._down_since: datetime | None = now
        self._done: set[str] = set()  # keys written (or found written) since the start
        self._retry_at: datetime | None = None
        self._told_no_roster = False

    def _stored(self) -> list[StandingAlert]:
        try:
            return _Standing.model_validate_json(self._path.read_bytes()).alerts
        except FileNotFoundError:
            return []
        except (OSError, ValidationError) as exc:
            log.warning("standing alerts unreadable; starting without them", extra={"detail": str(exc)})
            return []

    @property
    def standing(self) -> list[StandingAlert]:
        return list(self._standing.values())

    def note(self, event: Event) -> None:
        """An event the agent is sending: an alert raised, repeated, escalated or cleared changes what stands."""
        if event.kind is not EventKind.ALERT:
            return
        source = alert_source(event.rule, event.reason, event.reason_params)
        current = self._standing.get(source)
        if event.action == "cleared":
            if current is None:
                return
            del self._standing[source]
        else:
            raised_at = event.ts if current is None else current.raised_at
            alert = StandingAlert(
                source=source,
                raised_at=raised_at,
                severity=event.severity,
                reason=event.reason,
                params=dict(event.reason_params),
            )
            if alert == current:
                return
            self._standing[source] = alert
        try:
            write_atomically(self._path, _Standing(alerts=self.standing).model_dump_json().encode())
        except OSError as exc:
            # Still known until a restart; the event itself is in the outbox already.
            log.warning("standing alerts not saved", extra={"detail": str(exc)})

    def tick(self, connected: bool, now: datetime) -> None:
        """At each pass of the agent: text what is due once the uplink has been down long enough."""
        if connected:
            if self._down_since is not None and self._done:
                # No "back online" SMS: the farm server's notifier takes over and tells whatever is still open.
                log.info("uplink back; the farm server's notifier takes over", extra={"texted": len(self._done)})
            self._down_since = None
            self._done.clear()
            return
        if self._down_since is None:
            self._down_since = now
        if now - self._down_since < self._after or (self._retry_at is not None and now < self._retry_at):
            return
        critical = [a for a in self._standing.values() if a.severity is Severity.CRITICAL]
        if not critical:
            return
        roster = self._roster.current
        if roster is None:
            if not self._told_no_roster:
                log.warning("critical alert and no uplink, but no roster received yet: nobody to text")
                self._told_no_roster = True
            return
        for alert in critical:
            # The occurrence (its first raise, in UTC whatever zone it was read back in) and the number.
            occurrence = f"{alert.source}:{alert.raised_at.astimezone(UTC).isoformat()}"
            for contact in roster.contacts:
                key = f"edge:{self._site_id}/{self._gh.id}:{occurrence}:{contact.phone}"
                if key not in self._done and not self._send(contact, alert, key, now):
                    return

    def _send(self, contact: SmsContact, alert: StandingAlert, key: str, now: datetime) -> bool:
        lang = contact.lang
        text = f"{self._gh.label_in(lang)}: {render(alert.reason, alert.params, lang, self._gh)}"
        form = SmsForm.PLAIN if contact.plain_sms else SmsForm.UNICODE
        try:
            self._outbox.send(contact.phone, fit(text, form), key, Priority.URGENT)
        except OSError as exc:
            log.warning("edge sms not written; trying again shortly", extra={"detail": str(exc)})
            self._retry_at = now + _RETRY
            return False
        self._done.add(key)
        self._retry_at = None
        log.info("critical alert in the modem's outbox", extra={"source": alert.source, "lang": lang})
        return True
