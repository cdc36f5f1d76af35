"""The notifier's record of what it sent, one JSON line each — and, for a channel this server has not (the demo's
modem), the channel itself: it writes down what would have gone. A newcomer sees an escalation happen without a
modem; a technician reads what went out, and what did not, on every channel."""

from __future__ import annotations

import threading
from pathlib import Path

from pydantic import AwareDatetime, BaseModel

from gateway.notify.notifier import Delivery, Outgoing, Sender
from gateway.notify.roster import Channel

OUTBOX_FILE = "notify-outbox.jsonl"  # in the gateway's data dir


class Written(BaseModel):
    at: AwareDatetime
    channel: Channel
    person: str
    name: str  # the person's, as the roster gives it
    kind: str
    step: int
    text: str
    ok: bool = True
    detail: str | None = None  # why it did not go, as the channel said


class LocalOutbox:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def __call__(self, message: Outgoing) -> Delivery:
        """A channel this server has not: written down as if sent."""
        delivery = Delivery(ok=True)
        self.write(message, delivery)
        return delivery

    def write(self, message: Outgoing, delivery: Delivery) -> None:
        line = Written(
            at=message.at,
            channel=message.send.channel,
            person=message.person.id,
            name=message.person.name,
            kind=message.send.kind.value,
            step=message.send.step,
            text=message.text,
            ok=delivery.ok,
            detail=delivery.detail,
        )
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line.model_dump_json() + "\n")

    def recording(self, sender: Sender) -> Sender:
        """``sender``, with each message it was asked to send written down with how it went (a person the channel
        cannot reach at all — no phone with notifications on — is not written: nothing was tried)."""

        def send(message: Outgoing) -> Delivery:
            delivery = sender(message)
            if not delivery.skipped:
                self.write(message, delivery)
            return delivery

        return send

    def read(self) -> list[Written]:
        return self.since(0)[0]

    def since(self, offset: int) -> tuple[list[Written], int]:
        """What was written after byte ``offset``, and the offset to read on from: whole lines only, so that a line
        the gateway is still writing is read next time, not half now."""
        if not self.path.exists():
            return [], offset
        with self.path.open("rb") as written:
            written.seek(offset)
            data = written.read()
        whole = data[: data.rfind(b"\n") + 1]
        lines = whole.decode("utf-8").splitlines()
        return [Written.model_validate_json(line) for line in lines if line.strip()], offset + len(whole)
