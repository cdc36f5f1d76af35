"""Ring calls from the farm's modem: the phone of the person on duty rings for ``ring_s`` seconds and is hung up,
never answered. A ring wakes a farmer where an SMS does not; the farmer's call back is the acknowledgement (SMSD
rejects it and notes the caller, see sms_channel.py).

Gammu SMSD holds the modem's first AT port for SMS and cannot place calls. Most USB LTE modems offer a second AT
port (ttyUSB2 and ttyUSB3, say), which the `gammu` command-line tool drives here, with a gammurc of its own. One
``gammu batch`` process holds that port for a run of calls (``dialvoice``, then after the ring ``cancelcall``)
rather than one process per command: closing the port drops DTR, which hangs the call up on most modems (AT&D2),
and Gammu's dummy phone, which the tests drive, starts its operations log afresh at each connection. Each command is
followed by ``version``, which does not touch the phone: gammu prints that command's header only once the one
before it has returned, so the dial is known to be accepted without waiting for the ring; a command that fails ends
gammu with the error in its own words. gammu's output goes through ``stdbuf -oL`` (coreutils), since to a pipe it
would otherwise arrive only when gammu exits.

Calls go one at a time, as a modem places them. One asked for while another rings waits in a short queue and is
dialled on the same port when the ring before it ends; the other choice, dialling it after the ring in the
caller's thread, would hold the notifier's pass for the whole ring. A number already ringing or waiting is not
queued again: a ring carries no text, and a second one for the same person only wakes them twice. A queued call is
reported delivered; if its dial fails later that is logged, and the modem's health watch (modem_health.py) tells
the technician of a modem that stopped answering.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import re
import shutil
import subprocess
import threading
import time
from collections import deque
from pathlib import Path

from pydantic import Field

from contract.bounds import Strict
from edge.modem.gammu_sms import Modem
from gateway.notify.modem_health import Registration, registration
from gateway.notify.notifier import Delivery, Outgoing

log = logging.getLogger(__name__)

# Digits only: the number becomes a word of a gammu batch line, where a space would start another argument.
_NUMBER = re.compile(r"\+?[0-9]{3,20}")
_HEADER = re.compile(r'Executing batch ".*" - command (\d+): ')
_MARKER = "version"  # a gammu command that does not touch the phone
_DETAIL_CHARS = 200  # gammu's words as the incident's timeline shows them


class RingSettings(Strict):
    gammurc: Path  # the gammu tool's configuration naming the modem's second AT port (SMSD holds the first)
    ring_s: float = Field(default=30.0, gt=0, le=120)  # long enough for a phone to wake its owner
    dial_timeout_s: float = Field(default=30.0, gt=0, le=300)  # connecting to the modem and its OK to ATD
    gammu: str = "gammu"
    max_waiting: int = Field(default=4, ge=0, le=20)


def gammurc(modem: Modem) -> str:
    """The gammu tool's configuration for ``modem``: its call port, not the one SMSD uses."""
    model = [f"model = {modem.model}"] if modem.model else []
    return "\n".join(["[gammu]", f"device = {modem.device}", f"connection = {modem.connection}", *model, ""])


def _english() -> dict[str, str]:
    """gammu's environment: its messages in English, as the technician's timeline quotes them."""
    return {k: v for k, v in os.environ.items() if k != "LANGUAGE"} | {"LC_ALL": "C.UTF-8"}


class _Line:
    """One ``gammu batch`` process holding the modem's call port; its commands run one after the other."""

    def __init__(self, settings: RingSettings) -> None:
        self._proc = subprocess.Popen(
            ["stdbuf", "-oL", settings.gammu, "-c", str(settings.gammurc), "batch", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=_english(),
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._commands = 0
        threading.Thread(target=self._read, name="gammu-call-port", daemon=True).start()

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def run(self, command: str, timeout_s: float) -> str | None:
        """Carries out ``command``: None once gammu has done it, else what went wrong, in gammu's words."""
        assert self._proc.stdin is not None
        self._commands += 2
        marker = self._commands
        with contextlib.suppress(OSError):  # gammu has ended: what it said is read below
            self._proc.stdin.write(f"{command}\n{_MARKER}\n")
            self._proc.stdin.flush()
        said: list[str] = []
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.close(at_once=True)
                return f"no answer from the modem within {timeout_s:g} s"
            if line is None:
                return self._ended(said)
            header = _HEADER.search(line)
            if header is not None and int(header[1]) == marker:
                return None
            if header is not None:
                said = []  # what follows is that command's own output
            elif line.strip() and not line.startswith("---"):
                said.append(line.strip())

    def close(self, at_once: bool = False) -> int:
        """Ends the batch (gammu then disconnects from the modem); its exit status."""
        if at_once:
            self._proc.kill()
        if self._proc.stdin is not None and not self._proc.stdin.closed:
            with contextlib.suppress(OSError):  # gammu is already gone
                self._proc.stdin.close()  # the end of the batch
        try:
            return self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            return self._proc.wait()

    def _ended(self, said: list[str]) -> str:
        status = self.close()
        words = said[-1] if said else f"gammu stopped (exit status {status})"
        return words[:_DETAIL_CHARS]

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._lines.put(line)
        self._lines.put(None)


class RingCall:
    """The notifier's sender for Channel.CALL."""

    def __init__(self, settings: RingSettings) -> None:
        self.settings = settings
        self._lock = threading.Condition()
        self._line: _Line | None = None
        self._ringing: str | None = None
        self._waiting: deque[str] = deque()
        self._timer: threading.Timer | None = None

    @property
    def ringing(self) -> str | None:
        """The number whose phone rings now."""
        return self._ringing

    def __call__(self, message: Outgoing) -> Delivery:
        person = message.person
        number = person.phone
        if number is None:
            return Delivery(ok=False, detail=f"{person.name}: no phone number")
        with self._lock:
            if number == self._ringing or number in self._waiting:
                log.info("call already ringing or waiting", extra={"person": person.id})
                return Delivery(ok=True)
            if self._ringing is not None:
                if len(self._waiting) >= self.settings.max_waiting:
                    return Delivery(ok=False, detail=f"the modem is busy: {len(self._waiting)} calls waiting")
                self._waiting.append(number)
                log.info("call waits for the line", extra={"person": person.id, "waiting": len(self._waiting)})
                return Delivery(ok=True)
            failed = self._dial(number)
        return Delivery(ok=failed is None, detail=failed)

    def registration(self) -> Registration | None:
        """The modem's network registration, asked on the call port while no call holds it; None when a call does,
        or gammu could not tell (then the next check asks again)."""
        with self._lock:
            if self._line is not None:
                return None
            try:
                done = subprocess.run(
                    [self.settings.gammu, "-c", str(self.settings.gammurc), "networkinfo"],
                    capture_output=True,
                    text=True,
                    timeout=self.settings.dial_timeout_s,
                    env=_english(),
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                log.warning("network state not read", extra={"error": repr(exc)})
                return None
            return registration(done.stdout) if done.returncode == 0 else None

    def wait_idle(self, timeout_s: float) -> bool:
        """Whether every call was rung and hung up, and the port let go, within ``timeout_s``."""
        with self._lock:
            return self._lock.wait_for(lambda: self._line is None and self._ringing is None, timeout_s)

    def close(self) -> None:
        """Hangs up now and forgets the calls waiting: the gateway is stopping."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._waiting.clear()
            self._end_ring()
            self._release()

    # --- with the lock held -------------------------------------------------------------------
    def _dial(self, number: str) -> str | None:
        if not _NUMBER.fullmatch(number):
            return f"not a number a modem can dial: {number!r}"
        if not self.settings.gammurc.is_file():
            return f"no gammu configuration at {self.settings.gammurc}"
        if shutil.which(self.settings.gammu) is None:
            return f"{self.settings.gammu} not found: the gammu package is not installed"
        if self._line is None or not self._line.alive:
            try:
                self._line = _Line(self.settings)
            except OSError as exc:
                return f"cannot start {self.settings.gammu}: {exc.strerror or exc}"
        failed = self._line.run(f"dialvoice {number}", self.settings.dial_timeout_s)
        if failed is not None:
            self._line = None  # gammu has ended: the next dial starts it again
            self._lock.notify_all()
            log.warning("call not dialled", extra={"number": number, "error": failed})
            return failed
        self._ringing = number
        self._timer = threading.Timer(self.settings.ring_s, self._ring_over)
        self._timer.daemon = True
        self._timer.start()
        log.info("ringing", extra={"number": number, "ring_s": self.settings.ring_s})
        return None

    def _ring_over(self) -> None:
        with self._lock:
            if self._ringing is None:  # closed meanwhile
                return
            self._end_ring()
            while self._waiting:
                if self._dial(self._waiting.popleft()) is None:
                    return
            self._release()

    def _end_ring(self) -> None:
        if self._ringing is None:
            return
        if self._line is not None:
            failed = self._line.run("cancelcall", self.settings.dial_timeout_s)
            if failed is not None:
                log.warning("hang-up failed", extra={"number": self._ringing, "error": failed})
                self._line = None
        log.info("hung up", extra={"number": self._ringing})
        self._ringing = None

    def _release(self) -> None:
        if self._line is not None:
            status = self._line.close()
            if status != 0:
                log.warning("gammu ended with an error", extra={"status": status})
            self._line = None
        self._lock.notify_all()
