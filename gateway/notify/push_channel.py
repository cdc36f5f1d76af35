"""Phone notifications as a channel of the notifier: a message for a person goes to every phone their web-app
account turned notifications on with — an alert with its "Đã biết" button, whatever follows it (taken, cleared) as
a plain notification under the same incident's tag and topic, which replaces the alert's on the phone."""

from __future__ import annotations

import logging
from datetime import datetime

from gateway.notify.notifier import SKIPPED_NO_PHONE, Delivery, Outgoing
from gateway.notify.phone_book import PhoneBook
from gateway.notify.planner import SendKind
from gateway.notify.webpush import MAX_TTL_S, PushOutcome, PushPayload, Urgency, VapidKeys, send, urgency_for

log = logging.getLogger(__name__)

ACK_PATH = "/api/v1/notify/ack/"
# What follows an alert is news for an hour; the alert itself is kept for a phone that is off as long as a push
# service keeps anything: it stays true until it clears, and its clearing replaces it.
_AFTERWORD_TTL_S = 3600
# RFC 8292 §2.1: how the push services' operators reach a gateway's: the project's address unless the site sets one.
DEFAULT_CONTACT = "mailto:alerts@greenhouse.invalid"


def alerts_url(greenhouse: str) -> str:
    """The app's page of a greenhouse's alerts, where a notification opens."""
    return f"/#/gh/{greenhouse}/alerts"


class PushChannel:
    def __init__(self, phones: PhoneBook, keys: VapidKeys, contact: str = DEFAULT_CONTACT) -> None:
        self.phones = phones
        self.keys = keys
        self.contact = contact

    def __call__(self, message: Outgoing) -> Delivery:
        account = message.person.account
        subs = self.phones.phones(account) if account else []
        if not subs:
            return SKIPPED_NO_PHONE
        payload = self._payload(message)
        ttl_s = MAX_TTL_S if message.send.kind is SendKind.ALERT else _AFTERWORD_TTL_S
        urgency = urgency_for(message.incident.severity)
        outcomes = []
        for sub in subs:
            result = send(sub, payload, self.keys, ttl_s=ttl_s, urgency=urgency, contact=self.contact)
            if result.outcome is PushOutcome.GONE:
                self.phones.unsubscribe(sub.endpoint)  # the phone unsubscribed or was reset: nothing reaches it
                log.info("push subscription gone, dropped", extra={"account": account})
            outcomes.append(result)
        if any(r.outcome is PushOutcome.ACCEPTED for r in outcomes):
            return Delivery(ok=True)
        return Delivery(ok=False, detail="; ".join(f"{r.status or ''} {r.reason}".strip() for r in outcomes)[:300])

    def test(self, account: str, title: str, body: str, at: datetime) -> Delivery:
        """A notification to ``account``'s phones, outside any incident: the app's "send me a test alert"."""
        subs = self.phones.phones(account)
        if not subs:
            return SKIPPED_NO_PHONE
        payload = PushPayload.note(f"test-{account}-{int(at.timestamp())}", title, body, "/#/")
        results = [
            send(sub, payload, self.keys, ttl_s=_AFTERWORD_TTL_S, urgency=Urgency.HIGH, contact=self.contact)
            for sub in subs
        ]
        ok = any(r.outcome is PushOutcome.ACCEPTED for r in results)
        return Delivery(ok=ok, detail=None if ok else "; ".join(r.reason for r in results)[:300])

    def _payload(self, message: Outgoing) -> PushPayload:
        incident = message.incident
        url = alerts_url(incident.greenhouse)
        if message.send.kind is not SendKind.ALERT:
            return PushPayload.note(incident.id, message.title, message.body, url)
        token = self.phones.ack_token(incident.id, message.person.id, message.at)
        return PushPayload.alert(incident.id, message.title, message.body, url, message.person.lang, ACK_PATH + token)
