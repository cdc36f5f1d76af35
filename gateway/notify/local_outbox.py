"""A channel that only writes down what it would send, one JSON line each: the demo's (a newcomer sees an
escalation happen without a modem) and the record a technician reads when no real channel is set up."""

from __future__ import annotations

import threading
from pathlib import Path

from pydantic import AwareDatetime, BaseModel

from gateway.notify.notifier import Delivery, Outgoing
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


class LocalOutbox:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def __call__(self, message: Outgoing) -> Delivery:
        line = Written(
            at=message.at,
            channel=message.send.channel,
            person=message.person.id,
            name=message.person.name,
            kind=message.send.kind.value,
            step=message.send.step,
            text=message.text,
        )
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line.model_dump_json() + "\n")
        return Delivery(ok=True)

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
