"""Checking a manual command before the control layer sees it.

Everything that arrives on a cmd topic is untrusted: it becomes either a
``Command`` addressed to a known actuator of this greenhouse, or a ``Refusal``
that says exactly what was wrong. Nothing here raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, StringConstraints, ValidationError

from contract.messages import MAX_DURATION_S, Command, CommandAction
from contract.reasons import Reason
from contract.site import Greenhouse
from contract.topics import Channel, TopicError, parse
from contract.wire import WireError, WireProblem, decode

MAX_PAYLOAD_BYTES = 4096
# A manual command is meant for now: the phone asks for 2 minutes (default_command_expiry). One that claims to
# stay valid for longer is a replay waiting to happen, or a clock gone wrong.
MAX_LIFETIME = timedelta(minutes=15)
_MAX_H = f"{MAX_DURATION_S / 3600:g}"


@dataclass(frozen=True)
class Refusal:
    command_id: str
    actuator: str
    reason: Reason
    params: dict[str, str]


class _Id(BaseModel):
    """Only the id of a refused command, so that its refusal answers the right waiter."""

    id: Annotated[str, StringConstraints(max_length=64)] = "?"


def _refuse(payload: bytes, target: str, reason: Reason, **params: str) -> Refusal:
    try:
        command_id = _Id.model_validate_json(payload).id
    except ValidationError:
        command_id = "?"
    return Refusal(command_id, target, reason, params)


def check_command(
    topic: str, payload: bytes, greenhouse: Greenhouse, now: datetime, retained: bool = False
) -> Command | Refusal:
    try:
        target = parse(topic)
    except TopicError as exc:
        return Refusal("?", "?", Reason.WRONG_TARGET, {"detail": str(exc)})
    actuator_id = target.actuator or "?"
    if target.channel is not Channel.CMD or target.greenhouse != greenhouse.id:
        return Refusal("?", actuator_id, Reason.WRONG_TARGET, {"detail": f"topic {topic}"})
    cmd = decode(Command, payload, MAX_PAYLOAD_BYTES)
    if isinstance(cmd, WireError):
        if cmd.problem is WireProblem.TOO_LARGE:
            return Refusal("?", actuator_id, Reason.BAD_PAYLOAD, {"detail": f"{len(payload)} bytes is too large"})
        if cmd.field == "duration_s":
            return _refuse(payload, actuator_id, Reason.INVALID_DURATION, max_h=_MAX_H)
        if cmd.field == "position_pct":
            return _refuse(payload, actuator_id, Reason.INVALID_POSITION)
        detail = cmd.detail if cmd.problem is WireProblem.INVALID else f"not JSON ({cmd.detail})"
        return _refuse(payload, actuator_id, Reason.BAD_PAYLOAD, detail=detail)
    if retained:
        # The broker hands a retained command to every new connection: it would run again at each restart.
        return Refusal(cmd.id, actuator_id, Reason.RETAINED_COMMAND, {})
    if cmd.actuator != actuator_id:
        return Refusal(cmd.id, actuator_id, Reason.WRONG_TARGET, {"detail": f"payload names {cmd.actuator!r}"})
    actuator = greenhouse.actuators.get(cmd.actuator)
    if actuator is None:
        return Refusal(cmd.id, actuator_id, Reason.UNKNOWN_ACTUATOR, {"actuator": actuator_id})
    if cmd.expires_at <= now:
        return Refusal(cmd.id, actuator_id, Reason.EXPIRED, {})
    if cmd.expires_at > now + MAX_LIFETIME:
        return Refusal(cmd.id, actuator_id, Reason.EXPIRY_TOO_FAR, {"max_min": str(_minutes(MAX_LIFETIME))})
    # What was wrong stays in ``detail`` for a technician's log; the text the sender reads says what to give.
    if cmd.action is not CommandAction.AUTO and cmd.duration_s is None:
        return Refusal(cmd.id, actuator_id, Reason.INVALID_DURATION, {"max_h": _MAX_H, "detail": "no duration_s"})
    if cmd.action is CommandAction.ON and actuator.kind.positional and cmd.position_pct is None:
        return Refusal(cmd.id, actuator_id, Reason.INVALID_POSITION, {"detail": "no position_pct"})
    if cmd.position_pct is not None and not actuator.kind.positional:
        detail = f"a {actuator.kind.value} has no position"
        return Refusal(cmd.id, actuator_id, Reason.INVALID_POSITION, {"detail": detail})
    return cmd


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)


class CarriedOut:
    """Command ids already carried out, each kept until its command expires: a replay of one (the same
    message again, from the broker or anyone) is refused, and the set stays small because lifetimes are bounded."""

    def __init__(self, remembered: dict[str, datetime] | None = None) -> None:
        self._until: dict[str, datetime] = dict(remembered or {})

    @property
    def until(self) -> dict[str, datetime]:
        """Each id with the expiry of its command, for the agent's memory."""
        return dict(self._until)

    def first_time(self, cmd: Command, now: datetime) -> bool:
        """True the first time this id is seen (and remembers it); False for a repeat."""
        self._until = {cid: until for cid, until in self._until.items() if until > now}
        if cmd.id in self._until:
            return False
        self._until[cmd.id] = cmd.expires_at
        return True
