"""The MQTT topic scheme: ``gh/v1/{site}/{greenhouse}/{channel}[/{actuator}]``.

Every component builds and parses topics here, so the scheme lives in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

PREFIX = "gh"
VERSION = "v1"

# Ids become topic levels, so they must never contain MQTT wildcards or separators.
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
_ID_RE = re.compile(ID_PATTERN)


class Channel(StrEnum):
    TELEMETRY = "telemetry"
    # Telemetry an edge sends late, catching up after an outage: the gateway takes it on a connection of its own,
    # behind live data (gateway/ingest/receiver.py), so that a backlog never delays other greenhouses' readings.
    BACKLOG = "backlog"
    STATUS = "status"
    STATE = "state"
    CMD = "cmd"
    ACK = "ack"
    RULES = "rules"
    RULES_STATUS = "rules_status"
    EVENTS = "events"
    STORED = "stored"  # the gateway's word to one edge: these messages are durably kept, forget them
    ROSTER = "roster"  # the notifier's word to one edge: whom to text itself when its uplink is gone


@dataclass(frozen=True)
class Topic:
    site: str
    greenhouse: str
    channel: Channel
    actuator: str | None = None

    def __str__(self) -> str:
        base = f"{PREFIX}/{VERSION}/{self.site}/{self.greenhouse}/{self.channel.value}"
        return f"{base}/{self.actuator}" if self.actuator else base


class TopicError(ValueError):
    """A topic that does not follow the scheme."""


def check_id(value: str, what: str) -> str:
    if not _ID_RE.match(value):
        raise TopicError(f"{what} {value!r} is not a valid id (lowercase letters, digits, '-' or '_')")
    return value


def topic(site: str, greenhouse: str, channel: Channel, actuator: str | None = None) -> str:
    check_id(site, "site")
    check_id(greenhouse, "greenhouse")
    if (channel is Channel.CMD) != (actuator is not None):
        raise TopicError("an actuator is named in cmd topics and only there")
    if actuator is not None:
        check_id(actuator, "actuator")
    return str(Topic(site, greenhouse, channel, actuator))


def subscription(channel: Channel, site: str = "+", greenhouse: str = "+") -> str:
    """A subscription filter for one channel, by default across every site and greenhouse."""
    suffix = "/+" if channel is Channel.CMD else ""
    return f"{PREFIX}/{VERSION}/{site}/{greenhouse}/{channel.value}{suffix}"


def parse(name: str) -> Topic:
    parts = name.split("/")
    if len(parts) not in (5, 6) or parts[0] != PREFIX or parts[1] != VERSION:
        raise TopicError(f"topic {name!r} is not under {PREFIX}/{VERSION}/<site>/<greenhouse>/")
    try:
        channel = Channel(parts[4])
    except ValueError:
        raise TopicError(f"topic {name!r} has unknown channel {parts[4]!r}") from None
    actuator = parts[5] if len(parts) == 6 else None
    if (channel is Channel.CMD) != (actuator is not None):
        raise TopicError(f"topic {name!r}: only cmd topics name an actuator, and they must")
    check_id(parts[2], "site")
    check_id(parts[3], "greenhouse")
    if actuator is not None:
        check_id(actuator, "actuator")
    return Topic(parts[2], parts[3], channel, actuator)
