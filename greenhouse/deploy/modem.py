"""The farm server's modem set up for the notifier: Gammu SMSD's configuration, folders and call hook, the call
port's gammurc, and the ``modem:``/``call:`` sections of the gateway's ``channels.yaml``.

Written for one of two SMSDs. One started on this machine (by hand, or by systemd) reads the files where they are.
The stack's ``smsd`` service (docker-compose.yml, profile ``modem``) and its gateway see the gateway's data dir at
/data and the modem at /dev/modem: when the data dir is the stack's (stack/gateway-data beside its .env), the files
name what the containers see, and .env gets the host's ports and the ``modem`` profile, so that ``docker compose
up -d`` starts SMSD too. Both containers name SMSD's configuration by the same path in the same files, which
matters beyond tidiness: SMSD's status lives in System V shared memory keyed by that file (ftok of its inode, in
smsd/core.c), and the gateway's health watch reads it with ``gammu-smsd-monitor`` given the same file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from contract.config_file import parse_model
from contract.durable import write_atomically
from edge.modem.gammu_sms import Modem, SmsdFolders, smsd_config, write_call_hook
from gateway.notify.channel_settings import CHANNELS_FILE, ChannelSettings
from gateway.notify.ring_call import gammurc
from gateway.notify.roster import ROSTER_FILE
from greenhouse.deploy.layout import StackLayout

SMSD_CONFIG = "smsdrc"
CALL_HOOK = "incoming-call.sh"
SMSD_LOG = "smsd.log"
CALL_GAMMURC = "call-port.gammurc"  # in the data dir: only the gateway dials, SMSD never reads it
DEFAULT_SPOOL = "smsd"  # under the data dir

# As docker-compose.yml has them.
STACK_DATA = Path("/data")
STACK_DEVICE = "/dev/modem"
STACK_CALL_DEVICE = "/dev/modem-call"
MODEM_PROFILE = "modem"
DEVICE_ENV = "MODEM_DEVICE"
CALL_DEVICE_ENV = "MODEM_CALL_DEVICE"
PROFILES_ENV = "COMPOSE_PROFILES"

DUMMY = "dummy"  # Gammu's dummy phone: a folder that plays the modem, for tests


def stack_of(data_dir: Path) -> StackLayout | None:
    """The stack whose gateway data dir ``data_dir`` is, if it is one (``greenhouse init`` made it)."""
    root = data_dir.resolve().parent.parent
    layout = StackLayout(root)
    return layout if layout.env.is_file() and layout.gateway_data == data_dir.resolve() else None


@dataclass(frozen=True)
class Sight:
    """How SMSD and the gateway see the paths of this machine: as they are, or under /data in the stack's
    containers."""

    data_dir: Path
    in_stack: bool

    def of(self, path: Path) -> Path:
        return STACK_DATA / path.resolve().relative_to(self.data_dir.resolve()) if self.in_stack else path.absolute()


@dataclass(frozen=True)
class ModemSetup:
    data_dir: Path
    spool: Path
    device: str
    call_device: str | None = None
    model: str = ""
    pin: str | None = None

    @property
    def stack(self) -> StackLayout | None:
        return stack_of(self.data_dir)

    @property
    def sight(self) -> Sight:
        return Sight(self.data_dir, self.stack is not None)

    @property
    def folders(self) -> SmsdFolders:
        return SmsdFolders.under(self.spool)

    @property
    def smsd_conf(self) -> Path:
        return self.spool / SMSD_CONFIG

    @property
    def call_hook(self) -> Path:
        return self.spool / CALL_HOOK

    @property
    def call_gammurc(self) -> Path:
        return self.data_dir / CALL_GAMMURC

    @property
    def channels_file(self) -> Path:
        return self.data_dir / CHANNELS_FILE

    @property
    def roster_file(self) -> Path:
        return self.data_dir / ROSTER_FILE

    def modem(self, device: str) -> Modem:
        return Modem(device=device, connection="none" if self.model == DUMMY else "at", model=self.model)

    def smsd_text(self) -> str:
        seen = self.sight.of
        device = STACK_DEVICE if self.stack is not None else self.device
        text = smsd_config(
            SmsdFolders.under(seen(self.spool)),
            self.modem(device),
            call_hook=seen(self.call_hook),
            log_file=seen(self.spool / SMSD_LOG),
        )
        # A USB modem has no battery to ask about; the dummy phone has no SIM or radio either.
        extra = ["checkbattery = 0"]
        if self.model == DUMMY:
            extra += ["checksecurity = 0", "checknetwork = 0", "checksignal = 0"]
        if self.pin is not None:
            extra.append(f"pin = {self.pin}")
        return text + "\n".join(extra) + "\n"

    def gammurc_text(self) -> str:
        assert self.call_device is not None
        return gammurc(self.modem(STACK_CALL_DEVICE if self.stack is not None else self.call_device))

    def sections(self) -> dict[str, dict[str, str]]:
        """The sections of channels.yaml this set-up writes."""
        seen = self.sight.of
        written = {"modem": {"smsd_dir": str(seen(self.spool)), "smsd_config": str(seen(self.smsd_conf))}}
        if self.call_device is not None:
            written["call"] = {"gammurc": str(seen(self.call_gammurc))}
        return written

    def existing(self) -> list[Path]:
        """What this set-up would replace: files, and channels.yaml when it has a section it writes."""
        found = [p for p in (self.smsd_conf, self.call_hook) if p.exists()]
        if self.call_device is not None and self.call_gammurc.exists():
            found.append(self.call_gammurc)
        if set(_mapping(self.channels_file)) & set(self.sections()):
            found.append(self.channels_file)
        return found

    def write(self) -> list[Path]:
        """Writes everything (what is there is replaced: the caller asked); the files written, in order."""
        self.folders.create()
        hook_calls = self.sight.of(self.folders.calls)
        write_call_hook(self.call_hook, hook_calls)
        write_atomically(self.smsd_conf, self.smsd_text().encode("utf-8"))
        written = [self.smsd_conf, self.call_hook]
        if self.call_device is not None:
            write_atomically(self.call_gammurc, self.gammurc_text().encode("utf-8"))
            written.append(self.call_gammurc)
        merged = merge_sections(_text(self.channels_file), self.sections())
        parse_model(merged, self.channels_file, ChannelSettings)  # what the gateway will read: never a broken file
        write_atomically(self.channels_file, merged.encode("utf-8"))
        written.append(self.channels_file)
        if self.stack is not None:
            values = {DEVICE_ENV: self.device, **({CALL_DEVICE_ENV: self.call_device} if self.call_device else {})}
            set_env(self.stack.env, values, profile=MODEM_PROFILE)
            written.append(self.stack.env)
        return written


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _mapping(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(_text(path)) if path.exists() else None
    return loaded if isinstance(loaded, dict) else {}


_TOP_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)\s*:")


def merge_sections(text: str, sections: dict[str, dict[str, str]]) -> str:
    """``text`` (a YAML mapping) with ``sections`` put in: each replaces the block of the same top-level key where it
    stands, or is added at the end; the other lines, comments included, stay as the technician wrote them. A file
    this cannot follow (flow style, say) is written out again whole, without its comments, rather than wrongly."""
    lines = text.splitlines()
    for key, value in sections.items():
        block = yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True).splitlines()
        start = next((i for i, line in enumerate(lines) if (m := _TOP_KEY.match(line)) and m["key"] == key), None)
        if start is None:
            lines += block
            continue
        end = start + 1
        while end < len(lines) and (not lines[end].strip() or lines[end][0].isspace()):
            end += 1
        lines[start:end] = block
    merged = "\n".join(lines) + "\n"
    loaded = yaml.safe_load(text) if text.strip() else {}
    expected = {**(loaded if isinstance(loaded, dict) else {}), **sections}
    if yaml.safe_load(merged) != expected:
        return yaml.safe_dump(expected, sort_keys=False, allow_unicode=True)
    return merged


def set_env(path: Path, values: dict[str, str], profile: str) -> None:
    """Sets ``values`` in a stack's .env (a line replaced, or added) and adds ``profile`` to COMPOSE_PROFILES, which
    docker compose reads from .env: ``docker compose up -d`` then starts the profile's services. The file holds the
    stack's secrets: it stays readable by its owner only, and is replaced whole."""
    lines = path.read_text(encoding="utf-8").splitlines()
    current = dict(line.split("=", 1) for line in lines if "=" in line and not line.lstrip().startswith("#"))
    profiles = [p for p in current.get(PROFILES_ENV, "").split(",") if p]
    wanted = {**values, PROFILES_ENV: ",".join([*profiles, profile] if profile not in profiles else profiles)}
    for key, value in wanted.items():
        at = next((i for i, line in enumerate(lines) if line.split("=", 1)[0] == key), None)
        if at is None:
            lines.append(f"{key}={value}")
        else:
            lines[at] = f"{key}={value}"
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
