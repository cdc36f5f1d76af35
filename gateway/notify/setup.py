"""The notifier as the gateway starts it: when its data dir holds a roster (``roster.yaml``: who is told about
which greenhouse, and how), alerts are sent through the channels this server has — phone notifications when it has
VAPID keys (``vapid.pem``, written by ``greenhouse init``), SMS through Gammu SMSD when its folders are given — and
every message is written to the local outbox (``notify-outbox.jsonl``) with how it went; for a channel this server
has not, the outbox is the channel: a technician, and the demo's screen, read what would have gone."""

from __future__ import annotations

import logging
from pathlib import Path

from contract.clock import Clock
from contract.config_file import ConfigError, load_model
from contract.site import SiteConfig
from contract.validation_words import Words
from edge.modem.gammu_sms import SmsdFolders
from gateway.live.service import Live
from gateway.notify.channel_settings import CHANNELS_FILE, ChannelSettings
from gateway.notify.email_channel import EmailChannel
from gateway.notify.local_outbox import OUTBOX_FILE, LocalOutbox
from gateway.notify.loop import NotifierLoop
from gateway.notify.modem_watch import MODEM_TITLE, ModemWatch
from gateway.notify.notifier import Notifier, Sender
from gateway.notify.phone_book import PHONE_BOOK_FILE, PhoneBook
from gateway.notify.policy import DEFAULT_POLICY, Policy
from gateway.notify.push_channel import DEFAULT_CONTACT, PushChannel
from gateway.notify.ring_call import RingCall
from gateway.notify.roster import Channel, Person, Roster, roster_problems
from gateway.notify.service import NotifyService
from gateway.notify.settings_files import NotifyFiles, SettingsWatch
from gateway.notify.sms_channel import SmsChannel
from gateway.notify.store import NotifyStore
from gateway.notify.webpush import VapidKeys
from gateway.notify.zalo_zns import ZaloZns

log = logging.getLogger(__name__)

VAPID_FILE = "vapid.pem"  # in the gateway's data dir: the key phones' subscriptions are made with


def build_notifier(
    site: SiteConfig, live: Live, clock: Clock, data_dir: Path, smsd_root: Path | None = None
) -> NotifyService:
    """The notifier with its channels, not started yet. Without a roster (or with one that has mistakes, said in
    the log at its lines) it tells nobody until one is saved — from the app or ``greenhouse roster`` — which it
    takes while running. ``smsd_root``: the modem's SMSD folders, when the command line gives them (else
    ``channels.yaml``'s)."""
    files = NotifyFiles(data_dir)
    roster, policy = _settings(files, site)
    settings = _channel_settings(data_dir / CHANNELS_FILE)
    outbox = LocalOutbox(data_dir / OUTBOX_FILE)
    keys = VapidKeys.load(data_dir / VAPID_FILE) if (data_dir / VAPID_FILE).exists() else None
    phones = PhoneBook(data_dir / PHONE_BOOK_FILE)
    holder = _Roster(roster)
    real = _channels(settings, keys, phones, site, holder)
    if smsd_root is None and settings.modem is not None:
        smsd_root = settings.modem.smsd_dir
    sms = SmsChannel(SmsdFolders.under(smsd_root)) if smsd_root is not None else None
    if sms is not None:
        real[Channel.SMS] = sms
    senders: dict[Channel, Sender] = {c: outbox.recording(real[c]) if c in real else outbox for c in Channel}
    store = NotifyStore(data_dir / f"notify-{site.cooperative.id}.sqlite3")
    notifier = Notifier(site, roster, policy, store, senders)
    holder.notifier = notifier
    watch = _modem_watch(settings, smsd_root, notifier, site, real.get(Channel.CALL), clock)
    loop = NotifierLoop(live, notifier, clock, sms, SettingsWatch(files), watch)
    log.info(
        "notifier ready",
        extra={"people": len(roster.people), "channels": sorted(c.value for c in real), "outbox": str(outbox.path)},
    )
    service = NotifyService(loop, phones, keys, clock.now)
    ring = real.get(Channel.CALL)
    if isinstance(ring, RingCall):
        service.closing.append(ring.close)  # a ring is not left going after the gateway stops
    return service


def _modem_watch(
    settings: ChannelSettings,
    smsd_root: Path | None,
    notifier: Notifier,
    site: SiteConfig,
    call: Sender | None,
    clock: Clock,
) -> ModemWatch | None:
    """The watch over the modem, where channels.yaml asks for one and names SMSD's configuration."""
    watch, modem = settings.watch, settings.modem
    if watch is None:
        return None
    if smsd_root is None or modem is None or modem.smsd_config is None:
        log.warning("modem watch asked for, but channels.yaml names no SMSD configuration (modem.smsd_config)")
        return None

    def tell(news: Words) -> None:
        for person_id in watch.tell:
            person = notifier.roster.person(person_id)
            if person is None:
                log.warning("modem watch: nobody of that id on the roster", extra={"person": person_id})
                continue
            # A broken modem cannot send its own news: the channels that do not need it first.
            apart = [c for c in person.channels if c not in (Channel.SMS, Channel.CALL)]
            channels = apart or [c for c in person.channels if c is not Channel.CALL]
            notifier.notice(person, MODEM_TITLE, (news.vi, news.en), clock.now(), channels, "modem")

    network = call.registration if isinstance(call, RingCall) else None
    return ModemWatch(watch, modem.smsd_config, SmsdFolders.under(smsd_root), site.cooperative.tz, tell, network)


def _settings(files: NotifyFiles, site: SiteConfig) -> tuple[Roster, Policy]:
    empty = Roster(people=[], duties=[])
    try:
        roster, policy = files.roster().model, files.policy().model
    except ConfigError as exc:
        log.error("notifier settings have mistakes: nobody is told until they are fixed", extra={"problems": str(exc)})
        return empty, DEFAULT_POLICY
    where = str(files.roster_path)
    if not roster.people:
        log.warning("no roster: alerts are shown in the app but nobody is told", extra={"roster": where})
    for problem in roster_problems(roster, site):
        log.warning("roster does not fit the site", extra={"roster": where, "problem": problem.en})
    return roster, policy


class _Roster:
    """The roster the running notifier has now (it may be edited while the gateway runs), for a channel that
    names somebody other than the person it writes to (Zalo's "taken by")."""

    def __init__(self, first: Roster) -> None:
        self.first = first
        self.notifier: Notifier | None = None

    def person(self, person_id: str) -> Person | None:
        roster = self.notifier.roster if self.notifier is not None else self.first
        return roster.person(person_id)


def _channels(
    settings: ChannelSettings, keys: VapidKeys | None, phones: PhoneBook, site: SiteConfig, roster: _Roster
) -> dict[Channel, Sender]:
    real: dict[Channel, Sender] = {}
    if keys is not None:
        real[Channel.PUSH] = PushChannel(phones, keys, settings.vapid_contact or DEFAULT_CONTACT)
    if settings.call is not None:
        real[Channel.CALL] = RingCall(settings.call)
    if settings.email is not None:
        real[Channel.EMAIL] = EmailChannel(settings.email, settings.app_url)
    if settings.zalo is not None:
        real[Channel.ZALO] = ZaloZns(settings.zalo, site.cooperative.tz, roster.person)
    return real


def _channel_settings(path: Path) -> ChannelSettings:
    """``channels.yaml``; a file with mistakes is said in the log at its lines, and the notifier runs without it
    (every message to the local outbox) rather than not at all."""
    if not path.exists():
        return ChannelSettings()
    try:
        return load_model(path, ChannelSettings)
    except ConfigError as exc:
        log.error("channels file has mistakes: messages go to the local outbox only", extra={"problems": str(exc)})
        return ChannelSettings()
