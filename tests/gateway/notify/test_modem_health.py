"""The modem's health as the notifier reads it from a real Gammu SMSD (dummy phone) and its folders, and what the
technician is told when it degrades, in Vietnamese and English."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from contract.validation_words import Words
from edge.modem.gammu_sms import Modem, SendState, SmsdOutbox
from edge.modem.sms_text import SmsEncoding, segments
from gateway.notify.modem_health import (
    NOT_CONNECTED,
    NOT_RUNNING,
    HealthLimits,
    ModemHealth,
    Registration,
    judge,
    read_health,
    still_working,
)
from gateway.notify.ring_call import RingCall, RingSettings, gammurc
from tests.support.gammu_smsd import GammuSmsd, gammu_binary

NOW = datetime(2026, 1, 15, 20, 0, tzinfo=UTC)
WELL = ModemHealth(
    read_at=NOW, smsd_running=True, imei="999999999999999", signal_pct=42, registration=Registration.HOME, sent=3,
    failed=0, sent_24h=3, last_sent_at=NOW - timedelta(hours=1),
)  # fmt: skip
MONITOR = gammu_binary("gammu-smsd-monitor")


def read(smsd: GammuSmsd, now: datetime, ring: RingCall | None = None) -> ModemHealth:
    network = ring.registration if ring is not None else None
    return read_health(smsd.conf, smsd.folders, now, monitor=MONITOR, network=network)


def test_a_running_smsd_reads_as_healthy_with_the_dummys_signal(tmp_path: Path, watched_smsd: GammuSmsd) -> None:
    call_port = tmp_path / "call-port.gammurc"
    (tmp_path / "call-phone").mkdir()
    call_port.write_text(gammurc(Modem(device=f"{tmp_path / 'call-phone'}/", connection="none", model="dummy")))
    ring = RingCall(RingSettings(gammurc=call_port, gammu=gammu_binary("gammu")))
    outbox = SmsdOutbox(watched_smsd.folders)
    queued = outbox.send("+84912345678", "Thử máy", key="health-check")
    deadline = time.monotonic() + 30
    while outbox.state(queued.id) is SendState.QUEUED or (health := read(watched_smsd, NOW, ring)).signal_pct != 42:
        assert time.monotonic() < deadline, "SMSD never sent the message, or never read the signal"
        time.sleep(0.2)

    assert health.smsd_running and health.imei == "999999999999999"
    assert health.registration is Registration.HOME
    assert (health.sent, health.failed, health.sent_24h, health.waiting) == (1, 0, 1, 0)
    assert health.last_sent_at is not None and health.oldest_waiting_at is None
    assert judge(health, None, datetime.now(UTC)) == []
    assert still_working(health, "vi") == "Báo động vẫn chạy: sóng 42 %, 24 giờ gửi 1 tin, 0 tin đang chờ"
    assert still_working(health, "en") == "Alert server still working: signal 42 %, 1 SMS sent in 24 h, 0 waiting"


def test_a_stopped_smsd_is_judged_not_running_and_its_waiting_sms_stuck(watched_smsd: GammuSmsd) -> None:
    watched_smsd.stop()
    SmsdOutbox(watched_smsd.folders).send("+84912345678", "Sương muối", key="frost")

    health = read(watched_smsd, datetime.now(UTC))
    assert not health.smsd_running and health.signal_pct is None and health.waiting == 1
    queued_at = health.oldest_waiting_at
    assert queued_at is not None
    assert judge(health, WELL, queued_at + timedelta(minutes=1)) == [NOT_RUNNING]
    assert judge(health, WELL, queued_at + timedelta(minutes=11)) == [
        NOT_RUNNING,
        Words(
            "Có tin nhắn chờ 11 phút trong hàng đợi mà chưa gửi được tin nào",
            "An SMS has waited 11 min in the outbox and nothing has been sent since",
        ),
    ]


# --- the judge, rule by rule, on built readings --------------------------------------------------------------------
def test_smsd_running_without_the_modem_is_said_so() -> None:
    health = WELL.model_copy(update={"imei": None, "signal_pct": None})
    assert judge(health, WELL, NOW) == [NOT_CONNECTED]
    assert NOT_CONNECTED.en == "SMSD is running but has not reached the modem: check the USB modem and its port"


def test_no_signal_at_two_readings_in_a_row_and_a_weak_signal() -> None:
    nothing = WELL.model_copy(update={"signal_pct": 0})
    assert judge(nothing, nothing, NOW) == [
        Words("Modem không có sóng: kiểm tra ăng-ten và SIM", "The modem has no signal: check its antenna and SIM")
    ]
    # SMSD shows 0 until its first signal check: a first reading, or one after SMSD restarted, is not yet told.
    assert judge(nothing, None, NOW) == []
    assert judge(nothing, WELL, NOW) == []
    assert judge(nothing, nothing.model_copy(update={"smsd_running": False, "signal_pct": None}), NOW) == []
    weak = WELL.model_copy(update={"signal_pct": 12})
    assert judge(weak, WELL, NOW) == [
        Words(
            "Sóng modem yếu: 12 % (dưới 20 %), tin nhắn có thể chậm hoặc lỗi",
            "Weak modem signal: 12 % (below 20 %), SMS may be slow or fail",
        )
    ]
    assert judge(weak, WELL, NOW, HealthLimits(weak_signal_pct=10)) == []
    assert judge(WELL.model_copy(update={"signal_pct": None}), WELL, NOW) == []  # SMSD does not check it


def test_a_modem_off_the_network_is_said_so() -> None:
    denied = WELL.model_copy(update={"registration": Registration.DENIED})
    assert judge(denied, WELL, NOW) == [
        Words(
            "Modem chưa vào được mạng (mạng từ chối SIM): kiểm tra SIM và tài khoản",
            "The modem is not registered on the network (the network refused the SIM): check the SIM and its credit",
        )
    ]
    assert judge(WELL.model_copy(update={"registration": Registration.ROAMING}), WELL, NOW) == []
    assert judge(WELL.model_copy(update={"registration": None}), WELL, NOW) == []  # not asked this time


def test_sends_failing_since_the_last_check() -> None:
    failing = WELL.model_copy(update={"failed": 2})
    assert judge(failing, WELL, NOW) == [
        Words("2 tin nhắn gửi không được từ lần kiểm tra trước", "2 SMS failed to send since the last check")
    ]
    assert judge(failing, failing, NOW) == []  # the same two: already told
    assert judge(WELL, failing, NOW) == []  # SMSD restarted: its counters start again
    assert judge(failing, None, NOW) == []  # the first reading has nothing to compare with


def test_a_message_waiting_while_nothing_is_sent_is_stuck() -> None:
    waiting = WELL.model_copy(update={"waiting": 1, "oldest_waiting_at": NOW - timedelta(minutes=25)})
    stuck = Words(
        "Có tin nhắn chờ 25 phút trong hàng đợi mà chưa gửi được tin nào",
        "An SMS has waited 25 min in the outbox and nothing has been sent since",
    )
    assert judge(waiting, WELL, NOW) == [stuck]
    assert judge(waiting, WELL, NOW, HealthLimits(stuck_after_min=30)) == []
    # Sending goes on behind a queue: SMSD sent something after that message was queued.
    busy = waiting.model_copy(update={"last_sent_at": NOW - timedelta(minutes=1)})
    assert judge(busy, WELL, NOW) == []


def test_the_still_working_text_fits_one_sms_in_either_form() -> None:
    busy = WELL.model_copy(update={"sent_24h": 1234, "waiting": 56, "signal_pct": 100})
    assert segments(still_working(busy, "vi")).count == 1
    assert segments(still_working(busy, "vi")).encoding is SmsEncoding.UCS2
    assert segments(still_working(busy, "en")).encoding is SmsEncoding.GSM7
    unknown = WELL.model_copy(update={"signal_pct": None})
    assert still_working(unknown, "en") == "Alert server still working: signal ?, 3 SMS sent in 24 h, 0 waiting"
