"""The notifier as the gateway starts it: when its data dir holds a roster (``roster.yaml``: who is told about
which greenhouse, and how), alerts are sent through the channels this server has — phone notifications when it has
VAPID keys (``vapid.pem``, written by ``greenhouse init``), SMS through Gammu SMSD when its folders are given — and
every message is written to the local outbox (``notify-outbox.jsonl``) with how it went; for a channel this server
has not, the outbox is the channel: a technician, and the demo's screen, read what would have gone."""

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
from gateway.notify.phone_book import PHONE_BOOK_FILE, PhoneBook
from gateway.notify.policy import DEFAULT_POLICY
from gateway.notify.push_channel import PushChannel
from gateway.notify.roster import ROSTER_FILE, Channel, Roster, roster_problems
from gateway.notify.service import NotifyService
from gateway.notify.sms_channel import SmsChannel
from gateway.notify.store import NotifyStore
from gateway.notify.webpush import VapidKeys

log = logging.getLogger(__name__)

VAPID_FILE = "vapid.pem"  # in the gateway's data dir: the key phones' subscriptions are made with


def build_notifier(
    site: SiteConfig, live: Live, clock: Clock, data_dir: Path, smsd_root: Path | None = None
) -> NotifyService | None:
    """The notifier with its channels, not started yet; None when there is no roster (nobody to tell): said in the
    log."""
    path = data_dir / ROSTER_FILE
    if not path.exists():
        log.warning("no roster: alerts are shown in the app but nobody is told", extra={"roster": str(path)})
        return None
    roster = load_model(path, Roster)
    for problem in roster_problems(roster, site):
        log.warning("roster does not fit the site", extra={"roster": str(path), "problem": problem.en})
    outbox = LocalOutbox(data_dir / OUTBOX_FILE)
    real: dict[Channel, Sender] = {}
    keys = VapidKeys.load(data_dir / VAPID_FILE) if (data_dir / VAPID_FILE).exists() else None
    phones = PhoneBook(data_dir / PHONE_BOOK_FILE)
    if keys is not None:
        real[Channel.PUSH] = PushChannel(phones, keys)
    sms = SmsChannel(SmsdFolders.under(smsd_root)) if smsd_root is not None else None
    if sms is not None:
        real[Channel.SMS] = sms
    senders: dict[Channel, Sender] = {c: outbox.recording(real[c]) if c in real else outbox for c in Channel}
    store = NotifyStore(data_dir / f"notify-{site.cooperative.id}.sqlite3")
    loop = NotifierLoop(live, Notifier(site, roster, DEFAULT_POLICY, store, senders), clock, sms)
    log.info(
        "notifier ready",
        extra={"people": len(roster.people), "channels": sorted(c.value for c in real), "outbox": str(outbox.path)},
    )
    return NotifyService(loop, phones, keys, clock.now)
