"""How an incident escalates, per severity: which step tells whom through which channels how long after it
opened; when an acknowledged critical incident comes back; and the quiet hours, which hold back warnings and
information — never a critical alert, which the model has no way to say."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator

from contract.bounds import Strict
from contract.messages import Severity
from contract.validation_words import Mistake
from gateway.notify.flood_limits import FloodLimits
from gateway.notify.roster import Channel


class Step(Strict):
    after_min: float = Field(ge=0, le=24 * 60)  # after the incident opened (or came back)
    rank: int = Field(ge=0, le=9)  # whom: 0 the person on duty, 1 the next in the greenhouse's list, …
    channels: list[Channel] = Field(min_length=1)


class Escalation(Strict):
    steps: list[Step] = Field(min_length=1, max_length=20)  # the last step caps the chain: nothing after it
    # Still open this long after an acknowledgement, the incident is told again from the first step.
    back_after_ack_min: float | None = Field(default=None, gt=0, le=24 * 60)

    @model_validator(mode="after")
    def _in_order(self) -> Escalation:
        times = [s.after_min for s in self.steps]
        if times != sorted(times):
            raise Mistake("các bước phải theo thứ tự thời gian", "the steps must be in time order")
        return self


class QuietHours(Strict):
    """Warnings and information found in these hours are told when they end. Critical alerts are told at once,
    always: there is no severity to choose here."""

    start: time
    end: time

    def holds(self, at: datetime, tz: ZoneInfo) -> datetime | None:
        """When a message due at ``at`` may go out: None if at once, else the end of the quiet hours."""
        local = at.astimezone(tz)
        clock = local.time()
        overnight = self.start > self.end
        inside = (clock >= self.start or clock < self.end) if overnight else (self.start <= clock < self.end)
        if not inside:
            return None
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        return end if end > local else end + timedelta(days=1)


class Policy(Strict):
    critical: Escalation
    warning: Escalation
    info: Escalation
    quiet: QuietHours | None = None
    flood: FloodLimits = FloodLimits()

    def escalation(self, severity: Severity) -> Escalation:
        return {Severity.CRITICAL: self.critical, Severity.WARNING: self.warning, Severity.INFO: self.info}[severity]


# Shipped defaults: a frost or a dry pump wakes the farmer on duty at once and keeps at it, then the backup, then
# the technician, then the cooperative's head; a warning is told once to the farmer and then to the technician.
DEFAULT_POLICY = Policy(
    critical=Escalation(
        steps=[
            Step(after_min=0, rank=0, channels=[Channel.PUSH, Channel.SMS]),
            Step(after_min=5, rank=0, channels=[Channel.SMS, Channel.CALL]),
            Step(after_min=10, rank=0, channels=[Channel.CALL]),
            Step(after_min=15, rank=1, channels=[Channel.PUSH, Channel.SMS, Channel.CALL]),
            Step(after_min=30, rank=2, channels=[Channel.SMS, Channel.CALL, Channel.EMAIL]),
            Step(after_min=45, rank=3, channels=[Channel.SMS, Channel.CALL]),
        ],
        back_after_ack_min=30,
    ),
    warning=Escalation(
        steps=[
            Step(after_min=0, rank=0, channels=[Channel.PUSH, Channel.SMS]),
            Step(after_min=60, rank=2, channels=[Channel.PUSH, Channel.EMAIL]),
        ]
    ),
    info=Escalation(steps=[Step(after_min=0, rank=0, channels=[Channel.PUSH])]),
    quiet=QuietHours(start=time(21, 0), end=time(6, 0)),
)
