"""What goes into and comes out of the field bus layer: reads, writes and their results, each node's health."""

from __future__ import annotations

import warnings

from pydantic import BaseModel, ConfigDict, Field

from contract.devices.profile import Switch, TimedOn


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NodeRead(_Frozen):
    """One read of a node. ``values``: each sensor's raw (uncalibrated) value by sensor id, None where the node
    answered but holds no number there; ``values`` itself None when the node did not answer. ``outputs``: what
    the node's outputs read back (switch key → on?, positioner actuator id → %, "<motor id>:closed_limit" → at
    the closed end?), for those that can be read back and were."""

    node_id: str
    values: dict[str, float | None] | None
    outputs: dict[str, bool | float] = Field(default_factory=dict)
    detail: str = ""


class SwitchWrite(_Frozen):
    """Switch one output on or off. ``key``: the actuator id, or "<actuator id>:open" / ":close" for a motor's
    relays. With ``on``, ``timed_on`` and ``run_s``, the device is told to switch off by itself after ``run_s``
    (the edge renews the command at every poll, so a run longer than the device can time goes on)."""

    key: str
    switch: Switch
    on: bool
    timed_on: TimedOn | None = None
    run_s: float | None = Field(default=None, gt=0)


with warnings.catch_warnings():
    # "register" is the contract's name for the field; it shadows only ABCMeta.register, which nothing here calls.
    warnings.filterwarnings("ignore", message='Field name "register"')

    class PositionWrite(_Frozen):
        """Set a positioner (a holding register taking 0–100 %)."""

        key: str
        register: int = Field(ge=0, le=65535)
        position_pct: float = Field(ge=0, le=100)


FieldWrite = SwitchWrite | PositionWrite


class ChannelWrite(_Frozen):
    """Switch an output of a node on an MQTT bus on or off: its firmware's command for ``channel`` (Tasmota's
    "POWER1", an ESPHome switch's id, a Zigbee2MQTT state key). ``key``: the actuator id."""

    key: str
    channel: str
    on: bool


# What FieldIO.write takes: a Modbus write, or an MQTT node's command.
AnyWrite = FieldWrite | ChannelWrite


class WriteResult(_Frozen):
    """``ok``: the device acknowledged the write. ``verified``: read back afterwards, it shows what was written
    (False: it does not, the device ignored the write); None where it cannot be read back or the write failed."""

    key: str
    node_id: str
    ok: bool
    detail: str = ""
    verified: bool | None = None


class NodeHealth(_Frozen):
    """A node's record on its bus since the edge started. ``requests`` counts every frame sent to it, retries
    included; ``answers`` every answer, exceptions included.

    A node on an MQTT bus has no ``address``; ``requests`` counts the commands
    published to it, ``answers`` the messages read from it, ``crc_errors`` those that could not be read (not JSON,
    a wrong type, not finite, too large), ``timeouts`` the commands whose state it did not report in time."""

    node_id: str
    bus_id: str
    address: int | None
    requests: int = 0
    answers: int = 0
    timeouts: int = 0
    crc_errors: int = 0
    late_answers: int = 0
    exceptions: int = 0
    retries: int = 0
    quarantined: bool = False
    quarantined_for_s: float = 0.0


class Quarantine(_Frozen):
    """How long a node that stopped answering is left alone: ``first_s`` after it failed twice in a row, doubling
    after each failed probe up to ``max_s``."""

    first_s: float = Field(default=5.0, gt=0)
    max_s: float = Field(default=300.0, gt=0)
    failures: int = Field(default=2, ge=1)
