"""The notifier as the gateway starts it: when its data dir holds a roster (``roster.yaml``: who is told about
which greenhouse, and how), alerts are sent through the channels this server has — SMS through Gammu SMSD when
its folders are given — and every other message is written to the local outbox (``notify-outbox.jsonl``), where a
technician, and the demo's screen, can read what would have gone."""

from __future__ import annotations

import logging
from pathlib import Path

from contract.clock import Clock
from contract.config_file import load_model
from contract.site import SiteConfig
from edge.modem.gammu_sms import SmsdFolders
from gateway.live.service import Live
from gateway.notify.local_outbox import OUTBOX_FILE, LocalOutbox
from gateway.notify.loop import NotifierLoop
from gateway.notify.notifier import Notifier, Sender
from gateway.notify.policy import DEFAULT_POLICY
from gateway.notify.roster import ROSTER_FILE, Channel, Roster, roster_problems
from gateway.notify.sms_channel import SmsChannel
from gateway.notify.store import NotifyStore

log = logging.getLogger(__name__)

def start_notifier(
    site: SiteConfig, live: Live, clock: Clock, data_dir: Path, smsd_root: Path | None = None
) -> NotifierLoop | None:
    """The notifier's loop, started; None when there is no roster yet (nobody to tell): said in the log."""
    path = data_dir / ROSTER_FILE
    if not path.exists():
        log.warning("no roster: alerts are shown in the app but nobody is told", extra={"roster": str(path)})
        return None
    roster = load_model(path, Roster)
    for problem in roster_problems(roster, site):
        log.warning("roster does not fit the site", extra={"roster": str(path), "problem": problem.en})
    outbox = LocalOutbox(data_dir / OUTBOX_FILE)
    senders: dict[Channel, Sender] = dict.fromkeys(Channel, outbox)
    sms = SmsChannel(SmsdFolders.under(smsd_root)) if smsd_root is not None else None
    if sms is not None:
        senders[Channel.SMS] = sms
    store = NotifyStore(data_dir / f"notify-{site.cooperative.id}.sqlite3")
    loop = NotifierLoop(live, Notifier(site, roster, DEFAULT_POLICY, store, senders), clock, sms)
    loop.start()
    log.info("notifier started", extra={"people": len(roster.people), "sms": sms is not None})
    return loop
