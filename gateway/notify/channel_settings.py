"""How this farm server reaches people, beyond the roster (``channels.yaml`` in the gateway's data dir, optional):
the modem's SMSD folders and configuration, the call port, the mail server, the Zalo Official Account, the
address links in messages point to, and the modem's health watch. A channel not set here writes what it would
have sent to the local outbox instead."""

from __future__ import annotations

from datetime import time
from pathlib import Path

from pydantic import Field

from contract.bounds import Strict
from contract.messages import Id
from gateway.notify.email_channel import SmtpSettings
from gateway.notify.modem_health import HealthLimits
from gateway.notify.ring_call import RingSettings
from gateway.notify.zalo_zns import ZnsSettings

CHANNELS_FILE = "channels.yaml"


class ModemSettings(Strict):
    smsd_dir: Path  # SMSD's files-backend folders (inbox, outbox, sent, error, calls) under one root
    smsd_config: Path | None = None  # SMSD's own configuration: the health watch reads its status with it


class WatchSettings(Strict):
    """The notifier watching its own modem: who hears when it degrades, and the optional daily "still working"."""

    tell: list[Id] = Field(min_length=1)  # roster people: the technician, usually
    every_min: float = Field(default=10, ge=1, le=24 * 60)
    limits: HealthLimits = HealthLimits()
    still_working_at: time | None = None  # local time of the daily message; none: no daily message


class ChannelSettings(Strict):
    app_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")  # what links in messages open
    vapid_contact: str | None = None  # mailto: or https: for the push services' operators; the project's otherwise
    modem: ModemSettings | None = None
    call: RingSettings | None = None
    email: SmtpSettings | None = None
    zalo: ZnsSettings | None = None
    watch: WatchSettings | None = None
