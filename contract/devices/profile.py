"""A device profile: one device model's register map as data, so that a site file names a profile, a bus and an
address, and the profile fills in the rest. Profiles are YAML files — shipped with the package
(``contract/devices/profiles/``) or written by a technician for a new device, without Python — each citing where
its map comes from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from contract.bounds import PhysicalRange, Strict
from contract.config_file import ConfigError, load_model
from contract.devices.encoding import Encoding, Table
from contract.kinds import SensorKind
from contract.messages import Id
from contract.reasons import Lang
from contract.validation_words import Mistake, Words

SHIPPED = Path(__file__).parent / "profiles"


class Parity(StrEnum):
    NONE = "N"
    EVEN = "E"
    ODD = "O"


class Baud(IntEnum):
    """The rates RS485 field devices offer."""

    B1200 = 1200
    B2400 = 2400
    B4800 = 4800
    B9600 = 9600
    B19200 = 19200
    B38400 = 38400
    B57600 = 57600
    B115200 = 115200


class Serial(Strict):
    """The line settings the device ships with (8 data bits: every Modbus RTU device)."""

    baud: Baud = Baud.B9600
    parity: Parity = Parity.NONE
    stop_bits: Literal[1, 2] = 1


class ProfileSensor(Strict):
    key: Id  # how a site file names this value of the device, e.g. "temperature"
    kind: SensorKind
    encoding: Encoding
    range: PhysicalRange  # what the device measures at most: beyond it, a value is its error


class Switch(Strict):
    """How an on/off output is written, and what reading it back gives (None: the device cannot be read back)."""

    table: Literal[Table.COIL, Table.HOLDING_REGISTER]
    address: int = Field(ge=0, le=65535)
    on_value: int = Field(default=1, ge=0, le=0xFFFF)
    off_value: int = Field(default=0, ge=0, le=0xFFFF)
    reads_on: int | None = Field(default=1, ge=0, le=0xFFFF)
    reads_off: int | None = Field(default=0, ge=0, le=0xFFFF)

    @model_validator(mode="after")
    def _values(self) -> Switch:
        if self.on_value == self.off_value:
            raise Mistake("on_value và off_value phải khác nhau", "on_value and off_value must differ")
        if self.table is Table.COIL and {self.on_value, self.off_value} != {0, 1}:
            raise Mistake("coil được ghi 1 (bật) và 0 (tắt)", "a coil is written 1 (on) and 0 (off)")
        if (self.reads_on is None) != (self.reads_off is None):
            raise Mistake(
                "ghi cả reads_on và reads_off, hoặc không ghi cả hai (khi thiết bị không đọc lại được)",
                "give both reads_on and reads_off, or neither (the device cannot be read back)",
            )
        if self.reads_on is not None and self.reads_on == self.reads_off:
            raise Mistake("reads_on và reads_off phải khác nhau", "reads_on and reads_off must differ")
        return self


class TimedOn(Strict):
    """A run the device times itself (written value = ``base`` + duration ÷ ``unit_s``), so that an output ends on
    time even if the edge's computer dies mid-run: a holding register (function 06), or a coil address written
    with function 05 and the time as its value instead of on/off (Waveshare's "flash on")."""

    table: Literal[Table.COIL, Table.HOLDING_REGISTER] = Table.HOLDING_REGISTER
    address: int = Field(ge=0, le=65535)
    base: int = Field(default=0, ge=0, le=0xFFFF)
    unit_s: float = Field(gt=0, le=3600)
    max_units: int = Field(ge=1, le=0xFFFF)

    @model_validator(mode="after")
    def _fits(self) -> TimedOn:
        if self.base + self.max_units > 0xFFFF:
            raise Mistake(
                f"base {self.base} + max_units {self.max_units} vượt quá giá trị một thanh ghi chứa được",
                f"base {self.base} + max_units {self.max_units} does not fit a register",
            )
        return self

    def value(self, duration_s: float) -> int:
        """The register value for a run of ``duration_s``, at least one unit, capped at ``max_units``."""
        units = min(self.max_units, max(1, round(duration_s / self.unit_s)))
        return self.base + units


class ProfileOutput(Strict):
    key: Id  # e.g. "relay-1"
    switch: Switch
    timed_on: TimedOn | None = None


def _unique(keys: Iterable[str], what: Words) -> None:
    repeated = ", ".join(sorted(k for k, n in Counter(keys).items() if n > 1))
    if repeated:
        raise Mistake(f"{what.vi} {repeated} được ghi nhiều lần", f"{what.en} {repeated} given more than once")


class DeviceProfile(Strict):
    id: Id
    version: int = Field(ge=1)
    name: str = Field(min_length=1, max_length=200)
    name_vi: str | None = Field(default=None, min_length=1, max_length=200)  # for a Vietnamese reader; else name
    models: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(min_length=1)
    # Where the register map comes from: a manual, a datasheet, a well-used driver. At least one.
    sources: list[Annotated[str, Field(min_length=5, max_length=500)]] = Field(min_length=1)
    serial: Serial = Serial()
    default_address: int = Field(default=1, ge=1, le=247)
    sensors: list[ProfileSensor] = Field(default_factory=list)
    outputs: list[ProfileOutput] = Field(default_factory=list)
    notes: str = ""

    def label(self, lang: Lang) -> str:
        return self.name_vi if lang == "vi" and self.name_vi else self.name

    @model_validator(mode="after")
    def _sound(self) -> DeviceProfile:
        if not self.sensors and not self.outputs:
            raise Mistake(
                "một hồ sơ thiết bị phải có ít nhất một cảm biến (sensors) hoặc một đầu ra (outputs)",
                "a profile gives at least one sensor or one output",
            )
        _unique([*(s.key for s in self.sensors), *(o.key for o in self.outputs)], Words("key", "key"))
        for o in self.outputs:
            if not o.switch.table.writable:
                raise Mistake(
                    f"đầu ra {o.key}: không ghi được vào {o.switch.table.value}",
                    f"output {o.key}: a {o.switch.table.value} cannot be written",
                )
        return self


class ProfileError(ValueError):
    """Profiles that cannot be used together: one id twice, in two files."""


def load_profiles(folders: Iterable[Path]) -> dict[str, DeviceProfile]:
    """Every ``*.yaml`` profile in ``folders``, by id. Raises ConfigError naming the file and line of a bad one,
    and ProfileError for an id given by two files."""
    found: dict[str, tuple[DeviceProfile, Path]] = {}
    problems: list[str] = []
    for folder in folders:
        for path in sorted(folder.glob("*.yaml")):
            try:
                profile = load_model(path, DeviceProfile)
            except ConfigError as exc:
                problems += exc.problems
                continue
            if profile.id in found:
                problems.append(f"{path}: profile {profile.id!r} is already given by {found[profile.id][1]}")
                continue
            found[profile.id] = (profile, path)
    if problems:
        raise ProfileError("\n".join(problems))
    return {pid: profile for pid, (profile, _path) in found.items()}


@cache
def shipped_profiles() -> dict[str, DeviceProfile]:
    """The profiles shipped with the package, read once."""
    return load_profiles([SHIPPED])


@dataclass(frozen=True)
class ProfileBook:
    """The profiles a site file may name: handed to the site model's validators as their context."""

    profiles: Mapping[str, DeviceProfile]

    @classmethod
    def for_site(cls, site_folder: Path) -> ProfileBook:
        """Shipped profiles and the site's own, written by a technician in ``profiles/`` beside the site file."""
        own = site_folder / "profiles"
        if not own.is_dir():
            return cls(shipped_profiles())
        return cls(load_profiles([SHIPPED, own]))
