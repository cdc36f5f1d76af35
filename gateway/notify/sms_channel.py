"""SMS through the farm server's modem (Gammu SMSD's folders): the notifier's sender, in the form each person reads
best, and the replies and missed calls that acknowledge."""

from __future__ import annotations

import logging
from datetime import datetime

from contract.messages import Severity
from edge.modem.gammu_sms import IncomingCall, IncomingSms, Priority, SetAside, SmsdFolders, SmsdInbox, SmsdOutbox
from edge.modem.sms_text import SmsForm, fit
from gateway.notify.notifier import Delivery, Notifier, Outgoing

log = logging.getLogger(__name__)


class SmsChannel:
    def __init__(self, folders: SmsdFolders) -> None:
        self.outbox = SmsdOutbox(folders)
        self.inbox = SmsdInbox(folders)

    def __call__(self, message: Outgoing) -> Delivery:
        """Queued for the modem under the send's key (a repeat after a crash writes nothing new)."""
        person = message.person
        if person.phone is None:
            return Delivery(ok=False, detail=f"{person.name}: no phone number")
        form = SmsForm.PLAIN if person.plain_sms else SmsForm.UNICODE
        urgent = message.incident.severity is Severity.CRITICAL
        priority = Priority.URGENT if urgent else Priority.NORMAL
        self.outbox.send(person.phone, fit(message.text, form), message.send.key, priority)
        return Delivery(ok=True)

    def take_replies(self, notifier: Notifier, at: datetime) -> list[SetAside]:
        """Each reply and missed call from the modem handed to the notifier; what cannot be read, set aside."""

        def reply(sms: IncomingSms) -> None:
            notifier.reply(sms.number, sms.text, at)

        def call(rang: IncomingCall) -> None:
            notifier.reply(rang.number, "OK", at)  # a call back to the farm's number takes it, unanswered

        return self.inbox.drain_sms(reply) + self.inbox.drain_calls(call)
