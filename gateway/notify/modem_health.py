"""What the notifier watches of its own modem, and what it tells the technician when that degrades: SMSD running and
connected to the modem, the signal, the network registration, sends failing, and messages stuck in the outbox.

SMSD keeps its status in shared memory, which ``gammu-smsd-monitor`` prints (smsd/monitor.c: ``Client``, ``IMEI``,
``Sent``, ``Failed``, ``NetworkSignal``…; the counters count since SMSD started); when SMSD is not running the
monitor finds no shared memory and exits with an error. SMSD learns the IMEI when it first reaches the modem and
never forgets it: a modem lost later shows as sends failing and messages waiting. The signal is known only where
SMSD checks it (``checksignal``, on unless turned off). The monitor does not print the network registration, which
is asked on the call port instead (ring_call.RingCall.registration). The last send and the oldest waiting message
are read from SMSD's folders (edge/modem/gammu_sms.py).
"""

from __future__ import annotations

import configparser
import logging
import re
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from pydantic import AwareDatetime, BaseModel, Field

from contract.bounds import Strict
from contract.validation_words import Words
from contract.wording import Lang
from edge.modem.gammu_sms import SmsdFolders

log = logging.getLogger(__name__)


class Registration(StrEnum):
    """The modem's network state, as ``gammu networkinfo`` names it (gammu/misc.c, PrintNetworkInfo)."""

    HOME = "home network"
    ROAMING = "roaming network"
    SEARCHING = "requesting network"
    NONE = "not logged into network"
    DENIED = "registration to network denied"
    UNKNOWN = "unknown"

    @property
    def registered(self) -> bool:
        return self in (Registration.HOME, Registration.ROAMING)


_NETWORK_STATE = re.compile(r"^Network state\s*:\s*(.+?)\s*$", re.MULTILINE)


def registration(networkinfo: str) -> Registration:
    """The state ``gammu networkinfo`` printed (run in English)."""
    found = _NETWORK_STATE.search(networkinfo)
    try:
        return Registration(found[1]) if found is not None else Registration.UNKNOWN
    except ValueError:
        return Registration.UNKNOWN


class ModemHealth(BaseModel):
    read_at: AwareDatetime
    smsd_running: bool
    imei: str | None = None  # None: SMSD has not reached the modem since it started
    signal_pct: int | None = None  # None: not known (SMSD does not check it, or is not running)
    registration: Registration | None = None  # None: not asked (no call port, or a call held it)
    sent: int = 0  # counters since SMSD started
    failed: int = 0
    sent_24h: int = 0  # messages in the sent folder from the last 24 hours
    last_sent_at: AwareDatetime | None = None  # the newest message in the sent folder
    waiting: int = 0  # messages in the outbox
    oldest_waiting_at: AwareDatetime | None = None


class HealthLimits(Strict):
    weak_signal_pct: int = Field(default=20, ge=1, le=100)  # about CSQ 6: SMS go out slowly, calls drop
    stuck_after_min: float = Field(default=10, gt=0, le=24 * 60)


_STATUS_LINE = re.compile(r"^(IMEI|Sent|Failed|NetworkSignal): ?(.*)$", re.MULTILINE)
_DAY = timedelta(hours=24)


def read_health(
    smsd_conf: Path,
    folders: SmsdFolders,
    now: datetime,
    *,
    monitor: str = "gammu-smsd-monitor",
    network: Callable[[], Registration | None] | None = None,
    timeout_s: float = 10.0,
) -> ModemHealth:
    """The modem's health at ``now``: SMSD's status through ``monitor``, the folders, and ``network`` (the call
    port's registration) when there is one."""
    sent = [p.stat().st_mtime for p in _messages(folders.sent)]
    waiting = [p.stat().st_mtime for p in _messages(folders.outbox)]
    since = (now - _DAY).timestamp()
    found = {
        "read_at": now,
        "smsd_running": False,
        "registration": network() if network is not None else None,
        "sent_24h": sum(1 for t in sent if t >= since),
        "last_sent_at": _at(max(sent)) if sent else None,
        "waiting": len(waiting),
        "oldest_waiting_at": _at(min(waiting)) if waiting else None,
    }
    try:
        done = subprocess.run(
            [monitor, "-c", str(smsd_conf), "-n", "1", "-d", "0"], capture_output=True, text=True, timeout=timeout_s
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("smsd status not read", extra={"error": repr(exc)})
        return ModemHealth.model_validate(found)
    if done.returncode != 0:
        log.info("smsd not running", extra={"monitor": done.stdout.strip().splitlines()[-1:]})
        return ModemHealth.model_validate(found)
    status = dict(_STATUS_LINE.findall(done.stdout))
    signal = int(status.get("NetworkSignal", "-1"))
    found |= {
        "smsd_running": True,
        "imei": status.get("IMEI") or None,
        "signal_pct": signal if signal >= 0 and _checks_signal(smsd_conf) else None,
        "sent": int(status.get("Sent", "0")),
        "failed": int(status.get("Failed", "0")),
    }
    return ModemHealth.model_validate(found)


def _messages(folder: Path) -> list[Path]:
    return [p for p in folder.glob("OUT*") if p.is_file()] if folder.is_dir() else []


def _at(mtime: float) -> datetime:
    return datetime.fromtimestamp(mtime, UTC)


def _checks_signal(smsd_conf: Path) -> bool:
    config = configparser.ConfigParser(interpolation=None, strict=False)
    config.read(smsd_conf, encoding="utf-8")
    try:
        return config.getboolean("smsd", "checksignal", fallback=True)  # SMSD's default
    except ValueError:
        return True


# --- what degraded, in the technician's words --------------------------------------------------------------------
NOT_RUNNING = Words(
    "Gammu SMSD không chạy trên máy chủ: tin nhắn cảnh báo không gửi đi được",
    "Gammu SMSD is not running on the server: no alert SMS can go out",
)
NOT_CONNECTED = Words(
    "SMSD đang chạy nhưng chưa kết nối được modem: kiểm tra modem USB và cổng của nó",
    "SMSD is running but has not reached the modem: check the USB modem and its port",
)
NO_SIGNAL = Words("Modem không có sóng: kiểm tra ăng-ten và SIM", "The modem has no signal: check its antenna and SIM")
WEAK_SIGNAL = Words(
    "Sóng modem yếu: {signal} % (dưới {limit} %), tin nhắn có thể chậm hoặc lỗi",
    "Weak modem signal: {signal} % (below {limit} %), SMS may be slow or fail",
)
NOT_REGISTERED = Words(
    "Modem chưa vào được mạng ({state}): kiểm tra SIM và tài khoản",
    "The modem is not registered on the network ({state}): check the SIM and its credit",
)
STATES: dict[Registration, Words] = {
    Registration.SEARCHING: Words("đang tìm mạng", "searching for a network"),
    Registration.NONE: Words("không có mạng", "no network"),
    Registration.DENIED: Words("mạng từ chối SIM", "the network refused the SIM"),
    Registration.UNKNOWN: Words("không rõ", "unknown"),
}
SENDS_FAILING = Words(
    "{count} tin nhắn gửi không được từ lần kiểm tra trước",
    "{count} SMS failed to send since the last check",
)
STUCK = Words(
    "Có tin nhắn chờ {minutes} phút trong hàng đợi mà chưa gửi được tin nào",
    "An SMS has waited {minutes} min in the outbox and nothing has been sent since",
)
STILL_WORKING = Words(
    "Báo động vẫn chạy: sóng {signal}, 24 giờ gửi {sent} tin, {waiting} tin đang chờ",
    "Alert server still working: signal {signal}, {sent} SMS sent in 24 h, {waiting} waiting",
)


DEFAULT_LIMITS = HealthLimits()


def judge(
    health: ModemHealth, previous: ModemHealth | None, now: datetime, limits: HealthLimits = DEFAULT_LIMITS
) -> list[Words]:
    """What degraded, each in both languages; nothing when all is well. ``previous`` is the last reading, against
    which the failed counter is compared (a restarted SMSD counts from nought again)."""
    said: list[Words] = []
    if not health.smsd_running:
        said.append(NOT_RUNNING)
    elif health.imei is None:
        said.append(NOT_CONNECTED)
    else:
        if health.signal_pct == 0:
            # SMSD shows 0 until its first signal check, seconds after it starts (a farm server booting after a
            # power cut): no signal is told when two readings in a row say so.
            if previous is not None and previous.smsd_running and previous.signal_pct == 0:
                said.append(NO_SIGNAL)
        elif health.signal_pct is not None and health.signal_pct < limits.weak_signal_pct:
            said.append(_fill(WEAK_SIGNAL, signal=health.signal_pct, limit=limits.weak_signal_pct))
        if health.registration is not None and not health.registration.registered:
            state = STATES[health.registration]
            said.append(Words(NOT_REGISTERED.vi.format(state=state.vi), NOT_REGISTERED.en.format(state=state.en)))
        if previous is not None and previous.smsd_running and health.failed > previous.failed:
            said.append(_fill(SENDS_FAILING, count=health.failed - previous.failed))
    stuck = _stuck_min(health, now)
    if stuck is not None and stuck >= limits.stuck_after_min:
        said.append(_fill(STUCK, minutes=int(stuck)))
    return said


def _stuck_min(health: ModemHealth, now: datetime) -> float | None:
    """How long the oldest waiting message has waited, when nothing was sent after it was queued."""
    oldest = health.oldest_waiting_at
    if oldest is None or (health.last_sent_at is not None and health.last_sent_at >= oldest):
        return None
    return (now - oldest).total_seconds() / 60


def _fill(words: Words, **numbers: int) -> Words:
    return Words(words.vi.format(**numbers), words.en.format(**numbers))


def still_working(health: ModemHealth, lang: Lang) -> str:
    """The optional daily SMS to the technician, sent when ``judge`` finds nothing: one short message."""
    signal = "?" if health.signal_pct is None else f"{health.signal_pct} %"
    return STILL_WORKING.pick(lang).format(signal=signal, sent=health.sent_24h, waiting=health.waiting)
