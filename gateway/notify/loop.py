"""The notifier beside the gateway's live side: the alerts the phone lists (the edges' and the gateway's own, such
as a greenhouse gone silent) become incidents; acknowledgements go both ways — taken in the app stops the chain,
taken by SMS shows in the app with who took it — and at every pass what is due is sent."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from contract.clock import Clock
from gateway.live.alerts import OFFLINE_SOURCE
from gateway.live.models import AlertNow
from gateway.live.service import Live
from gateway.notify.edge_roster import EdgeRosters
from gateway.notify.incidents import Incident, IncidentState
from gateway.notify.modem_watch import ModemWatch
from gateway.notify.notifier import Notifier
from gateway.notify.settings_files import SettingsWatch
from gateway.notify.sms_channel import SmsChannel

log = logging.getLogger(__name__)

PASS_S = 15.0  # a step of the escalation is minutes apart: a pass every few seconds is on time
_CATCH_UP = timedelta(minutes=1)
# Just started, the gateway has heard from no greenhouse yet: that is no news until they have had time to speak.
STARTUP_GRACE = timedelta(minutes=5)
SMS_KEPT = timedelta(days=30)  # SMSD's sent and failed files, for a technician looking back; then deleted


class NotifierLoop:
    def __init__(
        self,
        live: Live,
        notifier: Notifier,
        clock: Clock,
        sms: SmsChannel | None = None,
        settings: SettingsWatch | None = None,
        watch: ModemWatch | None = None,
    ) -> None:
        self.live = live
        self.notifier = notifier
        self.clock = clock
        self.sms = sms
        self.settings = settings  # the roster and escalation files, taken again when edited while running
        self.watch = watch  # the farm server's modem, read every few minutes
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="notifier", daemon=True)
        self._started = clock.now()
        self.edge_rosters = EdgeRosters(live.site, live.feed.publish_retained)
        self._pruned: datetime | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # one bad pass is logged; the next one tries again, as a farmer would want
                log.exception("notifier pass failed")
            self._stop.wait(PASS_S / max(self.clock.speed, 1.0))

    def step(self) -> None:
        """One pass: alerts in, replies in, what is due out."""
        now = self.clock.now()
        edited = self.settings.changed() if self.settings is not None else None
        if edited is not None:
            self.notifier.roster, self.notifier.policy = edited
            log.info("roster and escalation settings taken again")
        for gh in self.live.site.greenhouses:
            alerts = self.live.alerts(gh.id, include_cleared=True)
            unheard = self.live.registry.house_health(gh.id, now).last_seen is None
            if now - self._started < STARTUP_GRACE and unheard:
                alerts = [a for a in alerts if a.source != OFFLINE_SOURCE]
            else:
                self._back_in_touch(gh.id, alerts, now)
            self._sync(gh.id, alerts, now)
        if self.sms is not None:
            for aside in self.sms.take_replies(self.notifier, now):
                log.warning("unreadable SMS set aside", extra={"file": aside.name, "why": aside.why})
            if self._pruned is None or now - self._pruned >= timedelta(days=1):
                self.sms.outbox.prune(now - SMS_KEPT)
                self._pruned = now
        self._show_taken()
        self.notifier.tick(now)
        self.edge_rosters.update(self.notifier.roster, now)  # the week's turn of duty, or a roster edited
        if self.watch is not None:
            self.watch.check(now)

    def _sync(self, greenhouse: str, alerts: list[AlertNow], now: datetime) -> None:
        for alert in alerts:
            text = (alert.text_vi, alert.text_en)
            # An alert found already old (the gateway restarted) starts its chain now, not all its steps at once.
            at = max(alert.raised_at, now - _CATCH_UP) if alert.active else alert.cleared_at or now
            incident = self.notifier.alert(greenhouse, alert.source, alert.severity, alert.active, text, at)
            if incident is None or alert.acked_by is None or alert.acked_at is None:
                continue
            # Taken in the app during this round; one taken before the incident came back does not stop it again.
            if alert.acked_at >= incident.round_at:
                self.taken_in_app(incident, alert.acked_by, alert.acked_at)

    def _back_in_touch(self, greenhouse: str, alerts: list[AlertNow], now: datetime) -> None:
        """A greenhouse heard from again: its "silent" alert is not cleared on the board, it is no longer there
        (the board draws it from the house's health), so its incident is resolved here."""
        incident = self.notifier.store.open_incident(greenhouse, OFFLINE_SOURCE)
        if incident is None or any(a.source == OFFLINE_SOURCE and a.active for a in alerts):
            return
        text = (incident.text_vi, incident.text_en)
        self.notifier.alert(greenhouse, OFFLINE_SOURCE, incident.severity, False, text, now)

    def taken_in_app(self, incident: Incident, account: str, at: datetime) -> None:
        """Taken with the app's button by the user ``account``: the person of the roster whose account it is (so
        that she is not told that somebody took it), or the account's name for a user not on the roster."""
        person = self.notifier.roster.by_account(account)
        self.notifier.acknowledge(incident.id, person.id if person is not None else account, None, at)

    def _show_taken(self) -> None:
        """An incident taken by SMS or a call shows as acknowledged in the app, by the person's name."""
        for incident in self.notifier.store.open_incidents():
            if incident.state is IncidentState.ACKNOWLEDGED and incident.acked_via is not None:
                self.show_taken(incident)

    def show_taken(self, incident: Incident) -> None:
        """The app's alert of ``incident``, acknowledged by the person who took it (a reply, a call, a phone's
        notification button)."""
        listed = self.live.alerts(incident.greenhouse, include_cleared=False)
        alert = next((a for a in listed if a.source == incident.source and a.acked_by is None), None)
        if alert is None:
            return
        person = self.notifier.roster.person(incident.acked_by or "")
        self.live.acknowledge(incident.greenhouse, alert.id, person.name if person else incident.acked_by or "")
