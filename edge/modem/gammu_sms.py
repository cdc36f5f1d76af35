"""SMS and missed calls through Gammu SMSD's files backend: the farm server's `gammu-smsd` drives the USB modem, and
the gateway only writes into SMSD's outbox folder and reads its inbox.

The folders, as SMSD 1.42 uses them (Gammu's docs/manual/smsd/files.rst and smsd/services/files.c):

- outbox: SMSD sends the files named ``OUT<priority><date>_<time>_<serial>_<number>_<note>.txt`` in name order
  (priority A first) and skips names starting with a dot, so a file is written under a hidden name and renamed
  into place whole. The text is UTF-16 with a byte order mark; with ``TransmitFormat = auto`` SMSD sends it as
  GSM-7 when every character is in that alphabet and as UCS-2 otherwise — the file name has no encoding flag.
  Once sent it is moved, same name, to the sent folder; a message SMSD cannot send goes to the error folder.
- inbox: SMSD writes each received message as ``IN<date>_<time>_<serial>_<sender>_00.txt`` in Gammu's SMS backup
  format (``InboxFormat = detail``): one section per part, the sender and the text as UTF-16 hex. The plainer
  ``unicode`` format is not used: SMSD 1.42 writes past the end of a Vietnamese text there (it sizes the UTF-16
  by the text's UTF-8 length), and ``standard`` depends on the locale SMSD was started in. SMSD writes in place,
  so a file is read only once it has been left alone for a moment.
- calls: with ``HangupCalls = 1`` SMSD rejects each incoming call (the caller is not charged) and runs
  ``RunOnIncomingCall`` with the caller's number; our hook writes that number into the calls folder.

What cannot be read is set aside into a folder of its own, logged and reported, and the rest goes on.
"""

from __future__ import annotations

import configparser
import hashlib
import logging
import os
import re
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from pydantic import AwareDatetime, BaseModel

from edge.modem.sms_text import Segments, segments

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsdFolders:
    inbox: Path
    outbox: Path
    sent: Path
    error: Path
    calls: Path
    set_aside: Path  # our own: inbox and call files that could not be read, kept for a technician

    @classmethod
    def under(cls, root: Path) -> SmsdFolders:
        return cls(
            inbox=root / "inbox",
            outbox=root / "outbox",
            sent=root / "sent",
            error=root / "error",
            calls=root / "calls",
            set_aside=root / "set-aside",
        )

    def create(self) -> None:
        for folder in (self.inbox, self.outbox, self.sent, self.error, self.calls, self.set_aside):
            folder.mkdir(parents=True, exist_ok=True)


@dataclass(frozen=True)
class Modem:
    """How Gammu reaches the phone: its ``[gammu]`` section (a USB LTE modem: device /dev/ttyUSB2, connection at)."""

    device: str
    connection: str = "at"
    model: str = ""


def smsd_config(
    folders: SmsdFolders,
    modem: Modem,
    *,
    call_hook: Path,
    log_file: Path,
    outbox_scan_s: int = 5,
    receive_every_s: int = 15,
) -> str:
    """The SMSD configuration these folders are used with. ``outbox_scan_s`` is how long a new alert may wait in
    the outbox (SMSD's default of 30 s is long for a frost alarm); ``receive_every_s`` how often the modem is asked
    for replies while it is busy sending."""

    def folder(path: Path) -> str:
        return f"{path}/"  # SMSD joins folder and file name as they are

    return "\n".join(
        [
            "[gammu]",
            f"device = {modem.device}",
            f"connection = {modem.connection}",
            *([f"model = {modem.model}"] if modem.model else []),
            "",
            "[smsd]",
            "service = files",
            f"logfile = {log_file}",
            "debuglevel = 1",
            f"inboxpath = {folder(folders.inbox)}",
            "inboxformat = detail",
            f"outboxpath = {folder(folders.outbox)}",
            # SMSD 1.42 falls back to 7bit, not the documented auto, when this is left out: Vietnamese would be lost.
            "transmitformat = auto",
            f"sentsmspath = {folder(folders.sent)}",
            f"errorsmspath = {folder(folders.error)}",
            "deliveryreport = no",
            f"commtimeout = {outbox_scan_s}",
            f"receivefrequency = {receive_every_s}",
            "hangupcalls = 1",
            f"runonincomingcall = {shlex.quote(str(call_hook))}",
            "",
        ]
    )


def write_call_hook(path: Path, calls: Path) -> None:
    """The script SMSD runs on an incoming call, with the caller's number as its argument: it writes the number into
    ``calls`` under a hidden name and renames it into place, so the reader never sees half a file."""
    folder = shlex.quote(str(calls))
    path.write_text(
        "#!/bin/sh\n"
        "# Gammu SMSD's RunOnIncomingCall: $1 is the caller's number; the gateway reads the calls folder.\n"
        f'tmp=$(mktemp {folder}/.call.XXXXXX) || exit 1\nprintf "%s\\n" "$1" > "$tmp"\n'
        f'mv "$tmp" {folder}/"CALL$(date -u +%Y%m%d_%H%M%S)_${{tmp##*.}}.txt"\n',
        encoding="utf-8",
    )
    path.chmod(0o755)


class Priority(StrEnum):
    """SMSD sends the outbox in name order, and the name starts with this letter."""

    URGENT = "A"
    NORMAL = "M"


class SendState(StrEnum):
    QUEUED = "queued"  # in the outbox: SMSD has not sent it yet
    SENT = "sent"  # handed to the network by the modem
    FAILED = "failed"  # SMSD gave up on it
    UNKNOWN = "unknown"  # in none of the folders: removed by hand, or never written


@dataclass(frozen=True)
class Queued:
    id: str
    segments: Segments


# Digits only, and short: SMSD 1.42 copies the recipient from the file name into a buffer of 50 without a check (a
# longer name stalled it here), and a shell metacharacter has no business in a file name SMSD parses.
_NUMBER = re.compile(r"\+?[0-9]{3,20}")
_BOM_BE = b"\xfe\xff"


class SmsdOutbox:
    def __init__(self, folders: SmsdFolders, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.folders = folders
        self._now = now

    def send(self, number: str, text: str, key: str, priority: Priority = Priority.NORMAL) -> Queued:
        """Puts ``text`` for ``number`` in SMSD's outbox. ``key`` names the send: the same key again (a send made
        again after a crash) finds the message already there, in whichever folder, and writes nothing."""
        if not _NUMBER.fullmatch(number):
            raise ValueError(f"not a phone number SMSD can send to: {number!r}")
        if not text:
            raise ValueError("an SMS needs a text")
        message_id = hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]
        queued = Queued(message_id, segments(text))
        if self._find(message_id) is not None:
            log.info("sms already queued", extra={"sms_id": message_id})
            return queued
        stamp = self._now().astimezone(UTC).strftime("%Y%m%d_%H%M%S")
        name = f"OUT{priority.value}{stamp}_00_{number}_{message_id}.txt"
        hidden = self.folders.outbox / f".{name}.part"
        with hidden.open("wb") as out:
            out.write(_BOM_BE + text.encode("utf-16-be"))
            out.flush()
            os.fsync(out.fileno())
        hidden.replace(self.folders.outbox / name)
        log.info("sms queued", extra={"sms_id": message_id, "parts": queued.segments.count})
        return queued

    def prune(self, before: datetime) -> int:
        """Deletes the sent and failed messages SMSD moved out before ``before``: SMSD keeps every one, and a farm
        server's disk does not grow for years. A repeat after a crash is found by its file for minutes, not days
        (the notifier's store keeps every send for good), so a month is plenty. The number deleted."""
        cutoff = before.timestamp()
        deleted = 0
        for folder in (self.folders.sent, self.folders.error):
            for path in folder.glob("OUT*.txt"):
                try:
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                        deleted += 1
                except FileNotFoundError:  # SMSD or another pruner was first
                    continue
        if deleted:
            log.info("old sms files deleted", extra={"deleted": deleted})
        return deleted

    def state(self, message_id: str) -> SendState:
        found = self._find(message_id)
        return SendState.UNKNOWN if found is None else found[0]

    def _find(self, message_id: str) -> tuple[SendState, Path] | None:
        for state, folder in (
            (SendState.SENT, self.folders.sent),
            (SendState.FAILED, self.folders.error),
            (SendState.QUEUED, self.folders.outbox),
        ):
            for path in folder.glob(f"OUT*_{message_id}.txt"):
                return state, path
        return None


class IncomingSms(BaseModel):
    number: str  # as the network gave it: "+84912345678", or a name such as a carrier's
    text: str
    received_at: AwareDatetime  # when SMSD wrote it down


class IncomingCall(BaseModel):
    number: str
    rang_at: AwareDatetime


@dataclass(frozen=True)
class SetAside:
    name: str
    why: str


_INBOX_NAME = re.compile(r"IN\d{8}_\d{6}_\d{2}_(?P<sender>.+)_\d{2}\.(?P<ext>[A-Za-z]+)")
_CALL_NAME = re.compile(r"CALL\d{8}_\d{6}_\w+\.txt")
_PART_SECTION = re.compile(r"SMSBackup\d+")
_TEXT_LINE = re.compile(r"text\d+")  # keys as configparser gives them, lower case
_MAX_FILE_BYTES = 64 * 1024  # SMSD's own files are a few hundred bytes


class _Unreadable(Exception):
    pass


_T = TypeVar("_T")


class SmsdInbox:
    """Replies and missed calls, each handed over once: a file is removed only after its handler returned."""

    def __init__(self, folders: SmsdFolders, settle_s: float = 2.0) -> None:
        self.folders = folders
        self.settle_s = settle_s

    def drain_sms(self, handle: Callable[[IncomingSms], None]) -> list[SetAside]:
        return self._drain(self.folders.inbox, _read_sms, handle)

    def drain_calls(self, handle: Callable[[IncomingCall], None]) -> list[SetAside]:
        return self._drain(self.folders.calls, _read_call, handle)

    def _drain(self, folder: Path, read: Callable[[Path], _T], handle: Callable[[_T], None]) -> list[SetAside]:
        # A handler that raises leaves its file, and those after it, for the next round.
        set_aside: list[SetAside] = []
        settled_before = time.time() - self.settle_s
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or not path.is_file() or path.stat().st_mtime > settled_before:
                continue
            try:
                item = read(path)
            except _Unreadable as exc:
                set_aside.append(self._set_aside(path, str(exc)))
                continue
            handle(item)
            path.unlink()
        return set_aside

    def _set_aside(self, path: Path, why: str) -> SetAside:
        target = self.folders.set_aside / path.name
        n = 1
        while target.exists():
            target = self.folders.set_aside / f"{path.name}.{n}"
            n += 1
        path.replace(target)
        log.warning("sms file set aside", extra={"file": path.name, "why": why})
        return SetAside(path.name, why)


def _read_sms(path: Path) -> IncomingSms:
    name = _INBOX_NAME.fullmatch(path.name)
    if name is None or name["ext"].lower() not in ("txt", "bin"):
        raise _Unreadable("not an SMSD inbox file name")
    backup = configparser.ConfigParser(interpolation=None, strict=False, delimiters=("=",))
    try:
        backup.read_string(_text(path))
    except configparser.Error as exc:
        raise _Unreadable("not in Gammu's SMS backup format") from exc
    parts = sorted(section for section in backup.sections() if _PART_SECTION.fullmatch(section))
    if not parts:
        raise _Unreadable("no message in it")
    texts: list[str] = []
    for section in parts:
        part = backup[section]
        if part.get("coding", "").lower().startswith("8bit"):
            raise _Unreadable("8-bit data, not a text message")
        lines = sorted(key for key in part if _TEXT_LINE.fullmatch(key))
        texts.append(_utf16_hex("".join(part[key] for key in lines)))
    first = backup[parts[0]]
    number = _utf16_hex(first.get("numberunicode", "")) or first.get("number", "").strip('"')
    if not number:
        raise _Unreadable("no sender in it")
    return IncomingSms(number=number, text="".join(texts), received_at=_mtime(path))


def _utf16_hex(value: str) -> str:
    """Gammu's way of keeping a text exact whatever the locale: UTF-16 big-endian, written in hex."""
    try:
        return bytes.fromhex(value.strip()).decode("utf-16-be")
    except ValueError as exc:  # not hex, or bytes that are no UTF-16
        raise _Unreadable("a text that is not UTF-16 hex") from exc


def _read_call(path: Path) -> IncomingCall:
    if _CALL_NAME.fullmatch(path.name) is None:
        raise _Unreadable("not a call file name")
    number = _text(path).strip()
    if not number or len(number) > 50 or not number.isprintable():
        raise _Unreadable("no caller's number in it")
    return IncomingCall(number=number, rang_at=_mtime(path))


def _text(path: Path) -> str:
    raw = path.read_bytes()
    if len(raw) > _MAX_FILE_BYTES:
        raise _Unreadable("too large for a message")
    # What is read from SMSD's files is ASCII (hex, numbers); comments hold the text in SMSD's locale, unused.
    return raw.decode("utf-8", errors="replace")


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)
