"""The notifier as the web app reaches it: phones turning notifications on and off, "send me a test alert", the
"Đã biết" button of a notification, an alert's timeline, the farm's number to save as a contact."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import BaseModel

from contract.wording import Lang, pick
from gateway.live.models import AlertNow
from gateway.notify import words
from gateway.notify.incidents import Incident, IncidentState
from gateway.notify.loop import NotifierLoop
from gateway.notify.notifier import Delivery
from gateway.notify.phone_book import PhoneBook
from gateway.notify.policy import Policy
from gateway.notify.push_channel import PushChannel
from gateway.notify.roster import Channel, Roster
from gateway.notify.timeline import Line, timeline
from gateway.notify.webpush import PushSubscription, VapidKeys

log = logging.getLogger(__name__)

# A farmer pressing "send me a test" again and again must not empty the SIM's credit.
TEST_EVERY = timedelta(minutes=2)

_SUBSCRIBED = ("Đã bật thông báo trên điện thoại này", "Notifications are on for this phone")
_UNSUBSCRIBED = ("Đã tắt thông báo trên điện thoại này", "Notifications are off for this phone")
_TEST_SENT = ("Đã gửi thử — xem điện thoại của bạn", "Test sent — check your phone")
_TEST_FAILED_ALL = ("Chưa gửi được tin thử nào", "No test message could be sent")
_TEST_NONE = (
    "Chưa gửi được: điện thoại này chưa bật thông báo và bạn chưa có trong danh sách trực",
    "Nothing sent: notifications are off on this phone and you are not on the duty roster",
)
_TEST_WAIT = ("Vừa gửi thử rồi, đợi 2 phút rồi thử lại", "A test was just sent; try again in 2 minutes")
_TEST_OK = ("{channel}: đã gửi", "{channel}: sent")
_TEST_FAILED = ("{channel}: không gửi được", "{channel}: could not send")
_TOOK_IT = ("Đã nhận. Mọi người khác sẽ được báo là bạn đã nhận.", "Taken. The others are told you took it.")
_ALREADY = ("{who} đã nhận rồi", "{who} took it already")
_OVER = ("Cảnh báo này đã hết", "This alert is over")
_CONTACT_NAME = ("Cảnh báo nhà màng — {coop}", "Greenhouse alerts — {coop}")


class ChannelResult(BaseModel):
    channel: Channel
    ok: bool
    said: str


class TestAnswer(BaseModel):
    said: str
    results: list[ChannelResult]


class AckAnswer(BaseModel):
    over: bool  # the alert cleared before the button was pressed
    said: str


class NotifyService:
    def __init__(
        self, loop: NotifierLoop, phones: PhoneBook, keys: VapidKeys | None, now: Callable[[], datetime]
    ) -> None:
        self.loop = loop
        self.notifier = loop.notifier
        self.phones = phones
        self.keys = keys
        self.push = PushChannel(phones, keys) if keys is not None else None
        self.now = now
        self._tested: dict[str, datetime] = {}
        self.closing: list[Callable[[], None]] = []  # a channel's own to stop with the notifier (a call ringing)
        self._lock = threading.Lock()

    def start(self) -> None:
        self.loop.start()

    def stop(self) -> None:
        self.loop.stop()
        for close in self.closing:
            close()
        self.phones.close()

    # --- phones ---------------------------------------------------------------------------------
    def push_key(self) -> str | None:
        return self.keys.application_server_key if self.keys is not None else None

    def subscribe(self, account: str, sub: PushSubscription, lang: Lang) -> str:
        self.phones.subscribe(account, sub, self.now())
        log.info("phone notifications on", extra={"account": account})
        return pick(_SUBSCRIBED, lang)

    def unsubscribe(self, account: str, endpoint: str, lang: Lang) -> str:
        self.phones.unsubscribe(endpoint, account)
        return pick(_UNSUBSCRIBED, lang)

    def test(self, account: str, lang: Lang) -> TestAnswer:
        """A test to the caller: their phones, and the roster's channels of the person they are (one SMS, …)."""
        now = self.now()
        with self._lock:
            last = self._tested.get(account)
            if last is not None and now - last < TEST_EVERY:
                return TestAnswer(said=pick(_TEST_WAIT, lang), results=[])
            self._tested[account] = now
        person = self.notifier.roster.by_account(account)
        title, body = pick(words.TEST_TITLE, lang), pick(words.TEST_BODY, lang)
        results: list[tuple[Channel, Delivery]] = []
        if self.push is not None and self.phones.phones(account):
            results.append((Channel.PUSH, self.push.test(account, title, body, now)))
        if person is not None:
            results += self.notifier.test(person, now)
        if not results:
            return TestAnswer(said=pick(_TEST_NONE, lang), results=[])
        said = [
            ChannelResult(
                channel=channel,
                ok=delivery.ok,
                said=pick(_TEST_OK if delivery.ok else _TEST_FAILED, lang).format(
                    channel=pick(words.CHANNEL[channel.value], lang)
                ),
            )
            for channel, delivery in results
        ]
        summary = _TEST_SENT if any(r.ok for r in said) else _TEST_FAILED_ALL
        return TestAnswer(said=pick(summary, lang), results=said)

    # --- the roster and the escalation settings, edited while the gateway runs --------------------
    def use_roster(self, roster: Roster) -> None:
        """From the next pass on, ``roster`` says who is told: the notifier reads it at each pass."""
        self.notifier.roster = roster
        log.info("roster replaced", extra={"people": len(roster.people), "duties": len(roster.duties)})

    def use_policy(self, policy: Policy) -> None:
        self.notifier.policy = policy
        log.info("escalation settings replaced")

    # --- acknowledging from a notification ------------------------------------------------------
    def ack_by_token(self, token: str, lang: Lang) -> AckAnswer | None:
        """The notification's "Đã biết": the same act as the list's button — the chain stops for everyone, the app
        shows who took it. None: no such token."""
        found = self.phones.by_token(token)
        incident = self.notifier.store.incident(found.incident) if found is not None else None
        if found is None or incident is None:
            return None
        if not incident.open:
            return AckAnswer(over=True, said=pick(_OVER, lang))
        if incident.state is IncidentState.ACKNOWLEDGED:
            return AckAnswer(over=False, said=pick(_ALREADY, lang).format(who=self._name(incident.acked_by)))
        taken = self.notifier.acknowledge(incident.id, found.person, Channel.PUSH, self.now())
        if taken is not None:
            self.loop.show_taken(taken)
        return AckAnswer(over=False, said=pick(_TOOK_IT, lang))

    def taken_in_app(self, alert: AlertNow) -> None:
        """The list's button pressed: the chain stops now, not at the notifier's next pass."""
        incident = self._incident_of(alert)
        if incident is not None and alert.acked_by is not None:
            self.loop.taken_in_app(incident, alert.acked_by, alert.acked_at or self.now())

    # --- what the app shows ---------------------------------------------------------------------
    def timeline(self, alert: AlertNow, lang: Lang) -> list[Line]:
        incident = self._incident_of(alert)
        if incident is None:
            return []
        return timeline(incident, self.notifier.store.attempts(incident.id), self.notifier.roster, lang)

    def contact_name(self, lang: Lang) -> str:
        coop = self.notifier.site.cooperative
        return pick(_CONTACT_NAME, lang).format(coop=coop.label_in(lang))

    def farm_number(self) -> str | None:
        return self.notifier.roster.farm_number

    def _incident_of(self, alert: AlertNow) -> Incident | None:
        since = alert.raised_at - timedelta(seconds=1)  # the incident's time kept to the millisecond
        return self.notifier.store.incident_since(alert.greenhouse, alert.source, since)

    def _name(self, person_id: str | None) -> str:
        person = self.notifier.roster.person(person_id or "")
        return person.name if person is not None else person_id or ""
