"""SMS through the farm server's modem (Gammu SMSD's folders): the notifier's sender, in the form each person reads
best, and the replies and missed calls that acknowledge."""

from __future__ import annotations

import logging
from datetime import datetime

from contract.messages import Severity
from contract.wording import pick
from edge.modem.gammu_sms import IncomingCall, IncomingSms, Priority, SetAside, SmsdFolders, SmsdInbox, SmsdOutbox
from edge.modem.sms_text import SmsForm, fit, segments
from gateway.notify import words
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
        if message.ok_number is None:
            text = fit(message.text, form)
        else:
            text = fit_ending(message.text, pick(words.REPLY_OK, person.lang).format(number=message.ok_number), form)
        self.outbox.send(person.phone, text, message.send.key, priority)
        return Delivery(ok=True)

    def take_replies(self, notifier: Notifier, at: datetime) -> list[SetAside]:
        """Each reply and missed call from the modem handed to the notifier; what cannot be read, set aside."""

        def reply(sms: IncomingSms) -> None:
            notifier.reply(sms.number, sms.text, at)

        def call(rang: IncomingCall) -> None:
            notifier.reply(rang.number, "OK", at)  # a call back to the farm's number takes it, unanswered

        return self.inbox.drain_sms(reply) + self.inbox.drain_calls(call)


# Separators that would dangle before the ellipsis of a shortened text.
_TRAILING = " \t\r\n.,;:-—–"


def fit_ending(text: str, ending: str, form: SmsForm) -> str:
    """``text`` then ``ending`` (the number to reply with) as one SMS in ``form``: the text is shortened, word by
    word and with an ellipsis, never the ending — a farmer who cannot read the number cannot take this one alone."""
    tail = fit(ending, form)
    said = text.split()
    for count in range(len(said), 0, -1):
        head = " ".join(said[:count])
        if count < len(said):
            head = head.rstrip(_TRAILING) + "…"
        said_head = fit(head, form)
        whole = f"{said_head}{' ' if said_head.endswith(('…', '...')) else '. '}{tail}"
        if segments(whole).count == 1:
            return whole
    return tail
