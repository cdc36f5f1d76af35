"""Manual commands from the phone: built into the contract's ``Command``, published to the greenhouse, and
answered with the edge's acknowledgement — or with "no answer" when the greenhouse does not reply in time."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from contract.messages import AckOutcome, Command, CommandAck, CommandAction
from contract.reasons import render
from contract.site import Greenhouse
from gateway.live.models import CommandAnswer, CommandOutcome, CommandRequest
from gateway.live.words import NO_ANSWER

# Long enough for an edge on 3G; a command that arrives later than its expiry is refused by the edge itself.
EXPIRY = timedelta(minutes=2)
# A farmer tapping "water 10 minutes" when no duration is given.
DEFAULT_DURATION_S = 600.0
_OUTCOMES = {
    AckOutcome.ACCEPTED: CommandOutcome.ACCEPTED,
    AckOutcome.CLIPPED: CommandOutcome.CLIPPED,
    AckOutcome.REFUSED: CommandOutcome.REFUSED,
}


def build_command(request: CommandRequest, issued_by: str, now: datetime) -> Command:
    duration = request.duration_s
    if duration is None and request.action is not CommandAction.AUTO:
        duration = DEFAULT_DURATION_S
    return Command(
        id=uuid.uuid4().hex,
        actuator=request.actuator,
        action=request.action,
        duration_s=duration,
        position_pct=request.position_pct,
        issued_at=now,
        expires_at=now + EXPIRY,
        issued_by=issued_by[:64],
        reason="phone",
    )


def answer_of(ack: CommandAck, greenhouse: Greenhouse | None = None) -> CommandAnswer:
    """The edge's answer in words: who the command was from, and what was refused or shortened, named as the
    site file names it (ids without ``greenhouse``)."""
    return CommandAnswer(
        command_id=ack.command_id,
        outcome=_OUTCOMES[ack.outcome],
        reason=ack.reason.value,
        text_vi=render(ack.reason, ack.reason_params, "vi", greenhouse),
        text_en=render(ack.reason, ack.reason_params, "en", greenhouse),
        effective_duration_s=ack.effective_duration_s,
    )


def no_answer(command: Command) -> CommandAnswer:
    minutes = f"{EXPIRY.total_seconds() / 60:g}"
    vi, en = (w.format(expires_min=minutes) for w in NO_ANSWER)
    return CommandAnswer(
        command_id=command.id, outcome=CommandOutcome.NO_ANSWER, reason="no_answer", text_vi=vi, text_en=en
    )


class Acks:
    """Waiters for acknowledgements, by command id; the feed resolves them as acks arrive."""

    def __init__(self) -> None:
        self._waiting: dict[str, tuple[threading.Event, list[CommandAck]]] = {}
        self._lock = threading.Lock()

    def expect(self, command_id: str) -> Callable[[float], CommandAck | None]:
        """Register before publishing (the ack may come back at once); the result waits up to N seconds."""
        done, box = threading.Event(), []
        with self._lock:
            self._waiting[command_id] = (done, box)

        def wait(timeout_s: float) -> CommandAck | None:
            done.wait(timeout_s)
            with self._lock:
                self._waiting.pop(command_id, None)
            return box[0] if box else None

        return wait

    def resolve(self, ack: CommandAck) -> None:
        with self._lock:
            waiter = self._waiting.get(ack.command_id)
        if waiter is not None:
            done, box = waiter
            box.append(ack)
            done.set()
