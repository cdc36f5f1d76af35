"""A real Gammu SMSD with the files backend, driving Gammu's dummy phone (a folder that plays the modem).

The dummy phone sends nothing anywhere: what SMSD made of a message (how many SMS, which coding, to whom) is read
from SMSD's own log line for it. Replies are saved into the dummy phone's inbox by the `gammu` tool itself and
moved in whole; a call is rung by the dummy driver's ``incoming-call`` trigger file, always from CALLER.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from edge.modem.gammu_sms import Modem, SmsdFolders, smsd_config, write_call_hook
from edge.modem.sms_text import SmsEncoding
from tests.support.server import ServerProcess

# The number Gammu's dummy driver gives every incoming call (libgammu/phone/dummy/dummy.c, DUMMY_PreAPICall).
CALLER = "+800123456"
# Gammu's GSM_Coding_Type values as SMSD logs them.
_CODINGS = {1: SmsEncoding.UCS2, 3: SmsEncoding.GSM7}
_FOUND = re.compile(r'Found (\d+) sms to "(.*?)" with text "(.*)" cod (\d+) lgt \d+')


def gammu_binary(name: str) -> str:
    found = shutil.which(name) or next((p for p in (f"/usr/bin/{name}",) if Path(p).exists()), None)
    if found is None:
        raise RuntimeError(f"{name} is not installed: run ./run-tests.sh, which installs it (apt package {name})")
    return found


def operations(phone: Path) -> list[str]:
    """What the dummy phone in ``phone`` was asked to do ("Dialling +84…", "Canceling call 0 (1)"), as its
    operations.log tells since the last connection; written out whole when that connection ends."""
    log = phone / "operations.log"
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


@dataclass(frozen=True)
class Transmission:
    """One outbox message as SMSD encoded it: its SMS count, coding, recipient and the first part's text."""

    number: str
    first_part: str
    parts: int
    encoding: SmsEncoding


class GammuSmsd(ServerProcess):
    def __init__(self, workdir: Path, check_signal: bool = False) -> None:
        super().__init__()
        self.workdir = workdir
        self.phone = workdir / "phone"
        self.folders = SmsdFolders.under(workdir / "smsd")
        self.conf = workdir / "smsdrc"
        self.log = workdir / "smsd.log"
        self._stage = workdir / "stage"
        self._next_location = 1
        for folder in (self.phone, self._stage / "phone"):
            folder.mkdir(parents=True, exist_ok=True)
        self.folders.create()
        hook = workdir / "incoming-call.sh"
        write_call_hook(hook, self.folders.calls)
        dummy = Modem(device=f"{self.phone}/", connection="none", model="dummy")
        self.conf.write_text(
            smsd_config(self.folders, dummy, call_hook=hook, log_file=self.log, outbox_scan_s=1, receive_every_s=1)
            # The dummy phone has no SIM, battery or radio to check; its signal (always 42 %) only when asked for.
            + "checksecurity = 0\ncheckbattery = 0\ncheckNetwork = 0\n"
            + ("checksignal = 1\nstatusfrequency = 1\n" if check_signal else "checksignal = 0\nstatusfrequency = 0\n")
        )
        (self._stage / "gammurc").write_text(
            f"[gammu]\ndevice = {self._stage / 'phone'}/\nmodel = dummy\nconnection = none\n"
        )

    def start(self) -> None:
        self._proc = subprocess.Popen(
            [gammu_binary("gammu-smsd"), "-c", str(self.conf), "-p", str(self.workdir / "smsd.pid")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        # The dummy driver lays out its folders when SMSD connects to it.
        while not (self._log_text().count("Starting phone communication") and (self.phone / "sms" / "1").is_dir()):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gammu-smsd did not start:\n{self._log_text()}")
            time.sleep(0.05)

    def inject_sms(self, number: str, text: str) -> None:
        """A reply from ``number`` arriving at the modem: saved by `gammu savesms` into a staging dummy phone, then
        moved whole into the one SMSD reads, so SMSD never sees half a file."""
        subprocess.run(
            [gammu_binary("gammu"), "-c", str(self._stage / "gammurc"), "savesms", "TEXT", "-folder", "1",
             "-sender", number, "-unread", "-unicode", "-text", text],
            check=True, capture_output=True, env={**os.environ, "LC_ALL": "C.UTF-8"},
        )  # fmt: skip
        while (self.phone / "sms" / "1" / str(self._next_location)).exists():
            self._next_location += 1
        (self._stage / "phone" / "sms" / "1" / "1").rename(self.phone / "sms" / "1" / str(self._next_location))

    def ring(self) -> None:
        """An incoming call from CALLER: the dummy driver signals one whenever this file exists, then removes it."""
        (self.phone / "incoming-call").touch()

    def transmissions(self) -> list[Transmission]:
        return [
            Transmission(number=m[2], first_part=m[3], parts=int(m[1]), encoding=_CODINGS[int(m[4])])
            for m in _FOUND.finditer(self._log_text())
        ]

    def outbox_taken(self, timeout_s: float = 30) -> None:
        """Until SMSD has taken every message written into its outbox so far (it looks every second): each one's
        log line, read by ``transmissions``, is written before its file leaves the outbox."""
        deadline = time.monotonic() + timeout_s
        while queued := sorted(p.name for p in self.folders.outbox.iterdir()):
            assert time.monotonic() < deadline, f"SMSD left {queued} in its outbox for {timeout_s} s"
            time.sleep(0.05)

    def _log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
