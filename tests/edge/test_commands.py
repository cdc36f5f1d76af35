"""Everything arriving on a cmd topic is untrusted: each bad command is refused with its reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from contract.messages import Command, CommandAction
from contract.reasons import Reason
from contract.site_file import load_site
from edge.commands import CarriedOut, Refusal, check_command
from tests.conftest import EXAMPLE_SITE

NOW = datetime(2026, 1, 15, 0, 0, tzinfo=UTC)
GH = load_site(EXAMPLE_SITE).greenhouse("ca-chua-1")
TOPIC = "gh/v1/htx-moc-chau/ca-chua-1/cmd/valve-a"


def _payload(**over: object) -> bytes:
    body: dict[str, object] = {
        "v": 1,
        "id": "c1",
        "actuator": "valve-a",
        "action": "on",
        "duration_s": 600,
        "issued_at": NOW.isoformat(),
        "expires_at": (NOW + timedelta(minutes=2)).isoformat(),
    }
    body.update(over)
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


def test_a_good_command_passes() -> None:
    cmd = check_command(TOPIC, _payload(), GH, NOW)
    assert isinstance(cmd, Command)
    assert cmd.action is CommandAction.ON and cmd.duration_s == 600


@pytest.mark.parametrize(
    ("topic", "payload", "reason", "detail"),
    [
        (TOPIC, b"{not json", Reason.BAD_PAYLOAD, "not JSON"),
        (TOPIC, b"\xff\xfe", Reason.BAD_PAYLOAD, "not JSON"),
        (TOPIC, _payload(duration_s="ten minutes"), Reason.INVALID_DURATION, "24"),
        (TOPIC, _payload(duration_s=-5), Reason.INVALID_DURATION, "24"),
        (TOPIC, _payload(duration_s=10 * 86400), Reason.INVALID_DURATION, "24"),
        (TOPIC, _payload(action="explode"), Reason.BAD_PAYLOAD, "action"),
        (TOPIC, _payload(v=2), Reason.BAD_PAYLOAD, "v"),
        (TOPIC, _payload(extra="x"), Reason.BAD_PAYLOAD, "extra"),
        (TOPIC, _payload(issued_at="2026-01-15T00:00:00"), Reason.BAD_PAYLOAD, "issued_at"),
        (TOPIC, _payload(actuator="valve-b"), Reason.WRONG_TARGET, "valve-b"),
        ("gh/v1/htx-moc-chau/ca-chua-1/cmd/sprinkler", _payload(actuator="sprinkler"), Reason.UNKNOWN_ACTUATOR, ""),
        ("gh/v1/htx-moc-chau/ca-chua-2/cmd/valve-a", _payload(), Reason.WRONG_TARGET, "topic"),
        (TOPIC, _payload(expires_at=(NOW - timedelta(seconds=1)).isoformat()), Reason.EXPIRED, ""),
        (TOPIC, _payload(duration_s=None), Reason.INVALID_DURATION, "no duration_s"),
        (TOPIC, _payload(position_pct=50), Reason.INVALID_POSITION, "no position"),
        (
            "gh/v1/htx-moc-chau/ca-chua-1/cmd/roof-vent",
            _payload(actuator="roof-vent"),
            Reason.INVALID_POSITION,
            "no position_pct",
        ),
        (TOPIC, b"x" * 5000, Reason.BAD_PAYLOAD, "too large"),
        # 4 KB of '[' made json.loads raise RecursionError, and the agent exited with every relay dropped.
        (TOPIC, b"[" * 4000, Reason.BAD_PAYLOAD, "recursion limit"),
        (TOPIC, b'{"id":' * 400 + b"1" + b"}" * 400, Reason.BAD_PAYLOAD, "recursion limit"),
        (TOPIC, _payload(duration_s="600"), Reason.INVALID_DURATION, "24"),  # strict: no "600" for 600
        (TOPIC, _payload(position_pct=True), Reason.INVALID_POSITION, ""),
        (TOPIC, _payload().decode().encode("utf-16"), Reason.BAD_PAYLOAD, "not JSON"),
        (TOPIC, _payload(expires_at=(NOW + timedelta(days=3650)).isoformat()), Reason.EXPIRY_TOO_FAR, "15"),
    ],
)
def test_bad_commands_are_refused_with_a_reason(topic: str, payload: bytes, reason: Reason, detail: str) -> None:
    result = check_command(topic, payload, GH, NOW)
    assert isinstance(result, Refusal)
    assert result.reason is reason
    assert detail in " ".join(result.params.values())


def test_refusal_echoes_the_command_id_when_there_is_one() -> None:
    result = check_command(TOPIC, _payload(id="abc-123", duration_s=-1), GH, NOW)
    assert isinstance(result, Refusal) and result.command_id == "abc-123"


def test_a_retained_command_is_refused_with_its_id() -> None:
    # A retained command reaches the agent again at each restart: carrying it out would repeat it for ever.
    result = check_command(TOPIC, _payload(id="kept-1"), GH, NOW, retained=True)
    assert isinstance(result, Refusal) and result.reason is Reason.RETAINED_COMMAND and result.command_id == "kept-1"


def test_a_command_id_is_carried_out_once_until_it_expires() -> None:
    carried = CarriedOut()
    first = check_command(TOPIC, _payload(id="once"), GH, NOW)
    again = check_command(TOPIC, _payload(id="once"), GH, NOW + timedelta(seconds=30))
    other = check_command(TOPIC, _payload(id="twice"), GH, NOW)
    assert isinstance(first, Command) and isinstance(again, Command) and isinstance(other, Command)
    assert carried.first_time(first, NOW)
    assert not carried.first_time(again, NOW + timedelta(seconds=30))
    assert carried.first_time(other, NOW + timedelta(seconds=30))
    # Past its expiry it is forgotten: the check refuses it as expired anyway, and the set stays small.
    assert carried.first_time(first, NOW + timedelta(minutes=3))
