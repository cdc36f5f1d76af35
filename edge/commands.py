"""Checking a manual command before the control layer sees it.

Everything that arrives on a cmd topic is untrusted: it becomes either a
``Command`` addressed to a known actuator of this greenhouse, or a ``Refusal``
that says exactly what was wrong. Nothing here raises.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from contract.messages import MAX_DURATION_S, Command, CommandAction
from contract.reasons import Reason
from contract.site import Greenhouse
from contract.topics import Channel, TopicError, parse

MAX_PAYLOAD_BYTES = 4096


@dataclass(frozen=True)
class Refusal:
    command_id: str
    actuator: str
    reason: Reason
    params: dict[str, str]


def _refuse(raw: object, target: str, reason: Reason, **params: str) -> Refusal:
    command_id = raw.get("id") if isinstance(raw, dict) else None
    return Refusal(str(command_id)[:64] if command_id is not None else "?", target, reason, params)


def _first_error(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "payload"
    return field, f"{field}: {err['msg']}"


def check_command(topic: str, payload: bytes, greenhouse: Greenhouse, now: datetime) -> Command | Refusal:
    try:
        target = parse(topic)
    except TopicError as exc:
        return Refusal("?", "?", Reason.WRONG_TARGET, {"detail": str(exc)})
    actuator_id = target.actuator or "?"
    if target.channel is not Channel.CMD or target.greenhouse != greenhouse.id:
        return Refusal("?", actuator_id, Reason.WRONG_TARGET, {"detail": f"topic {topic}"})
    if len(payload) > MAX_PAYLOAD_BYTES:
        return Refusal("?", actuator_id, Reason.BAD_PAYLOAD, {"detail": f"{len(payload)} bytes is too large"})
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Refusal("?", actuator_id, Reason.BAD_PAYLOAD, {"detail": f"not JSON ({exc})"})
    try:
        cmd = Command.model_validate(raw)
    except ValidationError as exc:
        field, detail = _first_error(exc)
        if field == "duration_s":
            return _refuse(
                raw, actuator_id, Reason.INVALID_DURATION, detail=f"must be between 0 and {MAX_DURATION_S} s"
            )
        if field == "position_pct":
            return _refuse(raw, actuator_id, Reason.INVALID_POSITION, detail="must be between 0 and 100 %")
        return _refuse(raw, actuator_id, Reason.BAD_PAYLOAD, detail=detail)
    if cmd.actuator != actuator_id:
        return _refuse(raw, actuator_id, Reason.WRONG_TARGET, detail=f"payload names {cmd.actuator!r}")
    actuator = greenhouse.actuators.get(cmd.actuator)
    if actuator is None:
        return _refuse(raw, actuator_id, Reason.UNKNOWN_ACTUATOR, actuator=actuator_id)
    if cmd.expires_at <= now:
        return _refuse(raw, actuator_id, Reason.EXPIRED)
    if cmd.action is not CommandAction.AUTO and cmd.duration_s is None:
        return _refuse(raw, actuator_id, Reason.INVALID_DURATION, detail="duration_s is required")
    if cmd.action is CommandAction.ON and actuator.kind.positional and cmd.position_pct is None:
        return _refuse(raw, actuator_id, Reason.INVALID_POSITION, detail="position_pct is required")
    if cmd.position_pct is not None and not actuator.kind.positional:
        return _refuse(raw, actuator_id, Reason.INVALID_POSITION, detail=f"a {actuator.kind.value} has no position")
    return cmd
