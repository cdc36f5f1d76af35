"""The notifier's two settings files in the gateway's data dir, as the web app and ``greenhouse roster`` edit them:
``roster.yaml`` (who is told about which greenhouse, and how) and ``notify-policy.yaml`` (how an alert escalates;
optional — the shipped defaults without it).

Each is read with the sha256 of its text, so that a page saving over a file somebody else saved meanwhile is
refused rather than silently undoing their change. A save replaces the file atomically and keeps the old one beside
it as ``<name>.prev``. ``SettingsWatch`` tells the running notifier when either file changed on disk (a CLI edit).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import yaml
from pydantic import BaseModel, model_validator

from contract.config_file import ConfigError, parse_model
from contract.durable import write_atomically
from contract.messages import text_sha256
from contract.validation_words import Mistake
from gateway.notify.policy import DEFAULT_POLICY, Policy
from gateway.notify.roster import ROSTER_FILE, Channel, Roster

log = logging.getLogger(__name__)

POLICY_FILE = "notify-policy.yaml"  # in the gateway's data dir, beside roster.yaml
NO_FILE = ""  # the "sha256" of a file that is not there yet: a page that started from nothing
# The channels that wake a sleeping farmer: a phone notification may be silenced by the phone, an email is not read
# at 3 a.m.
WAKING = frozenset({Channel.SMS, Channel.CALL})

M = TypeVar("M", bound=BaseModel)


class CooperativePolicy(Policy):
    """The escalation settings as a cooperative sets them: whatever else is chosen, a critical alert (frost, a pump
    running dry) wakes somebody at once — its first step is at minute 0 and sends an SMS or rings."""

    @model_validator(mode="after")
    def _critical_wakes(self) -> CooperativePolicy:
        first = self.critical.steps[0]
        if first.after_min != 0:
            raise Mistake(
                "cảnh báo nguy cấp phải được báo ngay: bước đầu tiên phải là phút 0",
                "a critical alert must be told at once: its first step must be at minute 0",
            )
        if not WAKING & set(first.channels):
            raise Mistake(
                "cảnh báo nguy cấp phải đánh thức người trực: bước đầu tiên phải có tin nhắn SMS hoặc cuộc gọi",
                "a critical alert must wake the person on duty: its first step must send an SMS or ring",
            )
        return self


class FileChanged(Exception):
    """The file is no longer the one the editor started from: somebody else saved it meanwhile."""


@dataclass(frozen=True)
class Read(Generic[M]):
    """A settings file as it is now: its model, and the sha256 of its text (``NO_FILE`` when there is none)."""

    model: M
    sha256: str
    exists: bool


class NotifyFiles:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.roster_path = data_dir / ROSTER_FILE
        self.policy_path = data_dir / POLICY_FILE
        self._saving = threading.Lock()  # two saves at once: the second must see the first's file

    def roster(self) -> Read[Roster]:
        """The roster; an empty one when there is no file yet. Raises ConfigError for a file with mistakes."""
        return _read(self.roster_path, Roster, Roster(people=[], duties=[]))

    def policy(self) -> Read[Policy]:
        """The escalation settings; the shipped defaults when there is no file. Raises ConfigError likewise."""
        return _read(self.policy_path, CooperativePolicy, DEFAULT_POLICY)

    def save_roster(self, roster: Roster, base_sha256: str | None, by: str) -> str:
        """Writes ``roster`` in place of the file the editor started from (``base_sha256``; None: whatever is
        there). Returns the new text's sha256; raises FileChanged, or OSError when it cannot be written."""
        return self._save(self.roster_path, roster, base_sha256, by)

    def save_policy(self, policy: CooperativePolicy, base_sha256: str | None, by: str) -> str:
        return self._save(self.policy_path, policy, base_sha256, by)

    def _save(self, path: Path, model: BaseModel, base_sha256: str | None, by: str) -> str:
        text = _yaml(model, by, path.name)
        with self._saving:
            old = path.read_bytes() if path.exists() else None
            now = text_sha256(old.decode("utf-8")) if old is not None else NO_FILE
            if base_sha256 is not None and base_sha256 != now:
                raise FileChanged
            self.data_dir.mkdir(parents=True, exist_ok=True)
            if old is not None:
                write_atomically(path.with_name(path.name + ".prev"), old)
            write_atomically(path, text.encode("utf-8"))
        sha256 = text_sha256(text)
        log.info("notifier settings saved", extra={"path": str(path), "by": by, "sha256": sha256})
        return sha256


class SettingsWatch:
    """For the running notifier: the roster and the policy again when either file changed on disk since the last
    look (a ``greenhouse roster`` edit, a hand edit); a file with mistakes is logged and the running one kept."""

    def __init__(self, files: NotifyFiles) -> None:
        self.files = files
        self._seen = self._stamps()

    def _stamps(self) -> tuple[tuple[int, int] | None, ...]:
        return tuple(_stamp(p) for p in (self.files.roster_path, self.files.policy_path))

    def changed(self) -> tuple[Roster, Policy] | None:
        stamps = self._stamps()
        if stamps == self._seen:
            return None
        self._seen = stamps
        try:
            return self.files.roster().model, self.files.policy().model
        except ConfigError as exc:
            log.error("notifier settings file has mistakes: the running ones are kept", extra={"problems": str(exc)})
            return None


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except FileNotFoundError:
        return None
    return found.st_mtime_ns, found.st_size


def _read(path: Path, model: type[M], missing: M) -> Read[M]:
    if not path.exists():
        return Read(model=missing, sha256=NO_FILE, exists=False)
    text = path.read_text(encoding="utf-8")
    return Read(model=parse_model(text, path, model), sha256=text_sha256(text), exists=True)


def _yaml(model: BaseModel, by: str, name: str) -> str:
    data = _tidy(model.model_dump(mode="json", exclude_none=True))
    header = f"# saved by {by}; the previous version is kept as {name}.prev\n"
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _tidy(value: object) -> object:
    """Whole minutes written as 5, not 5.0: the file is read by people too."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    return value
